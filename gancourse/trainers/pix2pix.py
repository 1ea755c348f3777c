"""Pix2Pix (Isola et al. 2017): a conditional GAN whose generator is also pulled towards the target by L1.

    G, D = UNetGenerator(size=32, ngf=32), PatchGAN(in_ch=6, ndf=32)
    trainer = Pix2PixTrainer(G, D, lambda_l1=100)
    trainer.fit((A, B), steps=500, batch_size=16)          # A: inputs, B: targets, aligned pairs
    fake_B = trainer.translate(A_test)

    baseline = Pix2PixTrainer(G2, None, recon="l1")        # no D: plain L1 regression, for comparison

One step, as in the reference code: fake = G(A); update D on (A, B) against (A, fake.detach()); then, with D
frozen, update G on

    loss_G = loss_GAN(D(A, G(A))) + lambda * ||B - G(A)||_1.

D sees the input and the output together (a conditional D), so it can penalise outputs that look real but do
not fit their input.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F

from .. import losses
from ..contexts import eval_mode
from .base import LinearDecay, Trainer, adam

__all__ = ["Pix2PixTrainer", "LinearDecay", "GAN_LOSSES", "RECON_LOSSES"]

GAN_LOSSES = ("minimax", "lsgan")  # minimax: D's cross-entropy with G's non-saturating loss (the paper)
RECON_LOSSES = ("l1", "l2")


def _check_positive(name, value):
    value = float(value)
    if not value >= 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return value


class _ImageToImage(Trainer):
    """What Pix2Pix and CycleGAN share: device placement in channels_last, Adam, and the LR schedule."""

    def __init__(self, *, channels_last: bool | None = None, **kwargs):
        super().__init__(**kwargs)
        self.channels_last = self.device.type == "cuda" if channels_last is None else bool(channels_last)

    def _place(self, model):
        fmt = torch.channels_last if self.channels_last else torch.contiguous_format
        return model.to(self.device, memory_format=fmt)

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        if self.channels_last and x.ndim == 4:
            return x.contiguous(memory_format=torch.channels_last)
        return x

    @torch.no_grad()
    def _run_eval(self, model, x, batch_size=256, dropout=False):
        out = []
        with eval_mode(model):
            if dropout:  # keep dropout on as noise (the Pix2Pix paper does so at test time too)
                for m in model.modules():
                    if isinstance(m, torch.nn.Dropout):
                        m.train()
            for i in range(0, len(x), batch_size):
                with self.autocast():
                    out.append(model(self._prepare(x[i:i + batch_size].to(self.device))).float().cpu())
        return torch.cat(out).contiguous()


class Pix2PixTrainer(_ImageToImage):
    """Train a conditional generator ``G: A -> B`` on aligned pairs ``(A, B)``.

    Args:
        G: image-to-image generator (e.g. :class:`gancourse.models.pix2pix.UNetGenerator`).
        D: conditional discriminator on ``cat([A, B], dim=1)`` (e.g. ``PatchGAN(in_ch=6)``), returning logits;
            ``None`` trains G on the reconstruction loss alone (the L1 / L2 baselines).
        lambda_l1: weight of the reconstruction term (100 in the paper).
        recon: ``"l1"`` (the paper) or ``"l2"``.
        gan_loss: ``"minimax"`` (the paper: D's cross-entropy, G's non-saturating loss) or ``"lsgan"``.
        lr, lr_d, betas: Adam's settings (lr_d defaults to lr).
        constant_steps, decay_steps: hold the rate for ``constant_steps`` then decay it linearly to 0 over
            ``decay_steps`` (0: no decay). See :class:`LinearDecay`.
        channels_last: NHWC models and batches; default on for CUDA.
        device, seed, amp, sync_every: see :class:`gancourse.trainers.Trainer`.
    """

    def __init__(self, G, D=None, *, lambda_l1: float = 100.0, recon: str = "l1", gan_loss: str = "minimax",
                 lr: float = 2e-4, lr_d: float | None = None, betas=(0.5, 0.999), constant_steps: int = 0,
                 decay_steps: int = 0, **kwargs):
        super().__init__(**kwargs)
        if recon not in RECON_LOSSES:
            raise ValueError(f"unknown reconstruction loss {recon!r}; choose from {', '.join(RECON_LOSSES)}")
        if gan_loss not in GAN_LOSSES:
            raise ValueError(f"unknown gan_loss {gan_loss!r}; choose from {', '.join(GAN_LOSSES)}")
        self.lambda_l1 = _check_positive("lambda_l1", lambda_l1)
        self.recon, self.gan_loss = recon, gan_loss
        self.d_loss = losses.lsgan_d_loss if gan_loss == "lsgan" else losses.minimax_d_loss
        self.g_loss = losses.lsgan_g_loss if gan_loss == "lsgan" else losses.nonsaturating_g_loss
        self.G = self._place(G)
        self.D = self._place(D) if D is not None else None
        self.opt_G = adam(self.G.parameters(), lr, betas, self.device)
        self.models = {"G": self.G}
        self.optimizers = {"G": self.opt_G}
        if self.D is not None:
            self.opt_D = adam(self.D.parameters(), lr if lr_d is None else lr_d, betas, self.device)
            self.models["D"], self.optimizers["D"] = self.D, self.opt_D
        self.decay_learning_rates(decay_steps, constant_steps)

    def recon_loss(self, fake: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean |fake - target| (``l1``) or mean (fake - target)^2 (``l2``), per pixel and channel."""
        fake, target = fake.float(), target.float()
        return F.l1_loss(fake, target) if self.recon == "l1" else F.mse_loss(fake, target)

    def d_step(self, A, B, fake):
        """D learns to tell the real pair (A, B) from the fake pair (A, G(A)); ``fake`` is detached."""
        with self.autocast():
            d_real = self.D(torch.cat([A, B], dim=1))
            d_fake = self.D(torch.cat([A, fake], dim=1))
        loss = 0.5 * self.d_loss(d_real.float(), d_fake.float())  # halved as in the paper: D learns slower than G
        self.opt_D.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_D.step()
        return {"loss_D": loss.detach(), "D_real": torch.sigmoid(d_real.detach().float()).mean(),
                "D_fake": torch.sigmoid(d_fake.detach().float()).mean()}

    def g_step(self, A, B, fake):
        """G's update with D frozen: fool D on (A, fake) and stay within L1 of B."""
        rec = self.recon_loss(fake, B)
        logs = {f"loss_{self.recon.upper()}": rec.detach()}
        loss = self.lambda_l1 * rec
        if self.D is not None:
            self.D.requires_grad_(False)
            try:
                with self.autocast():
                    d_fake = self.D(torch.cat([A, fake], dim=1))
                gan = self.g_loss(d_fake.float())
            finally:
                self.D.requires_grad_(True)
            loss = loss + gan
            logs["loss_G_GAN"] = gan.detach()
        self.opt_G.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_G.step()
        return {"loss_G": loss.detach(), **logs}

    def train_step(self, batch):
        """``batch = (A, B)``: one D update (when there is a D), then one G update, sharing G(A)."""
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise ValueError("Pix2PixTrainer trains on aligned pairs: pass batches (A, B), e.g. fit((A, B), ...)")
        A, B = (self._prepare(t) for t in batch)
        with self.autocast():
            fake = self.G(A)
        logs = {}
        if self.D is not None:
            logs.update(self.d_step(A, B, fake.detach()))
        logs.update(self.g_step(A, B, fake))
        return logs

    def translate(self, A: torch.Tensor, dropout: bool = False, batch_size: int = 256) -> torch.Tensor:
        """G(A) in eval mode (batch-norm running statistics) as float32 on the CPU; ``dropout=True`` keeps
        dropout on, so repeated calls give different outputs."""
        return self._run_eval(self.G, A, batch_size, dropout)
