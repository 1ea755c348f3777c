"""InfoGAN (Chen et al. 2016): codes that mean something, learned without labels.

G reads noise z and a code c = (c_cat, c_cont): c_cat uniform over ``n_cat`` classes, c_cont uniform in [-1, 1]^L.
A head Q on D's features guesses c from G(z, c). The game adds a variational lower bound L_I of the mutual
information I(c; G(z, c)), maximised by both G and Q:

    min_{G, Q} max_D  V(D, G) - lambda * L_I(G, Q),
    L_I = E[log Q(c_cat | x)] + E[log Q(c_cont | x)] + H(c)        (H(c) is a constant)

With Q's continuous guess a Gaussian of fixed unit variance, -L_I is (up to constants) the cross-entropy of the
categorical code plus half the squared error of the continuous one: :func:`gancourse.losses.info_loss`. D's update minimises its GAN
loss plus lambda * info_loss on the (detached) fakes, which trains Q and the shared features; G's update minimises
its GAN loss plus lambda * info_loss, which makes the codes recoverable from the images.
"""
from __future__ import annotations

import torch

from .. import validation
from ..losses import info_loss
from .gan import GANTrainer

__all__ = ["InfoGANTrainer", "info_loss"]  # info_loss lives in gancourse.losses; re-exported where it was


class InfoGANTrainer(GANTrainer):
    """Train an :class:`~gancourse.models.conditional.InfoGenerator` and an
    :class:`~gancourse.models.conditional.InfoDiscriminator` (D with a Q head).

    The hooks it changes: :meth:`forward` (labels, if given, are ignored), :meth:`sample_inputs` (G reads codes)
    and the two loss terms (each adds lambda * info_loss).

    Args:
        lambda_info: weight of the mutual-information term (1 in the paper for discrete codes).
        cont_weight: weight of the continuous part inside :func:`info_loss` (the paper uses a smaller one).
        Everything else as :class:`GANTrainer`. ``z_dim`` is G's whole input (noise + codes).
    """

    def __init__(self, G, D, *, lambda_info: float = 1.0, cont_weight: float = 0.5, **kwargs):
        super().__init__(G, D, **kwargs)
        for name in ("noise_dim", "n_cat", "n_cont"):
            if not hasattr(G, name):
                raise validation.ArgumentError(
                    f"G needs a {name} attribute (use gancourse.models.conditional.InfoGenerator)")
        if not hasattr(D, "heads"):
            raise validation.ArgumentError("D needs a heads(x) method returning (logits, cat_logits, cont_pred): "
                                           "use InfoDiscriminator")
        self.lambda_info = validation.nonneg("lambda_info", lambda_info)
        self.cont_weight = validation.nonneg("cont_weight", cont_weight)

    def forward(self, batch):
        if isinstance(batch, (tuple, list)) and batch:
            batch = batch[0]  # labels, if given, are ignored
        return super().forward(batch)

    def sample_codes(self, n: int):
        """(z, c_cat, c_cont): noise N(0, I), categorical code uniform, continuous code uniform in [-1, 1]."""
        z = torch.randn(n, self.G.noise_dim, generator=self.rng, device=self.device)
        c_cat = torch.randint(self.G.n_cat, (n,), generator=self.rng, device=self.device)
        c_cont = torch.rand(n, self.G.n_cont, generator=self.rng, device=self.device) * 2 - 1
        return z, c_cat, c_cont

    def sample_inputs(self, n: int) -> tuple:
        """G's inputs are the noise and the codes, ``(z, c_cat, c_cont)``."""
        return self.sample_codes(n)

    def sample_z(self, n: int) -> torch.Tensor:
        """G's whole input [z, one_hot(c_cat), c_cont] with freshly drawn codes."""
        return self.G.assemble(*self.sample_codes(n))

    def info_term(self, q_cat, q_cont, inputs) -> torch.Tensor:
        """info_loss of Q's guesses against the codes G read."""
        _, c_cat, c_cont = inputs
        return info_loss(q_cat.float(), c_cat, q_cont.float(), c_cont, self.cont_weight)

    def d_loss_terms(self, real, fake, inputs):
        """D's GAN loss, plus lambda * info_loss of Q on the detached fakes (trains Q and the shared features)."""
        with self.autocast():
            d_real = self.D(real)
            d_fake, q_cat, q_cont = self.D.heads(fake)
            gan, logs = self.d_terms(d_real, d_fake)
            info = self.info_term(q_cat, q_cont, inputs)
        return gan + self.lambda_info * info, {"loss_D": gan.detach(), "loss_info": info.detach(), **logs}

    def g_loss_terms(self, fake, inputs):
        """G's GAN loss plus lambda * info_loss: fool D *and* make the code readable from the image (D frozen)."""
        with self.autocast():
            logit, q_cat, q_cont = self.D.heads(fake)
            gan = self.g_loss(logit.float())
            info = self.info_term(q_cat, q_cont, inputs)
        return gan + self.lambda_info * info, {"loss_G": gan.detach(), "loss_info_G": info.detach()}

    def sample_codes_grid(self, c_cat: torch.Tensor, c_cont: torch.Tensor | None = None,
                          z: torch.Tensor | None = None) -> torch.Tensor:
        """Images for the given codes (and noise), in eval mode, float32 on the CPU."""
        c_cat = validation.tensor("c_cat", c_cat, ndim=1, floating=False, finite=False)
        n = len(c_cat)
        if c_cat.is_floating_point() or c_cat.dtype == torch.bool or not (
                0 <= int(c_cat.min()) <= int(c_cat.max()) < self.G.n_cat):
            raise validation.ArgumentError(f"c_cat must hold integer codes in 0..{self.G.n_cat - 1}, got "
                                           f"{validation.shown(c_cat)}")
        z = (torch.randn(n, self.G.noise_dim, generator=self.rng, device=self.device) if z is None
             else self.check_noise(z, n, self.G.noise_dim))
        c_cont = (torch.zeros(n, self.G.n_cont, device=self.device) if c_cont is None
                  else self.check_noise(c_cont, n, self.G.n_cont, "c_cont"))
        return self.infer(self.G, z, c_cat, c_cont, what="z and codes")
