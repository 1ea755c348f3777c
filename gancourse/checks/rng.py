"""Checkers that leave the global random state as they found it."""
from __future__ import annotations

import functools

import torch

__all__ = ["keeps_global_rng"]


def keeps_global_rng(checker):
    """Run ``checker`` inside ``torch.random.fork_rng``: the layers it builds (the learner's and its own mocks) draw
    their initial weights from torch's global generator, and a notebook's later cells must not depend on whether,
    or how far, an exercise's checker ran."""

    @functools.wraps(checker)
    def wrapper(*args, **kwargs):
        with torch.random.fork_rng(devices=[]):
            return checker(*args, **kwargs)

    return wrapper
