"""GAN losses as pure functions of the discriminator's logits (and the other terms the trainers add).

Models return logits (no sigmoid inside); D(x) = sigmoid(logit). Every loss returns a scalar to be
*minimised*, never calls ``backward()`` and never touches an optimizer. The identities used for
numerical stability are

    log D(x)      = log sigmoid(l)  = -softplus(-l)
    log(1 - D(x)) = log sigmoid(-l) = -softplus(l)

In order: the minimax game and its non-saturating G loss (lessons 01-03), the Wasserstein losses and the
gradient penalty (lesson 05), least squares (Pix2Pix/CycleGAN options), the reconstruction losses of
image-to-image translation (lessons 07-08), InfoGAN's information term (lesson 09), R1, and the tables that
choose a loss by name.

Arguments are checked on their form only (no value is read, so a GPU is not synchronised): logits are non-empty
floating tensors of any shape ((B,), (B, 1), or PatchGAN's (B, 1, H, W) maps); ``d_real`` and ``d_fake`` must
agree after the batch dimension (the batches may differ in size: the two expectations are separate means), so
(4,) against (3, 1), a forgotten squeeze, is refused. NaN logits give a NaN loss (the trainers catch that).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from . import validation

__all__ = [
    "minimax_d_loss", "minimax_g_loss", "nonsaturating_g_loss",
    "wgan_d_loss", "wgan_g_loss", "gradient_penalty",
    "lsgan_d_loss", "lsgan_g_loss", "lsgan_g_loss_ref", "l1_loss", "l2_loss", "info_loss", "r1_penalty",
    "G_LOSSES", "D_LOSSES", "RECON_LOSSES", "get_g_loss", "get_d_loss", "get_recon_loss",
]


def _logits(name: str, x) -> torch.Tensor:
    return validation.tensor(name, x, finite=False)


def _critic(D, x: torch.Tensor, what: str) -> torch.Tensor:
    """D(x), with samples D cannot take named as the argument they came from."""
    try:
        return D(x)
    except (RuntimeError, validation.ArgumentError) as e:
        if isinstance(e, torch.OutOfMemoryError) or "CUDA" in str(e):
            raise
        raise validation.ArgumentError(f"{what} of shape {tuple(x.shape)} do(es) not fit D: {e}") from e


def _pair(d_real, d_fake) -> tuple[torch.Tensor, torch.Tensor]:
    d_real, d_fake = _logits("d_real", d_real), _logits("d_fake", d_fake)
    if d_real.shape[1:] != d_fake.shape[1:]:
        raise validation.ArgumentError(f"d_real and d_fake must agree after the batch dimension, got shapes "
                                       f"{tuple(d_real.shape)} and {tuple(d_fake.shape)}")
    return d_real, d_fake


def minimax_d_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """D's loss in the minimax game: -V(G, D) estimated on a minibatch.

    loss_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))] = E[softplus(-d_real)] + E[softplus(d_fake)]
    """
    d_real, d_fake = _pair(d_real, d_fake)
    return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()


def minimax_g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """G's loss in the original (saturating) minimax game.

    loss_G = E_z[log(1 - D(G(z)))] = -E[softplus(d_fake)]

    Its gradient with respect to the logit is -sigmoid(d_fake) = -D(G(z)), which vanishes
    when D confidently rejects the fakes (D(G(z)) -> 0): the saturation of lesson 03.
    """
    d_fake = _logits("d_fake", d_fake)
    return -F.softplus(d_fake).mean()


def nonsaturating_g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """G's non-saturating loss (Goodfellow et al. 2014, section 3).

    loss_G = -E_z[log D(G(z))] = E[softplus(-d_fake)]

    Its gradient with respect to the logit is sigmoid(d_fake) - 1 = -(1 - D(G(z))), which is
    largest exactly when D rejects the fakes.
    """
    d_fake = _logits("d_fake", d_fake)
    return F.softplus(-d_fake).mean()


def wgan_d_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """The Wasserstein critic's loss: loss_D = E[f(G(z))] - E[f(x)] (the negated estimate of W_1)."""
    d_real, d_fake = _pair(d_real, d_fake)
    return d_fake.mean() - d_real.mean()


def wgan_g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """The Wasserstein generator's loss: loss_G = -E[f(G(z))]."""
    d_fake = _logits("d_fake", d_fake)
    return -d_fake.mean()


def gradient_penalty(D, real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator | None = None,
                     target: float = 1.0) -> torch.Tensor:
    """WGAN-GP's penalty (Gulrajani et al. 2017): E[(||grad_x f(x_hat)||_2 - target)^2].

    x_hat = eps * real + (1 - eps) * fake, with eps ~ U[0, 1] drawn once per sample. The graph is
    kept (``create_graph=True``) so that the penalty can be differentiated with respect to D's weights.
    Multiply by lambda yourself: ``loss_D = wgan_d_loss(...) + lam * gradient_penalty(D, real, fake)``.
    """
    D = validation.function("D", D)
    real, fake = _logits("real", real), _logits("fake", fake)
    validation.same_shape("real and fake", real, fake)
    generator = validation.generator("generator", generator)
    target = validation.number("target", target)
    shape = (real.shape[0],) + (1,) * (real.ndim - 1)
    eps = torch.rand(shape, generator=generator, device=generator.device if generator is not None else real.device)
    eps = eps.to(device=real.device, dtype=real.dtype)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    out = _critic(D, x_hat, "real and fake")
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    norms = grad.flatten(1).norm(2, dim=1)
    return ((norms - target) ** 2).mean()


