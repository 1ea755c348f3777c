"""Checkers of lesson 09: the projection discriminator's logit and InfoGAN's information loss."""
from __future__ import annotations

import math

import torch
from torch import nn

from .core import diagnose, fail, keeps_global_rng, mean, name_of, passed, raised, scalar

__all__ = ["check_info_loss", "check_projection_logit"]


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


# ---------------------------------------------------------------------------------------------- projection D
@keeps_global_rng
def check_projection_logit(fn) -> None:
    """Check ``fn(h, psi, embed, y)``: the projection discriminator's logit psi(h) + e_y . h, one per sample, shape
    (B,). ``h`` (B, F) are D's features phi(x), ``psi`` a layer F -> 1 (it returns (B, 1)), ``embed`` an
    ``nn.Embedding(n_classes, F)`` whose row y is e_y, ``y`` (B,) the class indices.

    Mocks with hand-set weights; the logits and the gradient with respect to h (w_psi + e_y) are written out here."""
    name = name_of(fn)
    feats = [[1.0, -2.0, 0.5, 0.25], [0.0, 1.5, -1.0, 2.0], [2.0, 0.5, 1.0, -0.5]]  # B = 3 samples, F = 4
    w_psi, b_psi = [0.5, -0.25, 1.0, 0.75], 0.3
    table = [[1.0, 0.0, -1.0, 0.5], [0.5, 2.0, 0.0, -1.0], [-1.5, 0.5, 0.25, 1.0], [0.0, -1.0, 2.0, 0.0],
             [0.25, 0.25, -0.5, 1.5]]  # 5 classes
    ys = [2, 0, 2]
    psi = nn.Linear(4, 1)
    embed = nn.Embedding(5, 4)
    with torch.no_grad():
        psi.weight.copy_(torch.tensor([w_psi]))
        psi.bias.fill_(b_psi)
        embed.weight.copy_(torch.tensor(table))
    dot = lambda u, v: sum(p * q for p, q in zip(u, v))  # noqa: E731
    uncond = [dot(w_psi, f) + b_psi for f in feats]
    proj = [dot(table[y], f) for f, y in zip(feats, ys)]
    expected = [u + p for u, p in zip(uncond, proj)]
    h = torch.tensor(feats, requires_grad=True)
    y = torch.tensor(ys)
    try:
        out = fn(h, psi, embed, y)
    except Exception as exc:
        raised(name, exc, "called with h (3, 4), psi = nn.Linear(4, 1), embed = nn.Embedding(5, 4), y (3,)")
    if not isinstance(out, torch.Tensor):
        fail(name, f"return a tensor of logits, got {type(out).__name__}")
    shape = tuple(out.shape)
    if shape != (3,):
        hints = {
            (3, 3): "psi(h) is (B, 1) and the projection (B,): adding them broadcasts to (B, B). Flatten psi's output "
                    "first (psi(h).flatten() or .squeeze(1))",
            (3, 1): "return one logit per sample, shape (B,): flatten psi's (B, 1) output",
            (3, 4): "the inner product e_y . h is one number per sample: sum embed(y) * h over the features (dim=1)",
            (): "the inner product e_y . h is one number per sample: sum over the features (dim=1), not over the "
                "whole batch",
        }
        fail(name, f"with a batch of 3 the output should have shape (3,), got {shape}: "
                   f"{hints.get(shape, 'sum the product embed(y) * h over the features (dim=1), add psi(h) flattened')}.")
    got = [float(v) for v in out.detach()]
    if not all(math.isclose(g, e, rel_tol=1e-5, abs_tol=1e-5) for g, e in zip(got, expected)):
        all_classes = [dot([sum(col) for col in zip(*table)], f) for f in feats]
        slips = {
            "the projection term e_y . h is missing: without it the logit ignores the label": uncond,
            "the unconditional term psi(h) is missing": proj,
            "add the projection e_y . h to psi(h), don't subtract it": [u - p for u, p in zip(uncond, proj)],
            "use the embedding of each sample's own class, e_y = embed(y), not all the classes' rows":
                [u + a for u, a in zip(uncond, all_classes)],
        }
        hint = next((s for s, v in slips.items()
                     if all(math.isclose(g, e, rel_tol=1e-5, abs_tol=1e-5) for g, e in zip(got, v))), "")
        fail(name, f"logits {[round(g, 4) for g in got]}, expected {[round(e, 4) for e in expected]}"
                   f"{': ' + hint if hint else ''}.")
    if not out.requires_grad:
        fail(name, "the logits carry no gradient: keep them in torch (G learns through D's logit).")
    out.sum().backward()
    grad_h = [[w + e for w, e in zip(w_psi, table[yy])] for yy in ys]
    if h.grad is None or not torch.allclose(h.grad, torch.tensor(grad_h), atol=1e-5):
        fail(name, f"the gradient with respect to h is {None if h.grad is None else h.grad.tolist()}, expected "
                   f"w_psi + e_y = {grad_h}.")
    passed(name, 3)
