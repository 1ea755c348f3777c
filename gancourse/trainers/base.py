"""The trainer contract that every GAN in the course follows.

A trainer owns its models, optimizers, step counter, random generators and history::

    logs = trainer.step(real)        # {"step": n, "loss_D": ..., "loss_G": ...}: plain floats
    trainer.fit(data, steps=n, batch_size=256, callbacks=[LivePlot(every=50)])
    trainer.save_checkpoint("run.pt"); trainer.load_checkpoint("run.pt")  # resume exactly

Subclasses implement ``train_step(batch) -> dict of scalar tensors``. The trainer turns those tensors into
floats in one transfer every ``sync_every`` steps (every step on the CPU, every 50 on a GPU, so a GPU is not
synchronised each step), checks them for NaN/inf and names the step where training diverged.
"""
from __future__ import annotations

import contextlib
import itertools
import math
import os
import random
import tempfile
from collections.abc import Callable, Iterable

import numpy as np
import torch

from ..config import device as best_device
from ..config import progress as progress_bar

__all__ = [
    "Trainer", "Callback", "Checkpoint", "TrainingDiverged", "History", "make_sampler", "adam",
    "atomic_save", "load_state", "LinearDecay",
]


class TrainingDiverged(FloatingPointError):
    """Raised when a logged loss becomes NaN or infinite; the message names the step."""


class History(dict):
    """Logged values, one list per key, aligned with ``history["step"]``."""

    def append(self, logs: dict) -> None:
        for key, value in logs.items():
            self.setdefault(key, []).append(value)

    def last(self, key: str, n: int = 1) -> float:
        """Mean of the last ``n`` logged values of ``key``."""
        values = self[key][-n:]
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
    """Save the trainer atomically to ``path`` every ``every`` steps and at the end of ``fit``."""

    def __init__(self, path: str | os.PathLike, every: int = 500):
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        self.path, self.every = path, every

    def on_step(self, trainer, logs):
        trainer.save_checkpoint(self.path)

    def on_fit_end(self, trainer):
        trainer.save_checkpoint(self.path)


def adam(params, lr: float, betas=(0.5, 0.999), device: torch.device | None = None, **kwargs) -> torch.optim.Adam:
    """Adam, fused into one kernel on CUDA (fewer launches per step); plain on the CPU."""
    if not lr > 0:
        raise ValueError(f"learning rate must be positive, got {lr!r}")
    fused = device is not None and torch.device(device).type == "cuda"
    return torch.optim.Adam(params, lr=lr, betas=betas, fused=fused or None, **kwargs)


def make_sampler(data, batch_size: int | None, generator: torch.Generator, device: torch.device) -> Callable:
    """Turn ``data`` into a zero-argument function that returns the next batch on ``device``.

    ``data`` may be a toy distribution (anything with ``sample(n, generator)`` returning a tensor or a tuple of
    tensors, such as ``gancourse.data.scenes.Unpaired``), a tensor or a *tuple* of
    tensors of equal length such as ``(images, labels)`` (minibatches drawn with replacement, so no epoch
    state is needed to resume), or any other iterable of batches, e.g. a list or a DataLoader (cycled;
    not resumable bit-for-bit).
    """
    if hasattr(data, "sample"):
        _need_batch_size(batch_size)
        return lambda: _to_device(data.sample(batch_size, generator=generator), device)  # a tensor or a tuple
    if isinstance(data, torch.Tensor) or (
        isinstance(data, tuple) and data and all(isinstance(t, torch.Tensor) for t in data)
    ):
        tensors = (data,) if isinstance(data, torch.Tensor) else tuple(data)
        n = len(tensors[0])
        if n == 0 or any(len(t) != n for t in tensors):
            raise ValueError(f"dataset tensors must be non-empty and of equal length, got {[len(t) for t in tensors]}")
        _need_batch_size(batch_size)

        def draw():
            idx = torch.randint(n, (batch_size,), generator=generator)
            batch = tuple(t[idx.to(t.device, non_blocking=True)].to(device, non_blocking=True) for t in tensors)
            return batch[0] if isinstance(data, torch.Tensor) else batch

        return draw
    if isinstance(data, Iterable):
        it = itertools.cycle(data)
        return lambda: _to_device(next(it), device)
    raise ValueError(
        f"cannot draw batches from {type(data).__name__}; pass a toy distribution, a tensor, a tuple of tensors "
        "or an iterable of batches"
    )


