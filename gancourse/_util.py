"""Small helpers shared inside the package."""
from __future__ import annotations

import contextlib

import torch


@contextlib.contextmanager
def eval_mode(module: torch.nn.Module):
    """Run the block with ``module`` in eval mode (BatchNorm on running stats, no dropout), then put back the
    mode it had, also when the block raises."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)
