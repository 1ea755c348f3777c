"""Where a trainer's batches come from (:func:`make_sampler`) and how they reach its device (:func:`to_device`)."""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping

import numpy as np
import torch

from .. import validation

__all__ = ["make_sampler", "to_device", "batch_size", "check_batch"]

_HINT = " (convert it with torch.as_tensor(x, dtype=torch.float32))"


def _check_tensor(name: str, x, floating: bool, dtype: torch.dtype | None) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        hint = _HINT if isinstance(x, (np.ndarray, list, tuple, np.generic, float, int)) else ""
        raise validation.ArgumentError(f"{name} must be a torch.Tensor{hint}, got {validation.shown(x)}")
    if x.ndim == 0 or len(x) == 0:
        raise validation.ArgumentError(f"{name} must hold at least one sample along dimension 0, got shape "
                                       f"{tuple(x.shape)}")
    if floating:
        if not x.is_floating_point():
            hint = " (convert it with x.float())" if x.dtype != torch.bool else ""
            raise validation.ArgumentError(f"{name} must be a floating-point tensor (float32, say), got dtype "
                                           f"{x.dtype}{hint}")
        if dtype is not None and x.dtype != dtype:
            x = x.to(dtype)
    return x


def check_batch(batch, floating=None, dtype: torch.dtype | None = None):
    """``batch`` (a tensor, or a tuple/list of tensors of one length) with samples along dimension 0, else an
    :class:`~gancourse.validation.ArgumentError` naming what is wrong. ``floating``: the indices of the tensors of
    a tuple that must be floating (default: the first; all of a single tensor); those come back in ``dtype``.
    Shapes and dtypes only: no values are read (no GPU synchronisation)."""
    if isinstance(batch, (tuple, list)) and not (batch and all(isinstance(b, torch.Tensor) for b in batch)):
        if not batch or not any(isinstance(b, torch.Tensor) for b in batch):
            raise validation.ArgumentError(f"batch must be a torch.Tensor or a tuple of them{_HINT}, got "
                                           f"{validation.shown(batch)}")
    if not isinstance(batch, (tuple, list)):
        return _check_tensor("batch", batch, True, dtype)
    floating = (0,) if floating is None else tuple(floating)
    out = [_check_tensor(f"batch[{i}]", b, i in floating, dtype) for i, b in enumerate(batch)]
    lengths = [len(b) for b in out]
    if len(set(lengths)) > 1:
        raise validation.ArgumentError(f"the tensors of a batch must hold one number of samples, got lengths "
                                       f"{lengths}")
    return type(batch)(out) if not hasattr(batch, "_fields") else type(batch)(*out)


def to_device(batch, device: torch.device, channels_last: bool = False):
    """``batch`` (a tensor, or a tuple/list of them) on ``device``; with ``channels_last``, 4-D tensors (image
    batches) are stored NHWC (faster convolutions on tensor-core GPUs). Anything else is passed through."""
    if isinstance(batch, torch.Tensor):
        batch = batch.to(device, non_blocking=True)
        if channels_last and batch.ndim == 4:
            batch = batch.contiguous(memory_format=torch.channels_last)
        return batch
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(b, device, channels_last) for b in batch)
    return batch


def batch_size(batch) -> int:
    """The number of samples in a batch: the length of the tensor, or of the first tensor of a tuple."""
    return len(batch[0]) if isinstance(batch, (tuple, list)) else len(batch)


def make_sampler(data, batch_size: int | None, generator: torch.Generator, device: torch.device) -> Callable:
    """Turn ``data`` into a zero-argument function that returns the next batch on ``device``.

    ``data`` may be a toy distribution (anything with ``sample(n, generator)`` returning a tensor or a tuple of
    tensors, such as ``gancourse.data.scenes.Unpaired``), a tensor or a *tuple* of
    tensors of equal length such as ``(images, labels)`` (minibatches drawn with replacement, so no epoch
    state is needed to resume), or any other iterable of batches, e.g. a list or a DataLoader (cycled;
    not resumable bit-for-bit).
    """
    if not isinstance(generator, torch.Generator):
        raise validation.ArgumentError(f"generator must be a torch.Generator, got {validation.shown(generator)}")
    device = validation.device("device", device)
    if hasattr(data, "sample"):
        n_draw = validation.positive_int("batch_size", batch_size)
        return lambda: to_device(data.sample(n_draw, generator=generator), device)  # a tensor or a tuple
    if isinstance(data, torch.Tensor) or (
        isinstance(data, tuple) and data and all(isinstance(t, torch.Tensor) for t in data)
    ):
        tensors = (data,) if isinstance(data, torch.Tensor) else tuple(data)
        if any(t.ndim == 0 for t in tensors):
            raise validation.ArgumentError("data must hold samples along dimension 0, got a 0-d tensor")
        n = len(tensors[0])
        if not tensors[0].is_floating_point():
            raise validation.ArgumentError(f"data must hold floating-point samples (float32, say), got dtype "
                                           f"{tensors[0].dtype}; convert them with data.float()")
        if n == 0 or any(len(t) != n for t in tensors):
            raise validation.ArgumentError(
                f"data: dataset tensors must be non-empty and of equal length, got {[len(t) for t in tensors]}")
        n_draw = validation.positive_int("batch_size", batch_size)

        def draw():
            idx = torch.randint(n, (n_draw,), generator=generator)
            batch = tuple(t[idx.to(t.device, non_blocking=True)].to(device, non_blocking=True) for t in tensors)
            return batch[0] if isinstance(data, torch.Tensor) else batch

        return draw
    if isinstance(data, (str, bytes, Mapping, np.ndarray)):
        hint = {str: f"; for a toy distribution by name use gancourse.data.make({data!r})" if isinstance(data, str)
                else "", np.ndarray: "; convert it with torch.as_tensor(data, dtype=torch.float32)"}
        raise validation.ArgumentError(f"data must be a toy distribution, a tensor, a tuple of tensors or an iterable "
                                       f"of batches, got {validation.shown(data)}{hint.get(type(data), '')}")
    if isinstance(data, Iterable):
        if hasattr(data, "__len__") and len(data) == 0:
            raise validation.ArgumentError(f"data must hold at least one batch, got {validation.shown(data)}")
        it = itertools.cycle(data)

        def draw():
            try:
                return to_device(next(it), device)
            except StopIteration:
                raise validation.ArgumentError("data yielded no batch (an empty iterable or an exhausted "
                                               "generator): pass a list, a tensor or a DataLoader") from None

        return draw
    raise validation.ArgumentError(
        f"data must be a toy distribution, a tensor, a tuple of tensors or an iterable of batches; cannot draw "
        f"batches from {validation.shown(data)}"
    )
