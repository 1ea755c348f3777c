"""Checker of lesson 09: InfoGAN's information loss."""
from __future__ import annotations

import math

import torch

from .core import diagnose, fail, mean, name_of, passed, raised, scalar

__all__ = ["check_info_loss"]


def check_info_loss(fn) -> None:
    """Check ``fn(cat_logits, cat_code, cont_pred, cont_code)``: InfoGAN's mutual-information loss, the
    cross-entropy of Q's categorical logits (B, K) against the sampled class indices (B,) plus the mean squared
    error (a fixed-variance Gaussian's NLL, up to constants and a factor 1/2) of Q's continuous prediction
    (B, L) against the sampled continuous code (B, L): CE + 0.5 * mean((pred - code)^2) summed over L."""
    name = name_of(fn)
    logits = [[2.0, 0.0, -1.0], [0.5, 0.5, 1.5]]
    target = [0, 2]
    pred, code = [[0.5, -1.0], [0.0, 2.0]], [[1.0, -1.0], [0.5, 0.0]]
    ce = mean([-(row[t] - math.log(sum(math.exp(v) for v in row))) for row, t in zip(logits, target)])
    mse = mean([sum(0.5 * (p - c) ** 2 for p, c in zip(pr, co)) for pr, co in zip(pred, code)])
    expected = ce + mse
    args = [torch.tensor(logits, requires_grad=True), torch.tensor(target), torch.tensor(pred, requires_grad=True),
            torch.tensor(code)]
    try:
        out = fn(*args)
    except Exception as exc:
        raised(name, exc, "called with logits (2, 3), classes (2,), pred and code (2, 2)")
    value = scalar(name, out)
    if not math.isclose(value, expected, rel_tol=1e-5):
        candidates = {
            "the continuous term is missing": ce,
            "the categorical term is missing": mse,
            "the squared error has no factor 1/2": ce + 2 * mse,
            "the squared error is averaged over the code's dimensions instead of summed": ce + mse / 2,
            "the cross-entropy is taken of probabilities (softmax applied twice)": mean([
                -(math.exp(row[t]) / sum(math.exp(v) for v in row)
                  - math.log(sum(math.exp(math.exp(v) / sum(math.exp(u) for u in row)) for v in row)))
                for row, t in zip(logits, target)]) + mse,
        }
        fail(name, diagnose(value, expected, candidates))
    if not out.requires_grad:
        fail(name, "the loss carries no gradient: keep it in torch.")
    passed(name, 2)
