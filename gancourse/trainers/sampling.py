"""Where a trainer's batches come from (:func:`make_sampler`) and how they reach its device (:func:`to_device`)."""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable

import torch

from .. import validation

__all__ = ["make_sampler", "to_device", "batch_size"]


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
    if hasattr(data, "sample"):
        n_draw = validation.positive_int("batch_size", batch_size)
        return lambda: to_device(data.sample(n_draw, generator=generator), device)  # a tensor or a tuple
    if isinstance(data, torch.Tensor) or (
        isinstance(data, tuple) and data and all(isinstance(t, torch.Tensor) for t in data)
    ):
        tensors = (data,) if isinstance(data, torch.Tensor) else tuple(data)
        n = len(tensors[0])
        if n == 0 or any(len(t) != n for t in tensors):
            raise validation.ArgumentError(
                f"dataset tensors must be non-empty and of equal length, got {[len(t) for t in tensors]}")
        n_draw = validation.positive_int("batch_size", batch_size)

        def draw():
            idx = torch.randint(n, (n_draw,), generator=generator)
            batch = tuple(t[idx.to(t.device, non_blocking=True)].to(device, non_blocking=True) for t in tensors)
            return batch[0] if isinstance(data, torch.Tensor) else batch

        return draw
    if isinstance(data, Iterable):
        it = itertools.cycle(data)
        return lambda: to_device(next(it), device)
    raise validation.ArgumentError(
        f"cannot draw batches from {type(data).__name__}; pass a toy distribution, a tensor, a tuple of tensors "
        "or an iterable of batches"
    )
