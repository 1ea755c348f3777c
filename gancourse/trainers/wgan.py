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

from .. import losses, validation
from .gan import GANTrainer

__all__ = ["WGANTrainer", "WGANGPTrainer"]


class _Wasserstein(GANTrainer):
    """What both WGANs share: the losses fixed to the Wasserstein ones, ``n_critic`` critic steps per G step, and
    the critic's terms (its loss and W, its estimate of W_1)."""

    def __init__(self, G, D, *, n_critic: int, **kwargs):
        for fixed in ("g_loss", "d_loss", "k"):
            if fixed in kwargs:
                raise validation.ArgumentError(
                    f"{fixed} is fixed by the Wasserstein GAN; use n_critic for the critic steps")
        n_critic = validation.positive_int("n_critic (critic steps per generator step)", n_critic)
        super().__init__(G, D, g_loss="wasserstein", d_loss="wasserstein", k=n_critic, **kwargs)

    def d_loss_terms(self, real, fake, inputs=()):
        with self.autocast():
            f_real, f_fake = self.D(real).float(), self.D(fake).float()
        loss = losses.wgan_d_loss(f_real, f_fake)
        # W: the critic's estimate of W_1 (up to the Lipschitz constant), the curve to watch while training
        return loss, {"loss_D": loss.detach(), "W": (f_real.mean() - f_fake.mean()).detach()}


class WGANTrainer(_Wasserstein):
    """WGAN with weight clipping: RMSprop on both players, critic weights clipped to [-clip, clip] after each step.

    Args:
        n_critic: critic updates per generator update (the ``k`` of :class:`GANTrainer`).
        clip: the clipping bound c.
        lr_d, lr_g: RMSprop learning rates (paper: 5e-5).
        Other arguments as :class:`GANTrainer` (the losses are fixed to the Wasserstein ones).
    """

    def __init__(self, G, D, *, n_critic: int = 5, clip: float = 0.01, lr_d: float = 5e-5, lr_g: float = 5e-5,
                 **kwargs):
        clip = validation.positive("clip", clip)
        super().__init__(G, D, n_critic=n_critic, lr_d=lr_d, lr_g=lr_g, **kwargs)
        self.clip = clip
        # the paper uses RMSprop: momentum-based optimizers were unstable with clipped critics
        self.opt_G = torch.optim.RMSprop(self.G.parameters(), lr=lr_g)
        self.opt_D = torch.optim.RMSprop(self.D.parameters(), lr=lr_d)
        self.optimizers = {"G": self.opt_G, "D": self.opt_D}
        self._clip_critic()

    @torch.no_grad()
    def _clip_critic(self):
        for p in self.D.parameters():
            p.clamp_(-self.clip, self.clip)

    def d_step(self, real):
        """One critic update, then clip every critic weight to [-clip, clip]."""
        logs = super().d_step(real)
        self._clip_critic()
        return logs


class WGANGPTrainer(_Wasserstein):
    """WGAN-GP: the critic's loss is E[f(fake)] - E[f(real)] + lambda * gradient penalty; Adam on both players.

    Args:
        n_critic: critic updates per generator update.
        lam: the penalty weight lambda (10 for images; the reference toy experiments use 0.1).
        lr_d, lr_g, betas: Adam's settings (reference: 1e-4, (0.5, 0.9)).
        Other arguments as :class:`GANTrainer` (the losses are fixed to the Wasserstein ones).
    """

    def __init__(self, G, D, *, n_critic: int = 5, lam: float = 10.0, lr_d: float = 1e-4, lr_g: float = 1e-4,
                 betas=(0.5, 0.9), **kwargs):
        lam = validation.nonneg("lam (the penalty weight)", lam)
        super().__init__(G, D, n_critic=n_critic, lr_d=lr_d, lr_g=lr_g, betas=betas, **kwargs)
        self.lam = lam

    def d_loss_terms(self, real, fake, inputs=()):
        """The critic's loss plus lam * the gradient penalty on interpolates (drawn with the trainer's generator)."""
        loss, logs = super().d_loss_terms(real, fake, inputs)
        gp = losses.gradient_penalty(self.D, real, fake, generator=self.rng)  # float32: a double backward
        loss = loss + self.lam * gp
        return loss, {**logs, "loss_D": loss.detach(), "GP": gp.detach()}
