"""The R1-regularised GAN (Mescheder, Geiger and Nowozin 2018): D's loss gains (gamma/2) E_pdata ||grad_x D(x)||^2.

The penalty is zero-centred and taken on real data only, so it vanishes at the equilibrium p_g = p_data (where the
optimal D is flat) instead of moving it. On the Dirac-GAN it turns the purely imaginary eigenvalues of the
unregularised game into ones with negative real parts (lesson 11); StyleGAN and StyleGAN-2 use it.
Only D's loss changes: the subclass overrides :meth:`GANTrainer.d_loss_terms` and nothing else.
"""
from __future__ import annotations

from .. import losses, validation
from .gan import GANTrainer

__all__ = ["R1GANTrainer"]


class R1GANTrainer(GANTrainer):
    """:class:`GANTrainer` whose D minimises its loss plus ``gamma / 2 * losses.r1_penalty(D, real)``.

    Args:
        gamma: the R1 weight (>= 0; 0 is the plain GAN). The paper uses 10 for images; the 2-D toys of lesson 11
            need far less (D's logits there have slopes of order 1 / std).
        Other arguments as :class:`GANTrainer`. Logs ``R1``, the penalty's value, beside ``loss_D``.
    """

    def __init__(self, G, D, *, gamma: float = 1.0, **kwargs):
        super().__init__(G, D, **kwargs)
        self.gamma = validation.nonneg("gamma", gamma)

    def d_loss_terms(self, real, fake, inputs=()):
        loss, logs = super().d_loss_terms(real, fake, inputs)
        r1 = 0.5 * self.gamma * losses.r1_penalty(self.D, real.float())  # float32: a double backward
        return loss + r1, {**logs, "loss_D": (loss + r1).detach(), "R1": r1.detach()}