def _need_batch_size(batch_size):
    if batch_size is None or isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")


def _to_device(batch, device):
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (tuple, list)):
        return type(batch)(_to_device(b, device) for b in batch)
    return batch


def atomic_save(obj, path: str | os.PathLike) -> None:
    """``torch.save`` to a temporary file in the same folder, flush it to disk, then rename over ``path``.

    A crash mid-write leaves the previous checkpoint intact, never a truncated one.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pt", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def load_state(path: str | os.PathLike) -> dict:
    """Load a checkpoint with ``weights_only=True`` (no arbitrary code from the file runs)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {os.fspath(path)!r}")
    return torch.load(path, map_location="cpu", weights_only=True)


def _rng_state(trainer) -> dict:
    np_state = np.random.get_state()
    py_state = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "trainer": trainer.rng.get_state(),
        "data": trainer.data_rng.get_state(),
        "numpy": {"keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached": float(np_state[4])},
        "python": {"version": py_state[0], "state": torch.tensor(py_state[1], dtype=torch.int64)},
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(trainer, state: dict) -> None:
    torch.set_rng_state(state["torch"])
    trainer.rng.set_state(state["trainer"])
    trainer.data_rng.set_state(state["data"])
    npst = state["numpy"]
    np.random.set_state(("MT19937", npst["keys"].numpy().astype(np.uint32), npst["pos"], npst["has_gauss"],
                         npst["cached"]))
    py = state["python"]
    random.setstate((py["version"], tuple(py["state"].tolist()), None))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class LinearDecay:
    """The learning-rate factor of the Pix2Pix/CycleGAN schedule, for ``torch.optim.lr_scheduler.LambdaLR``
    (see :meth:`Trainer.decay_learning_rates`).

    factor(t) = 1 for t <= constant_steps, then 1 - (t - constant_steps) / (decay_steps + 1), never below 0:
    the rate holds for ``constant_steps`` steps then falls linearly towards 0 over ``decay_steps`` more (the
    reference code's ``lambda_rule``, counted in steps instead of epochs). A class, not a lambda, so its
    state goes into checkpoints.
    """

    def __init__(self, constant_steps: int, decay_steps: int):
        for name, v in (("constant_steps", constant_steps), ("decay_steps", decay_steps)):
            if isinstance(v, bool) or int(v) != v or v < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
        self.constant_steps, self.decay_steps = int(constant_steps), int(decay_steps)

    def __call__(self, t: int) -> float:
        return max(0.0, 1.0 - max(0, t - self.constant_steps) / (self.decay_steps + 1))


