"""An exponential moving average of G's weights (Yazici et al. 2019), kept by ``torch.optim.swa_utils``.

    ema = EMA(decay=0.999)
    trainer.fit(data, steps=n, batch_size=256, callbacks=[ema])
    samples = ema.sample(trainer, 2500)          # from the averaged G, with the trainer's noise

GAN training often circles around an equilibrium instead of settling on it (lesson 11); the average of the
iterates sits nearer the centre of the circle than any one of them. The average is
``AveragedModel(G, multi_avg_fn=get_ema_multi_avg_fn(decay))``: w_ema <- decay w_ema + (1 - decay) w after each
step (the first step copies G). Buffers (BatchNorm statistics) are averaged too.
"""
from __future__ import annotations

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from .. import validation
from .base import Callback
from .gan import GANTrainer

__all__ = ["EMA"]


class EMA(Callback):
    """A callback that keeps an exponential moving average of ``trainer.G`` (attribute ``model`` once fitting starts).

    Args:
        decay: the weight of the old average, in [0, 1) (0.999 averages over about the last 1,000 steps).
        start: averaging starts after this step (the average begins as a copy of G then): G's first steps are far
            from where it ends.

    The average is updated once per training step, so it needs the trainer to report every step: ``sync_every=1``
    (the CPU default). It is not part of the trainer's checkpoint.
    """

    every = 1

    def __init__(self, decay: float = 0.999, start: int = 0):
        self.decay = validation.number("decay", decay, low=0, high=1, high_open=True)
        self.start = validation.nonneg_int("start", start)
        self.model: AveragedModel | None = None
        self._last_step = None

    def on_step(self, trainer, logs):
        if getattr(trainer, "sync_every", 1) != 1:
            raise ValueError("EMA updates after every step: build the trainer with sync_every=1")
        if logs["step"] == self._last_step:
            return
        self._last_step = logs["step"]
        if logs["step"] <= self.start:
            return
        if self.model is None:  # its first update copies G; later ones average
            self.model = AveragedModel(trainer.G, multi_avg_fn=get_ema_multi_avg_fn(self.decay), use_buffers=True)
        self.model.update_parameters(trainer.G)

    def weights(self, steps: int) -> torch.Tensor:
        """The weight the average holds on G after each of training steps 1..``steps``: a float64 tensor of shape
        (steps,), with the average after step ``steps`` equal to sum_t weights[t - 1] G_t (all zeros while it is empty).

        The copy of G after step start + 1 keeps decay^(steps - start - 1), and each later step t gets
        (1 - decay) decay^(steps - t); they sum to 1. Averaging a measurement of G with these weights compares G with
        the EMA over the same iterates (lesson 11): an average of G's last few steps is a different window.
        """
        steps = validation.nonneg_int("steps", steps)
        w = torch.zeros(steps, dtype=torch.float64)
        n = steps - self.start
        if n > 0:
            w[self.start:] = (1 - self.decay) * self.decay ** torch.arange(n - 1, -1, -1, dtype=torch.float64)
            w[self.start] = self.decay ** (n - 1)
        return w

    @torch.no_grad()
    def sample(self, trainer, n: int, z: torch.Tensor | None = None) -> torch.Tensor:
        """n samples from the averaged G (eval mode), float32 on the CPU; noise from ``trainer.sample_z`` unless
        ``z`` (n, z_dim) is given. ``trainer``: the GANTrainer fitted with this callback."""
        if not isinstance(trainer, GANTrainer):
            raise validation.ArgumentError(f"trainer must be a GANTrainer (the one fitted with this callback), got "
                                           f"{validation.shown(trainer)}")
        if self.model is None:
            raise ValueError("the average is empty: fit the trainer with this callback first")
        n = validation.positive_int("n", n)
        z = trainer.sample_z(n) if z is None else trainer.check_noise(z, n)
        return trainer.infer(self.model.module, z, what="z")  # eval mode, z on the trainer's device, autocast
