"""Wasserstein GANs: a critic f instead of a classifier, trained n_critic times per generator step.

The critic estimates the Wasserstein-1 distance through the Kantorovich-Rubinstein duality

    W_1(p_data, p_g) = sup_{||f||_L <= 1}  E_{x ~ p_data}[f(x)] - E_{x ~ p_g}[f(x)],

so the critic minimises ``E[f(fake)] - E[f(real)]`` (``losses.wgan_d_loss``) and the generator minimises
``-E[f(G(z))]`` (``losses.wgan_g_loss``). The two trainers differ in how they keep f 1-Lipschitz:

- :class:`WGANTrainer` (Arjovsky et al. 2017) clips every critic weight to [-c, c] after each update and uses
  RMSprop (lr 5e-5, c = 0.01, n_critic = 5 in the paper);
- :class:`WGANGPTrainer` (Gulrajani et al. 2017) adds lambda * E[(||grad f(x_hat)|| - 1)^2] on random
  interpolates x_hat between real and fake samples and uses Adam (lr 1e-4, betas (0.5, 0.9); lambda = 10 for
  images, 0.1 in the reference code's toy experiments).
"""
from __future__ import annotations

import torch

from .. import losses
from .gan import GANTrainer

__all__ = ["WGANTrainer", "WGANGPTrainer"]


class _CriticMixin:
    def critic_terms(self, real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        with self.autocast():
            f_real, f_fake = self.D(real).float(), self.D(fake).float()
        loss = losses.wgan_d_loss(f_real, f_fake)
        # W: the critic's estimate of W_1 (up to the Lipschitz constant), the curve to watch while training
        return {"loss_D": loss, "W": (f_real.mean() - f_fake.mean()).detach()}


class WGANTrainer(_CriticMixin, GANTrainer):
    """WGAN with weight clipping: RMSprop on both players, critic weights clipped to [-clip, clip] after each step.

    Args:
        n_critic: critic updates per generator update (the ``k`` of :class:`GANTrainer`).
        clip: the clipping bound c.
        lr_d, lr_g: RMSprop learning rates (paper: 5e-5).
        Other arguments as :class:`GANTrainer` (the losses are fixed to the Wasserstein ones).
    """

    def __init__(self, G, D, *, n_critic: int = 5, clip: float = 0.01, lr_d: float = 5e-5, lr_g: float = 5e-5,
                 **kwargs):
        for fixed in ("g_loss", "d_loss", "k"):
            if fixed in kwargs:
                raise ValueError(f"{fixed} is fixed by the Wasserstein GAN; use n_critic for the critic steps")
        if not (isinstance(clip, (int, float)) and not isinstance(clip, bool) and clip > 0):
            raise ValueError(f"clip must be a positive number, got {clip!r}")
        super().__init__(G, D, g_loss="wasserstein", d_loss="wasserstein", k=_n_critic(n_critic), lr_d=lr_d,
                         lr_g=lr_g, **kwargs)
        self.clip = float(clip)
        # the paper uses RMSprop: momentum-based optimizers were unstable with clipped critics
        self.opt_G = torch.optim.RMSprop(self.G.parameters(), lr=lr_g)
        self.opt_D = torch.optim.RMSprop(self.D.parameters(), lr=lr_d)
        self.optimizers = {"G": self.opt_G, "D": self.opt_D}
        self._clip_critic()

    @torch.no_grad()
    def _clip_critic(self):
        for p in self.D.parameters():
            p.clamp_(-self.clip, self.clip)

    def d_loss_terms(self, real, fake):
        return self.critic_terms(real, fake)

    def d_step(self, real):
        """One critic update, then clip every critic weight to [-clip, clip]."""
        logs = super().d_step(real)
        self._clip_critic()
        return logs


class WGANGPTrainer(_CriticMixin, GANTrainer):
    """WGAN-GP: the critic's loss is E[f(fake)] - E[f(real)] + lambda * gradient penalty; Adam on both players.

    Args:
        n_critic: critic updates per generator update.
        lam: the penalty weight lambda (10 for images; the reference toy experiments use 0.1).
        lr_d, lr_g, betas: Adam's settings (reference: 1e-4, (0.5, 0.9)).
        Other arguments as :class:`GANTrainer` (the losses are fixed to the Wasserstein ones).
    """

    def __init__(self, G, D, *, n_critic: int = 5, lam: float = 10.0, lr_d: float = 1e-4, lr_g: float = 1e-4,
                 betas=(0.5, 0.9), **kwargs):
        for fixed in ("g_loss", "d_loss", "k"):
            if fixed in kwargs:
                raise ValueError(f"{fixed} is fixed by the Wasserstein GAN; use n_critic for the critic steps")
        if not (isinstance(lam, (int, float)) and not isinstance(lam, bool) and lam >= 0):
            raise ValueError(f"lam (the penalty weight) must be a non-negative number, got {lam!r}")
        super().__init__(G, D, g_loss="wasserstein", d_loss="wasserstein", k=_n_critic(n_critic), lr_d=lr_d,
                         lr_g=lr_g, betas=betas, **kwargs)
        self.lam = float(lam)

    def d_loss_terms(self, real, fake):
        terms = self.critic_terms(real, fake)
        gp = losses.gradient_penalty(self.D, real, fake, generator=self.rng)  # float32: a double backward
        terms["loss_D"] = terms["loss_D"] + self.lam * gp
        terms["GP"] = gp.detach()
        return terms


def _n_critic(n):
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"n_critic (critic steps per generator step) must be a positive integer, got {n!r}")
    return int(n)
