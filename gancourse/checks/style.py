"""Checker of lesson 10: adaptive instance normalisation (AdaIN)."""
from __future__ import annotations

import math

import torch

from .core import fail, mean, name_of, passed, raised

__all__ = ["check_adain"]


def check_adain(fn) -> None:
    """Check ``fn(x, y_scale, y_bias)``: each (sample, channel) map of x (B, C, H, W) normalised over (H, W)
    (biased variance) and given mean y_bias and standard deviation y_scale, each (B, C)."""
    name = name_of(fn)
    x = torch.tensor([[[[1.0, 2.0], [3.0, 6.0]], [[0.0, 0.0], [4.0, 4.0]]],
                      [[[-2.0, 2.0], [0.0, 0.0]], [[5.0, 7.0], [9.0, 11.0]]]])  # (2, 2, 2, 2)
    y_scale = torch.tensor([[2.0, 0.5], [1.0, 3.0]])
    y_bias = torch.tensor([[10.0, -1.0], [0.0, 2.0]])
    try:
        out = fn(x, y_scale, y_bias)
    except Exception as exc:
        raised(name, exc, "called with x (2, 2, 2, 2), y_scale and y_bias (2, 2)")
    if not isinstance(out, torch.Tensor) or out.shape != x.shape:
        fail(name, f"return a tensor shaped like x {tuple(x.shape)}, got "
                    f"{tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}")
    checks = 1
    expected = torch.empty_like(x)
    for b in range(2):
        for ch in range(2):
            vals = x[b, ch].flatten().tolist()
            mu = mean(vals)
            sd = math.sqrt(mean([(v - mu) ** 2 for v in vals]) + 1e-5)
            expected[b, ch] = y_scale[b, ch] * (x[b, ch] - mu) / sd + y_bias[b, ch]
    if not torch.allclose(out, expected, atol=1e-3):
        got_mean, got_std = out.mean(dim=(2, 3)), out.var(dim=(2, 3), unbiased=False).sqrt()
        if torch.allclose(got_mean, y_bias, atol=1e-3) and torch.allclose(got_std / math.sqrt(3 / 4), y_scale,
                                                                          atol=1e-2):
            hint = " Use the biased variance (unbiased=False): the std is over the H*W values of one map."
        elif torch.allclose(got_mean, y_scale, atol=1e-3):
            hint = " y_scale and y_bias are swapped: the mean should become y_bias and the std y_scale."
        elif not torch.allclose(got_mean, y_bias, atol=1e-3):
            hint = (" The mean of each map should become y_bias: normalise each (sample, channel) map over its "
                    "own H, W (dim=(2, 3), keepdim=True), not over the batch.")
        else:
            hint = ""
        fail(name, f"the output differs from the definition by up to {float((out - expected).abs().max()):.3g}.{hint}")
    checks += 1
    passed(name, checks)
