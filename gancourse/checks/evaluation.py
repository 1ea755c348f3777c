"""Checkers for lesson 12's exercises: the Frechet distance between two Gaussians and DRS's acceptance probability."""
from __future__ import annotations

import math

import numpy as np
import torch
from scipy import linalg

from .core import call, fail, match, name_of, number, passed

__all__ = ["check_frechet_distance", "check_acceptance_probability"]


def _spd(d: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(d, d))
    return a @ a.T + 0.2 * np.eye(d)


def check_frechet_distance(fn) -> None:
    """Check ``fn(mu1, cov1, mu2, cov2)`` (NumPy arrays): ||mu1 - mu2||^2 + tr(cov1 + cov2 - 2 (cov1 cov2)^(1/2)).

    Cases: one dimension by hand ((m1 - m2)^2 + (s1 - s2)^2), diagonal covariances, and covariances that do not
    commute (where the shortcut cov1^(1/2) cov2^(1/2) is wrong). The expected values use scipy's sqrtm."""
    name = name_of(fn)
    mu_a, mu_b = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 1.0])
    cases = [
        ("1-D, N(1, 2^2) vs N(4, 0.5^2)", np.array([1.0]), np.array([[4.0]]), np.array([4.0]), np.array([[0.25]])),
        ("diagonal covariances", mu_a, np.diag([1.0, 4.0, 9.0]), mu_b, np.diag([4.0, 4.0, 0.25])),
        ("general covariances", mu_a, _spd(3, 1), mu_b, _spd(3, 2)),
        ("equal Gaussians", mu_a, _spd(3, 1), mu_a.copy(), _spd(3, 1)),
    ]
    checks = 0
    for label, m1, s1, m2, s2 in cases:
        how = f"{name}(mu1, cov1, mu2, cov2) with {label}"
        out = call(name, fn, (m1.copy(), s1.copy(), m2.copy(), s2.copy()), how)
        value = number(name, out)
        root = linalg.sqrtm(s1 @ s2).real
        mean_term = float(((m1 - m2) ** 2).sum())
        expected = mean_term + float(np.trace(s1 + s2 - 2 * root))
        if math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-8):
            checks += 1
            continue
        cov_term = expected - mean_term
        r1, r2 = linalg.sqrtm(s1).real, linalg.sqrtm(s2).real
        candidates = {
            "the square root of the product of covariances is missing: the cross term is 2 tr (cov1 cov2)^(1/2), "
            "not 2 tr(cov1 cov2)": mean_term + float(np.trace(s1 + s2 - 2 * s1 @ s2)),
            "(cov1 cov2)^(1/2) is replaced by cov1^(1/2) cov2^(1/2): equal only when the covariances commute":
                mean_term + float(np.trace(s1 + s2 - 2 * r1 @ r2)),
            "the square root is taken elementwise (np.sqrt) instead of as a matrix (scipy.linalg.sqrtm)":
                mean_term + float(np.trace(s1 + s2) - 2 * np.nansum(np.diag(np.sqrt(np.abs(s1 @ s2))))),
            "the cross term lacks its factor 2": mean_term + float(np.trace(s1 + s2 - root)),
            "the mean term is missing": cov_term,
            "the mean term is the distance, not the squared distance": math.sqrt(mean_term) + cov_term,
            "you return the square root of d^2 (FID is the squared distance)": math.sqrt(max(expected, 0.0)),
        }
        fail(name, f"{label}: " + match(value, candidates, expected, rel=1e-5))
    passed(name, checks)


# ---------------------------------------------------------------------------------------------- DRS (lesson 12)
def check_acceptance_probability(fn) -> None:
    """Check ``fn(logits, log_m)``: DRS's acceptance probability min(1, exp(l - log M)) for D's logits l, without
    overflow for large logits (the ratio p_data / (M p_g) = exp(l) / M, computed in log space)."""
    name = name_of(fn)
    logits = torch.tensor([-3.0, 0.0, 1.5, 2.0, 2.5])
    log_m = 2.0
    expected = torch.tensor([math.exp(-5.0), math.exp(-2.0), math.exp(-0.5), 1.0, 1.0])
    out = call(name, fn, (logits.clone(), log_m), f"{name}(logits, log_m=2.0) with logits {logits.tolist()}")
    if not isinstance(out, torch.Tensor) or out.shape != logits.shape:
        fail(name, f"return a tensor of probabilities shaped like the logits {tuple(logits.shape)}, got "
                    f"{type(out).__name__} {getattr(out, 'shape', '')}")
    got = out.detach().double()
    checks = 1
    if not torch.allclose(got, expected.double(), rtol=1e-5, atol=1e-7):
        slips = {
            "you used D(x) = sigmoid(l) itself; the acceptance probability is the density ratio exp(l) = D/(1 - D) "
            "divided by M": torch.sigmoid(logits),
            "the ratio exp(l) is not divided by M = exp(log_m)": logits.exp(),
            "the probability is not capped at 1: samples with l > log M (a ratio above the bound seen so far) are "
            "always kept": (logits - log_m).exp(),
            "the exponent has the wrong sign: keep x with probability exp(l - log M), high where D says real":
                (log_m - logits).exp().clamp(max=1),
            "the exponential is missing: l - log M is the log of the probability": (logits - log_m).clamp(max=0),
        }
        for slip, v in slips.items():
            if torch.allclose(got, v.double(), rtol=1e-5, atol=1e-7):
                fail(name, f"got {got.tolist()}, expected {expected.tolist()}: {slip}.")
        fail(name, f"got {got.tolist()}, expected {expected.tolist()} (min(1, exp(l - log_m))).")
    if bool(((got < 0) | (got > 1)).any()):
        fail(name, "probabilities must lie in [0, 1]")
    big = torch.tensor([1000.0, 995.0, 1010.0])
    out = call(name, fn, (big, 1000.0), f"{name}(torch.tensor([1000., 995., 1010.]), log_m=1000.)")
    want = torch.tensor([1.0, math.exp(-5.0), 1.0], dtype=torch.float64)
    got = torch.as_tensor(out).detach().double()
    if not torch.isfinite(got).all() or not torch.allclose(got, want, rtol=1e-5):
        fail(name, f"with logits near 1000 you return {got.tolist()}, expected {want.tolist()}: exp(1000) overflows. "
                    "Compute exp(l - log_m) (the difference first), never exp(l) / exp(log_m).")
    checks += 1
    passed(name, checks)