class Trainer:
    """Base class. Subclasses register models and optimizers in ``self.models`` / ``self.optimizers`` and
    implement :meth:`train_step`.

    Args:
        device: where to train (default: :func:`gancourse.device`).
        seed: seeds the trainer's own generators (noise ``z`` and data sampling).
        amp: bf16 autocast; default on for CUDA, off elsewhere.
        sync_every: steps between host-device synchronisations in ``fit`` (default 1 on CPU, 50 on GPU).
    """

    def __init__(self, *, device=None, seed: int = 0, amp: bool | None = None, sync_every: int | None = None):
        self.device = torch.device(device) if device is not None else best_device()
        self.amp = (self.device.type == "cuda") if amp is None else bool(amp)
        self.sync_every = sync_every or (1 if self.device.type == "cpu" else 50)
        if self.sync_every < 1:
            raise ValueError(f"sync_every must be >= 1, got {sync_every}")
        self.rng = torch.Generator(device=self.device).manual_seed(seed)
        self.data_rng = torch.Generator().manual_seed(seed + 1)
        self.models: dict[str, torch.nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.schedulers: dict[str, object] = {}
        self.global_step = 0
        self.history = History()
        self._draw = None  # the batch source while fit() runs

    # ------------------------------------------------------------------ to override
    def train_step(self, batch) -> dict[str, torch.Tensor]:
        """One training step on ``batch``; return scalar tensors (detached) to log."""
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers for subclasses
    def autocast(self):
        """bf16 autocast on CUDA when ``amp`` is on; a no-op context otherwise."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp)

    def decay_learning_rates(self, decay_steps: int, constant_steps: int | None = 0) -> "Trainer":
        """Hold every optimizer's learning rate for ``constant_steps`` steps, then let it fall linearly to 0 over
        ``decay_steps`` more: one :class:`LinearDecay` scheduler per optimizer, stepped once per training step
        and saved in checkpoints. ``decay_steps`` 0 adds no schedule."""
        if decay_steps:
            for name, opt in self.optimizers.items():
                rule = LinearDecay(constant_steps or 0, decay_steps)
                self.schedulers[name] = torch.optim.lr_scheduler.LambdaLR(opt, rule)
        return self

    def next_batch(self):
        """A fresh batch from the data being fitted (for k D steps per G step), or None outside ``fit``."""
        return self._draw() if self._draw is not None else None

    # ------------------------------------------------------------------ the loop
    def step(self, batch) -> dict[str, float]:
        """Run one training step and return its logs as plain floats (this synchronises a GPU)."""
        pending = [self._run_step(_to_device(batch, self.device))]
        return self._flush(pending)[-1]

    def _run_step(self, batch):
        for m in self.models.values():
            m.train()
        logs = self.train_step(batch)
        self.global_step += 1
        for sched in self.schedulers.values():
            sched.step()
        return self.global_step, logs

    def _flush(self, pending) -> list[dict]:
        keys = list(pending[0][1].keys())
        values = torch.stack([
            torch.stack([torch.as_tensor(logs[k], device=self.device).detach().float().reshape(()) for k in keys])
            for _, logs in pending
        ]).cpu().tolist()  # the one host-device synchronisation
        out = []
        for (step, _), row in zip(pending, values):
            logs = {"step": step, **dict(zip(keys, row))}
            bad = [k for k, v in logs.items() if not math.isfinite(v)]
            if bad:
                raise TrainingDiverged(
                    f"training diverged at step {step}: {', '.join(f'{k} = {logs[k]}' for k in bad)}. "
                    "Try a lower learning rate, a smaller batch, or the non-saturating loss."
                )
            self.history.append(logs)
            out.append(logs)
        return out

    def fit(self, data, steps: int, batch_size: int | None = None, callbacks: Iterable = (),
            progress: bool = True) -> History:
        """Train for ``steps`` more steps on batches drawn from ``data`` (see :func:`make_sampler`)."""
        if isinstance(steps, bool) or int(steps) != steps or steps < 0:
            raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
        callbacks = [cb if isinstance(cb, Callback) else _FunctionCallback(cb) for cb in callbacks]
        self._draw = make_sampler(data, batch_size, self.data_rng, self.device)
        bar = progress_bar(desc=type(self).__name__, total=steps) if progress else None
        pending = []
        try:
            for i in range(int(steps)):
                pending.append(self._run_step(self._draw()))
                if len(pending) >= self.sync_every or i == steps - 1:
                    for logs in self._flush(pending):
                        for cb in callbacks:
                            if logs["step"] % cb.every == 0:
                                cb.on_step(self, logs)
                    if bar is not None:
                        bar.update(len(pending))
                        bar.set_postfix({k: f"{v:.3g}" for k, v in logs.items() if k.startswith("loss")})
                    pending = []
            for cb in callbacks:
                cb.on_fit_end(self)
        finally:
            self._draw = None
            if bar is not None:
                bar.close()
        return self.history

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict:
        return {
            "step": self.global_step,
            "models": {k: m.state_dict() for k, m in self.models.items()},
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "schedulers": {k: s.state_dict() for k, s in self.schedulers.items()},
            "history": {k: list(v) for k, v in self.history.items()},
            "rng": _rng_state(self),
        }

    def load_state_dict(self, state: dict) -> None:
        for group in ("models", "optimizers", "schedulers"):
            mine, theirs = getattr(self, group), state[group]
            if set(mine) != set(theirs):
                raise ValueError(f"checkpoint {group} {sorted(theirs)} do not match this trainer's {sorted(mine)}")
            for k, obj in mine.items():
                obj.load_state_dict(theirs[k])
        self.global_step = int(state["step"])
        self.history = History({k: list(v) for k, v in state["history"].items()})
        _set_rng_state(self, state["rng"])

    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Write models, optimizers, schedulers, RNG states, history and step atomically to ``path``."""
        atomic_save(self.state_dict(), path)

    def load_checkpoint(self, path: str | os.PathLike) -> "Trainer":
        """Restore everything :meth:`save_checkpoint` wrote; the next ``fit`` continues exactly where it stopped."""
        self.load_state_dict(load_state(path))
        return self
