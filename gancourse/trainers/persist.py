"""The trainer's state: what :class:`~gancourse.trainers.base.Trainer` saves, checks and loads, whole or not at all.

A mixin of ``Trainer`` (``base.py`` holds the contract and the loop; this file its memory): ``state_dict`` and
``load_state_dict``, ``save_checkpoint`` (atomic, checksummed, refused for non-finite weights) and
``load_checkpoint`` (verified and compared with the live trainer before anything is copied; see ``checkpoint.py``).
"""
from __future__ import annotations

import copy
import math
import os
import warnings

from .. import validation
from .blocks import History
from .checkpoint import (CheckpointError, check_state, encode, learning_rates, misfit, read_checkpoint,
                         set_learning_rates)
from .guard import TrainingDiverged, finite_sum, first_nonfinite, model_tensors, optimizer_tensors
from .state import rng_state, set_rng_state, write_atomically

__all__ = ["Persistent"]


class Persistent:
    """Saving and loading for :class:`~gancourse.trainers.base.Trainer` (which sets ``models``, ``optimizers``,
    ``schedulers``, ``history``, ``global_step`` and ``device``)."""

    def state_dict(self) -> dict:
        return {
            "step": self.global_step,
            "models": {k: m.state_dict() for k, m in self.models.items()},
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "schedulers": {k: s.state_dict() for k, s in self.schedulers.items()},
            "history": {k: list(v) for k, v in self.history.items()},
            "rng": rng_state(self),
        }

    def check_extra_state(self, state: dict) -> list[str]:
        """What a subclass adds to :meth:`state_dict` (CycleGAN: its image pools), checked before anything loads:
        a list of problems, empty when it fits."""
        return []

    def load_extra_state(self, state: dict) -> None:
        """Load what a subclass added to :meth:`state_dict` (called after everything else loaded)."""

    def load_state_dict(self, state: dict) -> None:
        """Load a :meth:`state_dict`, whole or not at all: everything is checked against this trainer first
        (:func:`~gancourse.trainers.checkpoint.check_state`: :class:`CheckpointError` listing what does not fit,
        nothing loaded), and should loading still fail midway, the trainer is put back as it was."""
        problems = check_state(self, state)
        if problems:
            raise CheckpointError(misfit("the state", problems))
        self._load_checked(state)

    def _load_checked(self, state: dict, trainer_rng: bool = True) -> None:
        before = copy.deepcopy(self.state_dict())
        try:
            self._apply_state(state, trainer_rng)
        except Exception as e:
            self._apply_state(before, True)
            raise CheckpointError(f"loading failed midway ({type(e).__name__}: {e}); the trainer is back as it "
                                  "was") from e
        self._last_finite = None

    def _apply_state(self, state: dict, trainer_rng: bool) -> None:
        for group in ("models", "optimizers", "schedulers"):
            for k, obj in getattr(self, group).items():
                obj.load_state_dict(state[group][k])
        self.global_step = int(state["step"])
        self.history = History({k: list(v) for k, v in state["history"].items()})
        set_rng_state(self, state["rng"], trainer_rng)
        self.load_extra_state(state)

    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Write models, optimizers, schedulers, RNG states, history and step atomically to ``path``, with a
        checksum. Refused (:class:`TrainingDiverged`, the file on disk unchanged) when a weight or an optimizer
        state holds NaN or inf."""
        path = validation.path("path", path)
        named = [*model_tensors(self), *optimizer_tensors(self)]
        broken = None if math.isfinite(float(finite_sum(t for _, t in named))) else first_nonfinite(named)
        if broken is not None:
            raise TrainingDiverged(f"refusing to save {str(path)!r}: {broken} holds NaN or infinite values (the file "
                                   "on disk is unchanged)", step=self.global_step, cause="weights")
        write_atomically(encode(self.state_dict(), kind=type(self).__qualname__, device=self.device.type), path)

    def load_checkpoint(self, path: str | os.PathLike, keep_optimizer_lr: bool = True) -> "Trainer":
        """Restore everything :meth:`save_checkpoint` wrote; the next ``fit`` continues exactly where it stopped.

        The file is verified (checksum, format) and compared with this trainer (kind, models, every tensor's shape
        and dtype, optimizers, schedulers) before anything is copied: a file that is damaged, truncated, of
        another trainer or not a checkpoint raises :class:`CheckpointError` and leaves the trainer unchanged.
        ``keep_optimizer_lr=False`` keeps the learning rates this trainer has now (those given to its
        constructor, or set since) instead of the checkpoint's, schedules included: resume a diverged run with a
        lower rate. A checkpoint from another device type (cuda -> cpu) loads with a warning: the trainer's
        noise generator cannot move between them, so the run goes on, not bit-for-bit.
        """
        keep = validation.boolean("keep_optimizer_lr", keep_optimizer_lr)
        header, state = read_checkpoint(path)
        problems = check_state(self, state, header)
        if problems:
            raise CheckpointError(misfit(f"the checkpoint {str(path)!r}", problems))
        same_device = header.get("device") == self.device.type
        if not same_device:
            warnings.warn(f"{str(path)!r} was saved on {header.get('device')}, this trainer is on "
                          f"{self.device.type}: its noise generator starts afresh, so the run does not continue "
                          "bit-for-bit", stacklevel=2)
        rates = None if keep else learning_rates(self)
        self._load_checked(state, trainer_rng=same_device)
        if rates is not None:
            set_learning_rates(self, rates)
        return self
