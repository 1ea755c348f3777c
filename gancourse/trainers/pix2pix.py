"""Pix2Pix (Isola et al. 2017): a conditional GAN whose generator is also pulled towards the target by L1.

    G, D = UNetGenerator(size=32, ngf=32), PatchGAN(in_ch=6, ndf=32)
    trainer = Pix2PixTrainer(G, D, lambda_l1=100)
    trainer.fit((A, B), steps=500, batch_size=16)          # A: inputs, B: targets, aligned pairs
    fake_B = trainer.translate(A_test)

    baseline = Pix2PixTrainer(G2, None, recon="l1")        # no D: plain L1 regression, for comparison

One step, as in the reference code: ``forward`` makes fake = G(A) once; ``d_step`` updates D on (A, B) against
(A, fake.detach()); then ``g_step``, with D frozen, updates G on

    loss_G = loss_GAN(D(A, G(A))) + lambda * ||B - G(A)||_1.

D sees the input and the output together (a conditional D), so it can penalise outputs that look real but do
not fit their input.
"""
from __future__ import annotations

from typing import NamedTuple

import torch

from .. import losses, validation
from .base import Trainer, adam, frozen
from .gan import d_beliefs

__all__ = ["Pix2PixTrainer", "Pix2PixBatch", "GAN_LOSSES", "RECON_LOSSES"]

# gan_loss name -> (D's loss, G's loss) in gancourse.losses; minimax: D's cross-entropy with G's non-saturating
# loss (the paper)
GAN_LOSSES = {"minimax": ("minimax", "nonsaturating"), "lsgan": ("lsgan", "lsgan")}
RECON_LOSSES = tuple(losses.RECON_LOSSES)


class Pix2PixBatch(NamedTuple):
    """One step's batch after :meth:`Pix2PixTrainer.forward`: both updates share G's output."""

    A: torch.Tensor       # inputs (B, C_A, H, W)
    B: torch.Tensor       # targets (B, C_B, H, W)
    fake_B: torch.Tensor  # G(A), with its graph to G


class Pix2PixTrainer(Trainer):
    floating_parts = (0, 1)

    """Train a conditional generator ``G: A -> B`` on aligned pairs ``(A, B)``.

    Args:
        G: image-to-image generator (e.g. :class:`gancourse.models.pix2pix.UNetGenerator`).
        D: conditional discriminator on ``cat([A, B], dim=1)`` (e.g. ``PatchGAN(in_ch=6)``), returning logits;
            ``None`` trains G on the reconstruction loss alone (the L1 / L2 baselines).
        lambda_l1: weight of the reconstruction term (100 in the paper).
        recon: ``"l1"`` (the paper) or ``"l2"`` (:data:`gancourse.losses.RECON_LOSSES`).
        gan_loss: ``"minimax"`` (the paper: D's cross-entropy, G's non-saturating loss) or ``"lsgan"``.
        lr, lr_d, betas: Adam's settings (lr_d defaults to lr).
        constant_steps, decay_steps: hold the rate for ``constant_steps`` then decay it linearly to 0 over
            ``decay_steps`` (0: no decay). See :class:`~gancourse.trainers.LinearDecay`.
        channels_last: NHWC models and batches; default on for CUDA.
        device, seed, amp, sync_every: see :class:`gancourse.trainers.Trainer`.
    """

    floating_parts = (0, 1)  # A and B are images

    def __init__(self, G, D=None, *, lambda_l1: float = 100.0, recon: str = "l1", gan_loss: str = "minimax",
                 lr: float = 2e-4, lr_d: float | None = None, betas=(0.5, 0.999), constant_steps: int = 0,
                 decay_steps: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.recon_fn = validation.lookup("reconstruction loss", recon, losses.RECON_LOSSES)
        d_name, g_name = validation.lookup("gan_loss", gan_loss, GAN_LOSSES)
        self.lambda_l1 = validation.nonneg("lambda_l1", lambda_l1)
        self.recon, self.gan_loss = recon, gan_loss
        self.d_loss, self.g_loss = losses.get_d_loss(d_name), losses.get_g_loss(g_name)
        self.G = self.place(validation.module("G", G))
        self.D = self.place(validation.module("D", D)) if D is not None else None
        self.opt_G = adam(self.G.parameters(), lr, betas, self.device, name="lr (the learning rate)")
        self.models = {"G": self.G}
        self.optimizers = {"G": self.opt_G}
        if self.D is not None:
            self.opt_D = adam(self.D.parameters(), lr if lr_d is None else lr_d, betas, self.device,
                              name="lr (the learning rate)" if lr_d is None else "lr_d (D's learning rate)")
            self.models["D"], self.optimizers["D"] = self.D, self.opt_D
        self.decay_learning_rates(validation.nonneg_int("decay_steps", decay_steps),
                                  validation.nonneg_int("constant_steps", constant_steps))

    def recon_loss(self, fake: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The reconstruction term on float32 copies: mean |fake - target| (``l1``) or mean (fake - target)^2."""
        return self.recon_fn(fake.float(), target.float())

    def forward(self, batch) -> Pix2PixBatch:
        """``batch = (A, B)`` on the device, and G(A), made once for both updates."""
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise validation.ArgumentError(
                "Pix2PixTrainer trains on aligned pairs: pass batches (A, B), e.g. fit((A, B), ...)")
        A, B = super().forward(batch)
        with self.autocast():
            fake_B = self.translate_batch("batch A", self.G, A)
        if fake_B.shape != B.shape:
            raise validation.ArgumentError(f"batch B must have the shape of G(A), {tuple(fake_B.shape)}, got "
                                           f"{tuple(B.shape)}")
        return Pix2PixBatch(A, B, fake_B)

    def d_step(self, batch: Pix2PixBatch) -> dict[str, torch.Tensor]:
        """D learns to tell the real pair (A, B) from the fake pair (A, G(A)), the fake detached (no D: nothing)."""
        if self.D is None:
            return {}
        with self.autocast():
            d_real = self.D(torch.cat([batch.A, batch.B], dim=1))
            d_fake = self.D(torch.cat([batch.A, batch.fake_B.detach()], dim=1))
        loss = 0.5 * self.d_loss(d_real.float(), d_fake.float())  # halved as in the paper: D learns slower than G
        self.update("D", loss)
        return {"loss_D": loss.detach(), **d_beliefs(d_real, d_fake)}

    def g_step(self, batch: Pix2PixBatch) -> dict[str, torch.Tensor]:
        """G's update with D frozen: fool D on (A, G(A)) and stay within L1 of B."""
        rec = self.recon_loss(batch.fake_B, batch.B)
        logs = {f"loss_{self.recon.upper()}": rec.detach()}
        loss = self.lambda_l1 * rec
        with frozen(self.D):
            if self.D is not None:
                with self.autocast():
                    d_fake = self.D(torch.cat([batch.A, batch.fake_B], dim=1))
                gan = self.g_loss(d_fake.float())
                loss = loss + gan
                logs["loss_G_GAN"] = gan.detach()
            self.update("G", loss)
        return {"loss_G": loss.detach(), **logs}

    def translate(self, A: torch.Tensor, dropout: bool = False, batch_size: int = 256) -> torch.Tensor:
        """G(A) in eval mode (batch-norm running statistics) as float32 on the CPU; ``dropout=True`` keeps
        dropout on, so repeated calls give different outputs."""
        A = validation.tensor("A (N, C, H, W)", A, ndim=4, finite=False)
        return self.infer(self.G, A, batch_size=batch_size, dropout=dropout, what="A")
