"""The trainer contract that every GAN in the course follows.

A trainer owns its models, optimizers, step counter, random generators and history::

    logs = trainer.step(real)        # {"step": n, "loss_D": ..., "loss_G": ...}: plain floats
    trainer.fit(data, steps=n, batch_size=256, callbacks=[LivePlot(every=50)])
    trainer.save_checkpoint("run.pt"); trainer.load_checkpoint("run.pt")  # resume exactly

Every GAN is three hooks, in the spirit of the reference Pix2Pix/CycleGAN code (``set_input``/``forward``,
``backward_D``, ``backward_G``), and one training step written once, here (:meth:`Trainer.train_step`)::

    batch = trainer.forward(batch)      # on the device (channels_last where it applies), plus what both updates share
    logs_D = trainer.d_step(batch)      # k times: the later ones on fresh batches while fitting
    logs_G = trainer.g_step(batch)      # with D frozen: frozen(D)

``d_step`` and ``g_step`` take the same argument (what ``forward`` returned) and return dicts of scalar tensors.
A subclass overrides only the hooks its method changes (``g_first`` runs the G step first, as CycleGAN does).
The trainer turns the logged tensors into floats in one transfer every ``sync_every`` steps (every step on the
CPU, every 50 on a GPU, so a GPU is not synchronised each step), checks them for NaN/inf and names the step
where training diverged.
"""
from __future__ import annotations

import math
import os
from collections.abc import Iterable

import torch

from .. import validation
from ..config import device as best_device
from ..config import progress as progress_bar
from ..contexts import eval_mode
from .blocks import Callback, Checkpoint, History, LinearDecay, _FunctionCallback, adam, frozen, grad_norm
from .sampling import make_sampler, to_device
from .state import atomic_save, load_state, rng_state, set_rng_state

__all__ = [
    "Trainer", "Callback", "Checkpoint", "TrainingDiverged", "History", "LinearDecay", "adam", "grad_norm",
    "frozen",
]


class TrainingDiverged(FloatingPointError):
    """Raised when a logged loss becomes NaN or infinite; the message names the step."""


