"""Context managers that change one setting for a block and put it back, also when the block raises.

    with eval_mode(G):            # BatchNorm on running statistics, no dropout
        images = G(z)
    with torch_threads(1):        # tiny models run fastest on one thread
        lab.step(100)
"""
from __future__ import annotations

import contextlib

import torch

from . import validation

__all__ = ["eval_mode", "torch_threads"]


@contextlib.contextmanager
def eval_mode(*modules: torch.nn.Module):
    """Run the block with ``modules`` in eval mode (BatchNorm on running stats, no dropout), then put back the
    mode each had, also when the block raises. Yields the first module."""
    modules = tuple(validation.module("modules", m) for m in modules)
    was_training = [m.training for m in modules]
    for m in modules:
        m.eval()
    try:
        yield modules[0] if modules else None
    finally:
        for m, mode in zip(modules, was_training):
            m.train(mode)


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Run torch on ``n`` intra-op threads inside the block, then restore the previous count (``None``: leave it)."""
    n = None if n is None else validation.positive_int("n (threads)", n)
    old = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)