def lsgan_d_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """Least-squares GAN's D loss (Mao et al. 2017, a=0, b=1): 0.5 E[(D(x) - 1)^2] + 0.5 E[D(G(z))^2]."""
    d_real, d_fake = _pair(d_real, d_fake)
    return 0.5 * ((d_real - 1) ** 2).mean() + 0.5 * (d_fake**2).mean()


def lsgan_g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """Least-squares GAN's G loss (c=1): 0.5 E[(D(G(z)) - 1)^2]."""
    d_fake = _logits("d_fake", d_fake)
    return 0.5 * ((d_fake - 1) ** 2).mean()


def lsgan_g_loss_ref(d_fake: torch.Tensor) -> torch.Tensor:
    """The LSGAN G loss as CycleGAN's reference code writes it (an MSE against the label 1, no factor 1/2):
    loss_G = E[(D(G(z)) - 1)^2] = 2 * :func:`lsgan_g_loss`."""
    d_fake = _logits("d_fake", d_fake)
    return ((d_fake - 1) ** 2).mean()


def l1_loss(fake: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Reconstruction loss of Pix2Pix (and CycleGAN's cycle and identity terms): mean |fake - target| over
    pixels and channels."""
    fake, target = _logits("fake", fake), _logits("target", target)
    validation.same_shape("fake and target", fake, target)
    return F.l1_loss(fake, target)


def l2_loss(fake: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The L2 reconstruction baseline: mean (fake - target)^2 over pixels and channels (blurrier than L1)."""
    fake, target = _logits("fake", fake), _logits("target", target)
    validation.same_shape("fake and target", fake, target)
    return F.mse_loss(fake, target)


def info_loss(cat_logits: torch.Tensor, cat_code: torch.Tensor, cont_pred: torch.Tensor, cont_code: torch.Tensor,
              cont_weight: float = 1.0) -> torch.Tensor:
    """InfoGAN's information term: -L_I up to constants (Chen et al. 2016), with Q's continuous guess a Gaussian
    of unit variance:

        info_loss = CE(cat_logits, cat_code) + cont_weight * E[0.5 * sum_l (cont_pred_l - cont_code_l)^2]

    cat_logits (B, K), cat_code (B,) class indices, cont_pred and cont_code (B, L) (L may be 0).
    """
    cat_logits = validation.tensor("cat_logits", cat_logits, ndim=2, finite=False)
    b, k = cat_logits.shape
    cat_code = validation.tensor("cat_code", cat_code, ndim=1, floating=False, finite=False)
    if cat_code.is_floating_point() or cat_code.dtype == torch.bool or len(cat_code) != b:
        raise validation.ArgumentError(f"cat_code must be ({b},) integer class indices, got shape "
                                       f"{tuple(cat_code.shape)} and dtype {cat_code.dtype}")
    if cat_code.device.type == "cpu" and not 0 <= int(cat_code.min()) <= int(cat_code.max()) < k:
        raise validation.ArgumentError(f"cat_code must lie in 0..{k - 1}, got {int(cat_code.min())}.."
                                       f"{int(cat_code.max())}")
    cont_pred = validation.tensor("cont_pred", cont_pred, ndim=2, finite=False, nonempty=False)
    cont_code = validation.tensor("cont_code", cont_code, ndim=2, finite=False, nonempty=False)
    if cont_pred.shape != cont_code.shape or len(cont_pred) != b:
        raise validation.ArgumentError(f"cont_pred and cont_code must both be ({b}, L), got "
                                       f"{tuple(cont_pred.shape)} and {tuple(cont_code.shape)}")
    cont_weight = validation.nonneg("cont_weight", cont_weight)
    ce = F.cross_entropy(cat_logits, cat_code)
    if cont_code.shape[1] == 0:
        return ce
    return ce + cont_weight * 0.5 * (cont_pred - cont_code).pow(2).sum(1).mean()


def r1_penalty(D, real: torch.Tensor) -> torch.Tensor:
    """The R1 penalty (Mescheder et al. 2018): E_x[||grad_x D(x)||^2] on real data, with the graph kept
    (``create_graph=True``) so that it trains D. Multiply by gamma / 2 yourself."""
    D, real = validation.function("D", D), _logits("real", real)
    x = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(_critic(D, x, "real").sum(), x, create_graph=True)
    return grad.flatten(1).pow(2).sum(1).mean()


G_LOSSES = {
    "minimax": minimax_g_loss,
    "saturating": minimax_g_loss,
    "nonsaturating": nonsaturating_g_loss,
    "wasserstein": wgan_g_loss,
    "lsgan": lsgan_g_loss,
    "lsgan_ref": lsgan_g_loss_ref,
}
D_LOSSES = {
    "minimax": minimax_d_loss,
    "wasserstein": wgan_d_loss,
    "lsgan": lsgan_d_loss,
}
RECON_LOSSES = {"l1": l1_loss, "l2": l2_loss}


def get_g_loss(name):
    """A generator loss by name (``minimax``/``saturating``, ``nonsaturating``, ``wasserstein``, ``lsgan``,
    ``lsgan_ref``); a function is returned as it is."""
    return name if callable(name) else validation.lookup("generator loss", name, G_LOSSES)


def get_d_loss(name):
    """A discriminator loss by name (``minimax``, ``wasserstein``, ``lsgan``); a function is returned as it is."""
    return name if callable(name) else validation.lookup("discriminator loss", name, D_LOSSES)


def get_recon_loss(name):
    """A reconstruction loss by name (``l1``, ``l2``); a function is returned as it is."""
    return name if callable(name) else validation.lookup("reconstruction loss", name, RECON_LOSSES)
