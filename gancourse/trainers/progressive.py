"""Progressive growing as a trainer: :class:`GANTrainer` whose G, D and real batches follow a growth schedule.

    G, D = ProgressiveGenerator(max_size=16), ProgressiveDiscriminator(max_size=16)
    trainer = ProgressiveGANTrainer(G, D, GrowthSchedule(sizes=(4, 8, 16), stable=200, fade=200), seed=0)
    trainer.fit(images_16x16, steps=trainer.schedule.total_steps, batch_size=32)
    trainer.history["size"], trainer.history["alpha"]          # the stage of every step

Before each step, :meth:`ProgressiveGANTrainer.forward` reads the step's (size, alpha) from the schedule, sets
both players' stage, and turns the full-resolution real batch into what D should see at that stage: average-pooled
to ``size`` and, during a fade, faded like G's output (:func:`gancourse.models.progressive.fade_in_reals`). The
stage is a function of the step, so a checkpoint resumes at the right stage.
"""
from __future__ import annotations

import torch

from .. import validation
from ..models.progressive import (GrowthSchedule, ProgressiveDiscriminator, ProgressiveGenerator, downsample,
                                  fade_in_reals)
from .gan import GANTrainer

__all__ = ["ProgressiveGANTrainer"]


class ProgressiveGANTrainer(GANTrainer):
    """Train a :class:`~gancourse.models.ProgressiveGenerator` and :class:`~gancourse.models.ProgressiveDiscriminator`
    through the stages of ``schedule`` (a :class:`~gancourse.models.progressive.GrowthSchedule`); the other
    arguments are :class:`GANTrainer`'s (ProGAN used Adam with betas (0, 0.99)). Logs ``size`` and ``alpha``."""

    def __init__(self, G, D, schedule: GrowthSchedule, *, betas=(0.0, 0.99), **kwargs):
        for name, model, cls in (("G", G, ProgressiveGenerator), ("D", D, ProgressiveDiscriminator)):
            if not isinstance(model, cls):
                raise validation.ArgumentError(f"{name} must be a {cls.__name__} (it grows with the schedule), got "
                                               f"{type(model).__name__}")
        if not isinstance(schedule, GrowthSchedule):
            raise validation.ArgumentError(f"schedule must be a GrowthSchedule (sizes, stable and fade steps), got "
                                           f"{validation.shown(schedule)}")
        if not set(schedule.sizes) <= set(G.sizes) & set(D.sizes):
            raise validation.ArgumentError(f"schedule's sizes {schedule.sizes} must be sizes that G and D are built "
                                           f"for (G: {G.sizes}, D: {D.sizes})")
        super().__init__(G, D, betas=betas, **kwargs)
        self.schedule = schedule
        self.stage = schedule(0)
        self._set_stage(*self.stage)

    def _set_stage(self, size: int, alpha: float) -> None:
        self.stage = (size, alpha)
        self.G.set_stage(size, alpha)
        self.D.set_stage(size, alpha)

    def forward(self, real):
        """Set this step's stage and return the real batch as D sees it there (pooled to size, faded)."""
        self._set_stage(*self.schedule(self.global_step))
        real = super().forward(real)  # checked (a floating tensor, finite on the CPU) and on the device
        side = self.schedule.sizes[-1]
        if real.ndim != 4 or tuple(real.shape[-2:]) != (side, side):
            raise validation.ArgumentError(f"batch must be images (B, C, {side}, {side}), the schedule's last size "
                                           f"(the data are pooled to each stage's size), got shape "
                                           f"{tuple(real.shape)}")
        return fade_in_reals(downsample(real, self.stage[0]), self.stage[1])

    def g_step(self, real) -> dict[str, torch.Tensor]:
        size, alpha = self.stage
        return {**super().g_step(real), "size": float(size), "alpha": float(alpha)}