# ---------------------------------------------------------------------------------------------- the contract
class Trainer:
    """Base class. Subclasses register models and optimizers in ``self.models`` / ``self.optimizers`` and
    implement the hooks :meth:`d_step` and :meth:`g_step` (and, when a step shares work between them,
    :meth:`forward`).

    Args:
        device: where to train (default: :func:`gancourse.device`).
        seed: seeds the trainer's own generators (noise ``z`` and data sampling).
        amp: bf16 autocast; default on for CUDA, off elsewhere.
        sync_every: steps between host-device synchronisations in ``fit`` (default 1 on CPU, 50 on GPU).
        channels_last: store models (:meth:`place`) and image batches (:meth:`forward`) NHWC, faster convolutions
            on tensor-core GPUs; ``None`` (the default): on for CUDA, off elsewhere.

    Attributes:
        k: D steps per G step (a validated positive integer).
        g_first: class attribute; True runs the G step before the D steps (CycleGAN's order).
    """

    g_first: bool = False
    k = validation.Checked(validation.positive_int, "k (D steps per G step)", doc="D steps per G step.")

    def __init__(self, *, device=None, seed: int = 0, amp: bool | None = None, sync_every: int | None = None,
                 channels_last: bool | None = None):
        self.device = torch.device(device) if device is not None else best_device()
        self.amp = (self.device.type == "cuda") if amp is None else validation.boolean("amp", amp)
        default_sync = 1 if self.device.type == "cpu" else 50
        self.sync_every = default_sync if sync_every is None else validation.positive_int("sync_every", sync_every)
        self.channels_last = (self.device.type == "cuda" if channels_last is None
                              else validation.boolean("channels_last", channels_last))
        seed = validation.seed("seed", seed)
        self.rng = torch.Generator(device=self.device).manual_seed(seed)
        self.data_rng = torch.Generator().manual_seed(seed + 1)
        self.k = 1
        self.models: dict[str, torch.nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.schedulers: dict[str, object] = {}
        self.global_step = 0
        self.history = History()
        self._draw = None  # the batch source while fit() runs

    # ------------------------------------------------------------------ the hooks
    def forward(self, batch):
        """Prepare a batch once per step (the reference's ``set_input`` + ``forward``): here :meth:`prepare`.
        Subclasses check its form and add what both updates share (Pix2Pix: G(A))."""
        return self.prepare(batch)

    def d_step(self, batch) -> dict[str, torch.Tensor]:
        """One update of the discriminator(s) on what :meth:`forward` returned; scalar tensors to log."""
        raise NotImplementedError

    def g_step(self, batch) -> dict[str, torch.Tensor]:
        """One update of the generator(s) on what :meth:`forward` returned; scalar tensors to log."""
        raise NotImplementedError

    # ------------------------------------------------------------------ one step, for every GAN
    def train_step(self, batch) -> dict[str, torch.Tensor]:
        """``k`` D steps (each later one on a fresh batch while fitting, else on the same batch), then one G step;
        with ``g_first`` the G step comes first. Returns the logs of the last D step and of the G step."""
        batch = self.forward(batch)
        if self.g_first:
            logs_G = self.g_step(batch)
            return {**logs_G, **self._d_steps(batch)}
        logs_D = self._d_steps(batch)
        return {**logs_D, **self.g_step(batch)}

    def _d_steps(self, batch) -> dict[str, torch.Tensor]:
        logs = {}
        for i in range(self.k):
            fresh = self.next_batch() if i > 0 else None
            logs = self.d_step(batch if fresh is None else self.forward(fresh))
        return logs

    # ------------------------------------------------------------------ helpers for the hooks
    def prepare(self, batch):
        """``batch`` (a tensor or a tuple of them) on the trainer's device, image batches NHWC when ``channels_last``:
        the one place that decides where and how data meets the models."""
        return to_device(batch, self.device, self.channels_last)

    def place(self, model: torch.nn.Module) -> torch.nn.Module:
        """``model`` on the trainer's device, NHWC when ``channels_last``."""
        fmt = torch.channels_last if self.channels_last else torch.contiguous_format
        return model.to(self.device, memory_format=fmt)

    def autocast(self):
        """bf16 autocast on CUDA when ``amp`` is on; a no-op context otherwise."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp)

    def update(self, name: str, loss: torch.Tensor, *, inputs=None, norm: bool = False) -> torch.Tensor | None:
        """One update of optimizer ``name``: zero its gradients, back-propagate ``loss`` (into ``inputs`` only,
        when given), step. With ``norm=True`` returns the global gradient norm of its parameters before the step."""
        opt = self.optimizers[name]
        opt.zero_grad(set_to_none=True)
        loss.backward(inputs=inputs)
        out = grad_norm(p for group in opt.param_groups for p in group["params"]) if norm else None
        opt.step()
        return out

    @torch.no_grad()
    def infer(self, model: torch.nn.Module, *inputs: torch.Tensor, batch_size: int | None = None,
              dropout: bool = False) -> torch.Tensor:
        """``model(*inputs)`` in eval mode (put back after), in chunks of ``batch_size``, as float32 on the CPU.
        ``dropout=True`` keeps dropout on as noise (Pix2Pix does so at test time too)."""
        n = len(inputs[0])
        size = n if batch_size is None else validation.positive_int("batch_size", batch_size)
        out = []
        with eval_mode(model):
            if dropout:
                for m in model.modules():
                    if isinstance(m, torch.nn.Dropout):
                        m.train()
            for i in range(0, max(n, 1), max(size, 1)):  # an empty input still runs the model once
                chunk = self.prepare(tuple(x[i:i + size] for x in inputs))
                with self.autocast():
                    out.append(model(*chunk).float().cpu())
        return (out[0] if len(out) == 1 else torch.cat(out)).contiguous()

    def set_learning_rates(self, **rates: float) -> "Trainer":
        """Set learning rates by optimizer name, e.g. ``trainer.set_learning_rates(D=1e-3, G=2e-3)``; with a
        schedule (:meth:`decay_learning_rates`) the new rate is also its base rate. Returns the trainer."""
        checked = {validation.choice("optimizer", name, self.optimizers): validation.positive(f"lr of {name}", lr)
                   for name, lr in rates.items()}
        for name, lr in checked.items():
            for group in self.optimizers[name].param_groups:
                group["lr"] = lr
            if name in self.schedulers:
                self.schedulers[name].base_lrs = [lr] * len(self.optimizers[name].param_groups)
        return self

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
        pending = [self._run_step(batch)]
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
        steps = validation.nonneg_int("steps", steps)
        callbacks = [cb if isinstance(cb, Callback) else _FunctionCallback(cb) for cb in callbacks]
        self._draw = make_sampler(data, batch_size, self.data_rng, self.device)
        bar = progress_bar(desc=type(self).__name__, total=steps) if progress else None
        pending = []
        try:
            for i in range(steps):
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
            "rng": rng_state(self),
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
        set_rng_state(self, state["rng"])

    def save_checkpoint(self, path: str | os.PathLike) -> None:
        """Write models, optimizers, schedulers, RNG states, history and step atomically to ``path``."""
        atomic_save(self.state_dict(), path)

    def load_checkpoint(self, path: str | os.PathLike) -> "Trainer":
        """Restore everything :meth:`save_checkpoint` wrote; the next ``fit`` continues exactly where it stopped."""
        self.load_state_dict(load_state(path))
        return self
