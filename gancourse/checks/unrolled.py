"""Checker of lesson 04: one differentiable (unrolled) D update."""
from __future__ import annotations

import copy

import torch

from .. import validation
from .core import FixedLinear, fail, name_of, passed, raised

__all__ = ["check_unrolled_step"]


def check_unrolled_step(fn, lr: float = 0.5) -> None:
    """Check ``fn(D, params, real, fake, lr)``: one differentiable SGD step on D's minimax loss, returning the new
    parameters as a dict (theta' = theta - lr * grad L_D(theta)) that G's gradient can flow through.

    Mock: a logistic D(x) = w.x + c whose gradient is written out here; the new parameters must match it, leave D
    untouched, and depend on ``fake`` exactly as the formula does (the term that makes unrolling work).
    """
    name, lr = name_of(fn), validation.positive("lr", lr)
    D = FixedLinear([[0.6, -0.4]], [0.2])  # a logistic D(x) = w.x + c
    before = copy.deepcopy(D.state_dict())
    real = torch.tensor([[1.0, 0.5], [0.0, 1.0], [-0.5, 0.5]])
    fake0 = torch.tensor([[0.5, -1.0], [1.5, 0.0], [-1.0, -1.0], [0.2, 0.3]])
    params = {k: p.detach().clone().requires_grad_(True) for k, p in D.named_parameters()}
    fake = fake0.clone().requires_grad_(True)
    try:
        new = fn(D, params, real, fake, lr)
    except Exception as exc:
        raised(name, exc, f"called as {name}(D, params, real, fake, lr)")
    if not isinstance(new, dict) or set(new) != set(params):
        fail(name, f"return a dict with the same keys as params ({', '.join(params)}), got {type(new).__name__}")
    checks = 1
    if any(not torch.equal(v, D.state_dict()[k]) for k, v in before.items()):
        fail(name, "D's own weights changed: the unrolled update must produce new tensors (a functional update), "
                    "not step D in place.")
    checks += 1
    # the reference, written out: grad_w = mean(-(1 - s(r)) r) + mean(s(f) f), grad_c = mean(-(1 - s(r))) + mean(s(f))
    f_ref = fake0.clone().requires_grad_(True)
    w, c = params["net.weight"].detach()[0], params["net.bias"].detach()[0]
    pr, pf = torch.sigmoid(real @ w + c), torch.sigmoid(f_ref @ w + c)
    new_w = w - lr * ((-(1 - pr)[:, None] * real).mean(0) + (pf[:, None] * f_ref).mean(0))
    new_c = c - lr * ((-(1 - pr)).mean() + pf.mean())
    got_w, got_c = new["net.weight"].reshape(-1), new["net.bias"].reshape(())
    gw, gc_, ew, ec = got_w.detach(), got_c.detach(), new_w.detach(), new_c.detach()
    if not (torch.allclose(gw, ew, atol=1e-5) and torch.allclose(gc_, ec, atol=1e-5)):
        flipped = torch.allclose(gw, 2 * w - ew, atol=1e-5)
        hint = " D moved uphill: theta' = theta - lr * grad." if flipped else ""
        fail(name, f"new parameters {gw.tolist()} / {float(gc_):.5g}, expected {ew.tolist()} / {float(ec):.5g} "
                    f"(one SGD step on the minimax D loss).{hint}")
    checks += 1
    probe = (new_w * torch.tensor([1.0, -2.0])).sum() + 3 * new_c  # any fixed function of theta'
    (expected_grad,) = torch.autograd.grad(probe, f_ref)
    if got_w.grad_fn is None and got_c.grad_fn is None:
        fail(name, "the new parameters carry no gradient: compute the step with torch.autograd.grad(..., "
                    "create_graph=True) and without .detach(), so that G's gradient flows through it.")
    got_probe = (got_w * torch.tensor([1.0, -2.0])).sum() + 3 * got_c
    try:
        (got_grad,) = torch.autograd.grad(got_probe, fake, allow_unused=True)
    except RuntimeError as exc:
        fail(name, f"could not differentiate the new parameters with respect to the fakes ({exc}).")
    if got_grad is None or not torch.allclose(got_grad, expected_grad, atol=1e-5):
        fail(name, "the new parameters do not depend on the fakes as they should: keep the fakes' graph (no "
                    ".detach()) and use create_graph=True, so that G sees how D would react to its move.")
    checks += 1
    passed(name, checks)
