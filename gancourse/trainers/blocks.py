"""The parts every trainer is built from: the history of logged values, callbacks (and the :class:`Checkpoint`
callback), Adam as the course sets it up, the global gradient norm, :func:`frozen` for D during G's update, and
the linear learning-rate decay of Pix2Pix/CycleGAN."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

import torch

from .. import validation

if TYPE_CHECKING:
    from .base import Trainer

__all__ = ["History", "Callback", "Checkpoint", "as_callback", "adam", "grad_norm", "frozen", "LinearDecay"]


class History(dict):
    """Logged values, one list per key, aligned with ``history["step"]``."""

    def append(self, logs: dict) -> None:
        for key, value in logs.items():
            self.setdefault(key, []).append(value)

    def last(self, key: str, n: int = 1) -> float:
        """Mean of the last ``n`` logged values of ``key``."""
        if not isinstance(key, str) or key not in self:
            raise validation.ArgumentError(f"key must be one of the logged names {', '.join(self)}, got {key!r}")
        values = self[key][-validation.positive_int("n", n):]
        return sum(values) / len(values)


class Callback:
    """Called after logged steps. Override ``on_step`` and optionally ``on_fit_end``; ``every`` thins the calls."""

    every: int = 1

    def on_step(self, trainer: "Trainer", logs: dict) -> None:
        pass

    def on_fit_end(self, trainer: "Trainer") -> None:
        pass


class _FunctionCallback(Callback):
    def __init__(self, fn, every=1):
        self.fn, self.every = fn, every

    def on_step(self, trainer, logs):
        self.fn(trainer, logs)


class Checkpoint(Callback):
    """Save the trainer atomically to ``path`` every ``every`` steps and at the end of ``fit`` (only finite states
    reach it: a step that diverged is undone before the callbacks run)."""

    def __init__(self, path: str | os.PathLike, every: int = 500):
        self.path, self.every = validation.path("path", path), validation.positive_int("every", every)

    def on_step(self, trainer, logs):
        trainer.save_checkpoint(self.path)

    def on_fit_end(self, trainer):
        trainer.save_checkpoint(self.path)


# ---------------------------------------------------------------------------------------------- update blocks
def adam(params, lr: float, betas=(0.5, 0.999), device: torch.device | None = None, *, name: str = "lr",
         **kwargs) -> torch.optim.Adam:
    """Adam, fused into one kernel on CUDA (fewer launches per step); plain on the CPU. ``name``: how errors call
    the learning rate (``"lr_d (D's learning rate)"``)."""
    params = _parameters(params)
    lr, betas = validation.positive(name, lr), validation.betas("betas", betas)
    fused = device is not None and validation.device("device", device).type == "cuda"
    return torch.optim.Adam(params, lr=lr, betas=betas, fused=fused or None, **kwargs)


def _parameters(params) -> list[torch.Tensor]:
    if isinstance(params, (str, bytes, torch.Tensor)) or not isinstance(params, Iterable):
        raise validation.ArgumentError(f"params must be an iterable of parameters (model.parameters()), got "
                                       f"{validation.shown(params)}")
    params = list(params)
    if not params or not all(isinstance(p, torch.Tensor) for p in params):
        raise validation.ArgumentError("params must hold at least one parameter, all tensors "
                                       "(model.parameters())")
    return params


def grad_norm(params) -> torch.Tensor:
    """The global L2 norm of the gradients of ``params`` (a tensor, so no GPU sync)."""
    if not isinstance(params, Iterable) or isinstance(params, (str, bytes, torch.Tensor)):
        raise validation.ArgumentError(f"params must be an iterable of parameters, got {validation.shown(params)}")
    grads = [p.grad for p in params if validation.tensor("params", p, floating=False, finite=False,
                                                          nonempty=False).grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))


@contextlib.contextmanager
def frozen(*modules: torch.nn.Module):
    """Switch off ``requires_grad`` of every parameter of ``modules`` inside the block (D during G's update:
    the gradient reaches G through D, but D's weights collect none), then put back each parameter's own flag,
    also when the block raises."""
    params = [p for m in modules if m is not None for p in validation.module("modules", m).parameters()]
    flags = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in zip(params, flags):
            p.requires_grad_(flag)


class LinearDecay:
    """The learning-rate factor of the Pix2Pix/CycleGAN schedule, for ``torch.optim.lr_scheduler.LambdaLR``
    (see :meth:`Trainer.decay_learning_rates`).

    factor(t) = 1 for t <= constant_steps, then 1 - (t - constant_steps) / (decay_steps + 1), never below 0:
    the rate holds for ``constant_steps`` steps then falls linearly towards 0 over ``decay_steps`` more (the
    reference code's ``lambda_rule``, counted in steps instead of epochs). A class, not a lambda, so its
    state goes into checkpoints.
    """

    def __init__(self, constant_steps: int, decay_steps: int):
        self.constant_steps = validation.nonneg_int("constant_steps", constant_steps)
        self.decay_steps = validation.nonneg_int("decay_steps", decay_steps)

    def __call__(self, t: int) -> float:
        return max(0.0, 1.0 - max(0, t - self.constant_steps) / (self.decay_steps + 1))


def as_callback(cb) -> Callback:
    """A :class:`Callback` as it is, a function ``fn(trainer, logs)`` wrapped into one; anything else refused."""
    if isinstance(cb, Callback):
        return cb
    if not callable(cb):
        raise validation.ArgumentError(f"callbacks must be Callback objects or functions (trainer, logs), got {cb!r}")
    return _FunctionCallback(cb)
