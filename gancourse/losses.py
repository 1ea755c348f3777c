"""GAN losses as pure functions of the discriminator's logits.

Models return logits (no sigmoid inside); D(x) = sigmoid(logit). Every loss returns a scalar to be
*minimised*, never calls ``backward()`` and never touches an optimizer. The identities used for
numerical stability are

    log D(x)      = log sigmoid(l)  = -softplus(-l)
    log(1 - D(x)) = log sigmoid(-l) = -softplus(l)
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = [
    "minimax_d_loss", "minimax_g_loss", "nonsaturating_g_loss",
    "wgan_d_loss", "wgan_g_loss", "gradient_penalty",
    "lsgan_d_loss", "lsgan_g_loss", "G_LOSSES", "D_LOSSES", "get_g_loss", "get_d_loss",
]


def minimax_d_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """D's loss in the minimax game: -V(G, D) estimated on a minibatch.

    loss_D = -E_x[log D(x)] - E_z[log(1 - D(G(z)))] = E[softplus(-d_real)] + E[softplus(d_fake)]
    """
    return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()


def minimax_g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """G's loss in the original (saturating) minimax game.

    loss_G = E_z[log(1 - D(G(z)))] = -E[softplus(d_fake)]

    Its gradient with respect to the logit is -sigmoid(d_fake) = -D(G(z)), which vanishes
    when D confidently rejects the fakes (D(G(z)) -> 0): the saturation of lesson 03.
    """
    return -F.softplus(d_fake).mean()


def nonsaturating_g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """G's non-saturating loss (Goodfellow et al. 2014, section 3).

    loss_G = -E_z[log D(G(z))] = E[softplus(-d_fake)]

    Its gradient with respect to the logit is sigmoid(d_fake) - 1 = -(1 - D(G(z))), which is
    largest exactly when D rejects the fakes.
    """
    return F.softplus(-d_fake).mean()


def wgan_d_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """The Wasserstein critic's loss: loss_D = E[f(G(z))] - E[f(x)] (the negated estimate of W_1)."""
    return d_fake.mean() - d_real.mean()


def wgan_g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """The Wasserstein generator's loss: loss_G = -E[f(G(z))]."""
    return -d_fake.mean()


def gradient_penalty(D, real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator | None = None,
                     target: float = 1.0) -> torch.Tensor:
    """WGAN-GP's penalty (Gulrajani et al. 2017): E[(||grad_x f(x_hat)||_2 - target)^2].

    x_hat = eps * real + (1 - eps) * fake, with eps ~ U[0, 1] drawn once per sample. The graph is
    kept (``create_graph=True``) so that the penalty can be differentiated with respect to D's weights.
    Multiply by lambda yourself: ``loss_D = wgan_d_loss(...) + lam * gradient_penalty(D, real, fake)``.
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have the same shape, got {tuple(real.shape)} and {tuple(fake.shape)}")
    shape = (real.shape[0],) + (1,) * (real.ndim - 1)
    eps = torch.rand(shape, generator=generator, device=generator.device if generator is not None else real.device)
    eps = eps.to(device=real.device, dtype=real.dtype)
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    out = D(x_hat)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    norms = grad.flatten(1).norm(2, dim=1)
    return ((norms - target) ** 2).mean()


def lsgan_d_loss(d_real: torch.Tensor, d_fake: torch.Tensor) -> torch.Tensor:
    """Least-squares GAN's D loss (Mao et al. 2017, a=0, b=1): 0.5 E[(D(x) - 1)^2] + 0.5 E[D(G(z))^2]."""
    return 0.5 * ((d_real - 1) ** 2).mean() + 0.5 * (d_fake**2).mean()


def lsgan_g_loss(d_fake: torch.Tensor) -> torch.Tensor:
    """Least-squares GAN's G loss (c=1): 0.5 E[(D(G(z)) - 1)^2]."""
    return 0.5 * ((d_fake - 1) ** 2).mean()


G_LOSSES = {
    "minimax": minimax_g_loss,
    "saturating": minimax_g_loss,
    "nonsaturating": nonsaturating_g_loss,
    "wasserstein": wgan_g_loss,
    "lsgan": lsgan_g_loss,
}
D_LOSSES = {
    "minimax": minimax_d_loss,
    "wasserstein": wgan_d_loss,
    "lsgan": lsgan_d_loss,
}


def get_g_loss(name: str):
    """Look up a generator loss by name (``minimax``/``saturating``, ``nonsaturating``, ``wasserstein``, ``lsgan``)."""
    if callable(name):
        return name
    if name not in G_LOSSES:
        raise ValueError(f"unknown generator loss {name!r}; choose from {', '.join(G_LOSSES)}")
    return G_LOSSES[name]


def get_d_loss(name: str):
    """Look up a discriminator loss by name (``minimax``, ``wasserstein``, ``lsgan``)."""
    if callable(name):
        return name
    if name not in D_LOSSES:
        raise ValueError(f"unknown discriminator loss {name!r}; choose from {', '.join(D_LOSSES)}")
    return D_LOSSES[name]


# ---------------------------------------------------------------------------------------------- lesson 11
from . import validation  # noqa: E402  (below the older losses: this part was appended for lesson 11)


def r1_penalty(D, real: torch.Tensor, gamma: float) -> torch.Tensor:
    """The R1 gradient penalty (Mescheder, Geiger and Nowozin 2018) on *real* data only:

        R1 = (gamma / 2) E_{x ~ p_data} ||grad_x D(x)||^2

    with D(x) the logit and the squared norm taken per sample over all of x's features. Unlike WGAN-GP's penalty
    (target norm 1, on interpolates) it pushes D's slope on the data towards 0, which is what it is at the
    equilibrium p_g = p_data: the penalty vanishes there instead of moving it, and makes the equilibrium locally
    convergent (lesson 11). The graph is kept (``create_graph=True``) so the penalty trains D's weights; add it
    to D's loss: ``loss_D = minimax_d_loss(...) + r1_penalty(D, real, gamma)``.
    """
    gamma = validation.nonneg("gamma", gamma)
    x = validation.tensor("real", real, finite=False).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    return 0.5 * gamma * grad.flatten(1).pow(2).sum(1).mean()


__all__ += ["r1_penalty"]
