"""Checkers of lesson 05: W1 between two 1-D densities on a grid, and WGAN-GP's gradient penalty."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .core import QuadraticCritic, diagnose, fail, name_of, number, passed, raised, scalar

__all__ = ["check_gradient_penalty", "check_w1_on_grid"]


def check_gradient_penalty(fn) -> None:
    """Check ``fn(D, real, fake)``: WGAN-GP's E[(||grad_x D(x_hat)||_2 - 1)^2] at x_hat = eps real + (1 - eps) fake.

    The mock critic has a known gradient (a x + b) and records where it was evaluated, so the check is exact:
    x_hat must lie on the segment from fake to real with one eps per sample; the penalty must equal the formula
    at those points, with per-sample norms over all of (C, H, W); and it must be differentiable with respect to
    the critic's weights (``create_graph=True``), because it is part of D's loss.
    """
    name = name_of(fn)
    gen = torch.Generator().manual_seed(3)
    real = torch.randn(6, 1, 2, 2, generator=gen) + 1.0
    fake = torch.randn(6, 1, 2, 2, generator=gen) - 1.0
    D = QuadraticCritic(real.shape[1:], a=0.7, scale=0.4, seed=7)
    try:
        out = fn(D, real, fake)
    except Exception as exc:
        raised(name, exc, f"called as {name}(D, real, fake) on images (6, 1, 2, 2)")
    value = scalar(name, out)
    checks = 1
    points = [x for x, _ in D.calls if x.shape == real.shape]
    if not points:
        fail(name, f"D was never called on a batch shaped like real {tuple(real.shape)}.")
    x_hat = points[-1]
    diff = (real - fake).flatten(1)
    eps = ((x_hat - fake).flatten(1) * diff).sum(1) / diff.pow(2).sum(1)  # projection onto the segment
    on_segment = torch.allclose(x_hat, fake + eps[:, None, None, None] * (real - fake), atol=1e-5)
    if torch.allclose(x_hat, real) or torch.allclose(x_hat, fake):
        fail(name, "D's gradient was taken at the real (or fake) points; take it at interpolates "
                    "x_hat = eps * real + (1 - eps) * fake.")
    if not on_segment:
        fail(name, "the points where D was evaluated are not on the segments between real and fake with one eps "
                    "per sample: draw eps with shape (B, 1, 1, 1), e.g. torch.rand(B, 1, 1, 1), not one per pixel.")
    if not bool(((eps >= -1e-6) & (eps <= 1 + 1e-6)).all()):
        fail(name, f"eps must lie in [0, 1] (uniform); found {eps.tolist()}.")
    if torch.allclose(eps, eps[0].expand_as(eps)):
        fail(name, "every sample used the same eps: draw one eps per sample, shape (B, 1, 1, 1).")
    checks += 2
    with torch.enable_grad():
        a, b = D.a.detach().requires_grad_(True), D.b.detach().requires_grad_(True)
        g = (a * x_hat + b).flatten(1)  # grad_x f at x_hat, written out
        norms = g.norm(dim=1)
        expected_t = ((norms - 1) ** 2).mean()
        ga, gb = torch.autograd.grad(expected_t, [a, b])
    expected = float(expected_t.detach())
    if not math.isclose(value, expected, rel_tol=1e-4):
        n = norms.detach()
        candidates = {
            "you use the squared norm ||g||^2 instead of ||g||": float(((n**2 - 1) ** 2).mean()),
            "(norm - 1) is not squared": float((n - 1).mean()),
            "the norm is taken over the whole batch, not per sample": float((g.detach().norm() - 1) ** 2),
            "the norm is taken over one dimension only (flatten each sample first: grad.flatten(1).norm(dim=1))":
                float((((a * x_hat + b).detach().norm(dim=1) - 1) ** 2).mean()),
            "you sum over the batch instead of averaging": float(((n - 1) ** 2).sum()),
            "the penalty is one-sided, max(0, norm - 1)^2": float((F.relu(n - 1) ** 2).mean()),
        }
        fail(name, diagnose(value, expected, candidates))
    checks += 1
    D.zero_grad(set_to_none=True)
    if not out.requires_grad:
        fail(name, "the penalty carries no gradient to D's weights: take the input gradient with "
                    "torch.autograd.grad(..., create_graph=True) so that D can be trained on the penalty.")
    try:
        out.backward()
    except RuntimeError as exc:
        fail(name, f"backward() through the penalty failed ({exc}); use create_graph=True in torch.autograd.grad.")
    if D.a.grad is None or D.b.grad is None or not (
            torch.allclose(D.a.grad, ga, rtol=1e-4, atol=1e-6) and torch.allclose(D.b.grad, gb, rtol=1e-4, atol=1e-6)):
        fail(name, "the penalty's gradient with respect to D's weights is wrong or missing: use "
                    "create_graph=True in torch.autograd.grad and do not detach the input gradient.")
    checks += 1
    passed(name, checks)


# ---------------------------------------------------------------------------------------------- W1 on a grid
def _gauss(x, mu, sigma):
    return -0.5 * ((x - mu) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)


def _uniform(x, lo, hi):
    return torch.where((x >= lo) & (x <= hi), torch.full_like(x, -math.log(hi - lo)), torch.full_like(x, -math.inf))


def _w1_cases():
    """(label, log_p, log_q, x, exact W1): the exact values in closed form, from the quantile functions
    (W1 = integral over u in [0, 1] of |F_p^-1(u) - F_q^-1(u)|)."""
    a = torch.linspace(-6.0, 8.0, 7001, dtype=torch.float64)
    b = torch.linspace(-20.0, 20.0, 20001, dtype=torch.float64)
    c = torch.linspace(-1.00125, 3.49875, 1801, dtype=torch.float64)  # steps of 0.0025; the jumps fall mid-step
    return [
        # a shift moves every quantile by 1.3
        ("N(0, 0.5^2) and N(1.3, 0.5^2)", _gauss(a, 0, 0.5), _gauss(a, 1.3, 0.5), a, 1.3),
        # same mean, the CDFs cross at 0: quantiles z and 2z, so W1 = E|z| = sqrt(2/pi)
        ("N(0, 1) and N(0, 2^2) (their CDFs cross at 0)", _gauss(b, 0, 1), _gauss(b, 0, 2), b, math.sqrt(2 / math.pi)),
        # quantiles u and 0.5 + 2u: W1 = integral of (0.5 + u) du = 1
        ("U[0, 1] and U[0.5, 2.5] (log-densities -inf off their supports)", _uniform(c, 0, 1), _uniform(c, 0.5, 2.5),
         c, 1.0),
    ]


def _trapezoid(y, x):
    return float(((y[1:] + y[:-1]) * x.diff()).sum() / 2)


def _cdf(log_p, x):
    p = log_p.exp()
    return torch.cat([torch.zeros(1, dtype=p.dtype), ((p[1:] + p[:-1]) * x.diff() / 2).cumsum(0)])


def check_w1_on_grid(fn) -> None:
    """Check ``fn(log_p, log_q, x)``: W1(p, q) = integral |F_p(x) - F_q(x)| dx of two 1-D densities given by their
    log-densities on the evenly spaced grid ``x`` (float64), F the cumulative distribution functions.

    Three pairs whose W1 is known in closed form: a shift (W1 = the shift), two Gaussians with the same mean and
    different widths (their CDFs cross, so |E p - E q| = 0 but W1 = sqrt(2/pi)), and two uniforms. Any cumulative
    rule is accepted: a left or right sum instead of trapezoids moves each CDF by at most p dx/2, so W1 by at most
    dx (half the integral of |p - q|, which is at most 2, times dx); the slips are off by far more.
    """
    name = name_of(fn)
    checks = 0
    for label, log_p, log_q, x, exact in _w1_cases():
        try:
            out = fn(log_p.clone(), log_q.clone(), x.clone())
        except Exception as exc:
            raised(name, exc, f"called with {label}")
        value = number(name, out)  # one number: the integral
        dx = float(x[1] - x[0])
        if abs(value - exact) <= dx + 1e-6:
            checks += 1
            continue
        if math.isnan(value):
            fail(name, f"{label}: got nan. The densities are exp(log p), 0 off their supports: no log of a density "
                        "is needed here.")
        diff = _cdf(log_p, x) - _cdf(log_q, x)
        p, q = log_p.exp(), log_q.exp()
        candidates = {
            "you left dx out of one of the two integrals (the running sum that makes F, or the final sum)":
                exact / dx,
            "you left dx out of both integrals (the running sum that makes F, and the final sum)": exact / dx ** 2,
            "the absolute value is outside the integral: |integral (F_p - F_q) dx| is |E p - E q|, which is 0 for "
                "two distributions with the same mean; W1 integrates |F_p - F_q|": abs(_trapezoid(diff, x)),
            "you integrated |p - q|, the densities' difference (twice the total variation distance); W1 integrates "
                "the difference of the CDFs": _trapezoid((p - q).abs(), x),
            "you squared the difference of the CDFs; W1 integrates its absolute value": _trapezoid(diff ** 2, x),
        }
        for why, v in candidates.items():
            if abs(value - v) <= 2 * dx + 1e-3 * abs(v):
                fail(name, f"{label}: got {value:.6g}, expected {exact:.6g}: {why}.")
        fail(name, f"{label}: got {value:.6g}, expected {exact:.6g} (integral of |F_p - F_q| dx).")
    passed(name, checks)
