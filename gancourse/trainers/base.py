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
CPU, every 50 on a GPU, so a GPU is not synchronised each step). The same transfer says whether the weights are
still finite (and, on a GPU, the data): a step whose data, losses or weights went NaN/inf, that overflowed, or
that raised midway is undone (the models and optimizers go back to the last finite state, see ``guard.py``) and
:class:`TrainingDiverged` names the step and the cause. Checkpoints are whole or refused (see ``checkpoint.py``).
"""
from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable

import torch

from .. import validation
from ..config import device as best_device
from ..config import progress as progress_bar
from ..contexts import eval_mode
from .blocks import Callback, Checkpoint, History, LinearDecay, adam, as_callback, frozen, grad_norm
from .checkpoint import CheckpointError
from .guard import LastFinite, TrainingDiverged, diverged, finite_sum, model_tensors
from .persist import Persistent
from .sampling import check_batch, make_sampler, to_device

__all__ = [
    "Trainer", "Callback", "Checkpoint", "TrainingDiverged", "CheckpointError", "History", "LinearDecay", "adam",
    "grad_norm", "frozen",
]


# ---------------------------------------------------------------------------------------------- the contract
class Trainer(Persistent):
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
    floating_parts: tuple | None = None  # which tensors of a tuple batch must be floating (default: the first)
    k = validation.Checked(validation.positive_int, "k (D steps per G step)", doc="D steps per G step.")

    def __init__(self, *, device=None, seed: int = 0, amp: bool | None = None, sync_every: int | None = None,
                 channels_last: bool | None = None):
        self.device = best_device(device) if device is not None else best_device()
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
        self._last_finite = None  # a LastFinite copy, made at the first step
        self._data_checks = None  # while a step runs on a GPU: one float64 sum per batch, checked at the next sync

    # ------------------------------------------------------------------ the hooks
    def forward(self, batch):
        """Check and prepare a batch once per step (the reference's ``set_input`` + ``forward``): here
        :meth:`check_batch`, then :meth:`prepare`. Subclasses check its form and add what both updates share
        (Pix2Pix: G(A))."""
        batch = self.prepare(self.check_batch(batch, self.floating_parts))
        self.check_data(batch)
        return batch

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
    def check_batch(self, batch, floating=None):
        """``batch`` refused with an :class:`~gancourse.validation.ArgumentError` unless it is a tensor or a
        tuple/list of tensors with samples along dimension 0, of one non-zero length (no NumPy arrays, nested lists,
        strings or None), the tensors named in ``floating`` (indices; default: all of a tensor, the first of a
        tuple) of a floating dtype. Floating tensors come back in the models' dtype (float16 data for float32
        models, say). Only shapes and dtypes are read here (no GPU synchronisation); NaN/inf in the data is caught
        by the step's check (at once on the CPU, at the next synchronisation on a GPU)."""
        return check_batch(batch, floating, self._dtype())

    def translate_batch(self, what: str, model: torch.nn.Module, x: torch.Tensor, name: str = "G") -> torch.Tensor:
        """``model(x)`` for a batch part ``what`` (e.g. ``"batch A"``); a batch that the model cannot take (wrong
        channels or size) raises an :class:`~gancourse.validation.ArgumentError` naming it, with torch's reason."""
        try:
            return model(x)
        except (RuntimeError, validation.ArgumentError) as e:
            if isinstance(e, torch.OutOfMemoryError) or "CUDA" in str(e) or "overflow" in str(e):
                raise
            raise validation.ArgumentError(f"{what} of shape {tuple(x.shape)} does not fit {name}: {e}") from e

    def _dtype(self) -> torch.dtype:
        for m in self.models.values():
            for p in m.parameters():
                if p.is_floating_point():
                    return p.dtype
        return torch.float32

    def check_data(self, batch) -> None:
        """NaN or inf in a prepared batch: :class:`TrainingDiverged` now on the CPU; on a GPU the check joins the
        next synchronisation (outside a step it is skipped)."""
        tensors = list(batch) if isinstance(batch, (tuple, list)) else [batch]
        if self.device.type == "cpu":
            if not math.isfinite(float(finite_sum(tensors))):
                raise TrainingDiverged("the data contain NaN or infinite values", cause="data")
        elif self._data_checks is not None:
            self._data_checks.append(finite_sum(tensors))

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
              dropout: bool = False, what: str = "inputs") -> torch.Tensor:
        """``model(*inputs)`` in eval mode (put back after), in chunks of ``batch_size``, as float32 on the CPU.
        ``dropout=True`` keeps dropout on as noise (Pix2Pix does so at test time too). Inputs the model cannot take
        raise an :class:`~gancourse.validation.ArgumentError` that calls them ``what``."""
        model, dropout = validation.module("model", model), validation.boolean("dropout", dropout)
        if not inputs:
            raise validation.ArgumentError("infer needs at least one input tensor")
        for x in inputs:
            validation.tensor(what, x, floating=False, finite=False, nonempty=False)
            if x.ndim == 0 or len(x) != len(inputs[0]):
                raise validation.ArgumentError(f"{what} must hold one sample per row, of one number, got shapes "
                                               f"{[tuple(t.shape) for t in inputs]}")
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
                    try:
                        y = model(*chunk)
                    except RuntimeError as e:
                        if isinstance(e, torch.OutOfMemoryError) or "CUDA" in str(e):
                            raise
                        raise validation.ArgumentError(f"{what} of shape {[tuple(t.shape) for t in inputs]} do(es) "
                                                       f"not fit the model: {e}") from e
                    out.append(y.float().cpu())
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
        decay_steps = validation.nonneg_int("decay_steps", decay_steps)
        constant_steps = validation.nonneg_int("constant_steps", constant_steps or 0)
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
        """Run one training step and return its logs as plain floats (this synchronises a GPU). A step that fails
        is undone (see :meth:`fit`)."""
        self._checkpoint_state()
        with self._undo_on_failure():
            pending = [self._run_step(batch)]
            return self._flush(pending)[-1]

    def _checkpoint_state(self):
        if self._last_finite is None:
            self._last_finite = LastFinite(self)
        self._last_finite.take()

    @contextlib.contextmanager
    def _undo_on_failure(self):
        try:
            yield
        except TrainingDiverged:
            raise
        except BaseException:  # a bad batch, an interrupt, an error in a hook: never leave half a step
            self._last_finite.restore()
            raise

    def _run_step(self, batch):
        for m in self.models.values():
            m.train()
        step = self.global_step + 1
        self._data_checks = [] if self.device.type != "cpu" else None
        try:
            logs = self.train_step(batch)
            if self._data_checks:
                logs = {**logs, "_data": torch.stack(self._data_checks).sum()}
        except TrainingDiverged as e:  # the data, found at once on the CPU
            raise self._diverged(step, e.cause or "loss", detail=str(e)) from None
        except RuntimeError as e:
            if "overflow" not in str(e):
                raise
            raise self._diverged(step, "overflow", detail=str(e)) from e
        finally:
            self._data_checks = None
        self.global_step = step
        for sched in self.schedulers.values():
            sched.step()
        return self.global_step, logs

    def _flush(self, pending) -> list[dict]:
        """The one host-device synchronisation: the logs of the pending steps and one finiteness sum of the weights
        come to the host together. A step with NaN/inf data or losses, or weights that went NaN/inf, raises
        :class:`TrainingDiverged` after going back to the last finite state."""
        keys = list(pending[0][1].keys())
        rows = torch.stack([
            torch.stack([torch.as_tensor(logs[k], device=self.device).detach().double().reshape(()) for k in keys])
            for _, logs in pending
        ])
        weights = finite_sum(t for _, t in model_tensors(self)).to(rows.device)
        flat = torch.cat([rows.flatten(), weights.reshape(1)]).cpu().tolist()
        out = []
        for i, (step, _) in enumerate(pending):
            logs = {"step": step, **dict(zip(keys, flat[i * len(keys):(i + 1) * len(keys)]))}
            if not math.isfinite(logs.pop("_data", 0.0)):
                raise self._diverged(step, "data")
            bad = [k for k, v in logs.items() if not math.isfinite(v)]
            if bad:
                raise self._diverged(step, "loss", logs={k: logs[k] for k in bad})
            out.append(logs)
        if not math.isfinite(flat[-1]):
            raise self._diverged(pending[-1][0], "weights")
        for logs in out:
            self.history.append(logs)
        return out

    def _diverged(self, step: int, cause: str, logs: dict | None = None, detail: str = "") -> TrainingDiverged:
        return diverged(self, step, cause, logs, detail)

    def fit(self, data, steps: int, batch_size: int | None = None, callbacks: Iterable = (),
            progress: bool = True) -> History:
        """Train for ``steps`` more steps on batches drawn from ``data`` (see :func:`make_sampler`).

        Every ``sync_every`` steps the logs reach the host and are checked, with the weights (and on a GPU the
        data), for NaN/inf; then the callbacks run, so a :class:`Checkpoint` only ever saves a finite state. When a
        step diverges (:class:`TrainingDiverged`) or raises (an interrupt, a bad batch), the trainer goes back to
        its state at the last check (on the CPU: the step before), history included.
        """
        steps = validation.nonneg_int("steps", steps)
        if isinstance(callbacks, (str, bytes)) or not isinstance(callbacks, Iterable):
            raise validation.ArgumentError(f"callbacks must be a list of callbacks, got {callbacks!r}")
        callbacks = [as_callback(cb) for cb in callbacks]
        progress = validation.boolean("progress", progress)
        self._draw = make_sampler(data, batch_size, self.data_rng, self.device)
        bar = progress_bar(desc=type(self).__name__, total=steps) if progress else None
        pending = []
        self._checkpoint_state()
        try:
            with self._undo_on_failure():
                for i in range(steps):
                    pending.append(self._run_step(self._draw()))
                    if len(pending) >= self.sync_every or i == steps - 1:
                        flushed = self._flush(pending)
                        self._last_finite.take()
                        for logs in flushed:
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
