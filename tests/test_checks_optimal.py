"""Lesson 02's checkers pass right solutions and name the slip in each of several wrong ones; their references
agree with an independent computation (scipy's adaptive quadrature)."""
import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from gancourse import checks
from gancourse.checks import optimal


def _fails(checker, fn, match):
    with pytest.raises(AssertionError, match=match):
        checker(fn)


# ---------------------------------------------------------------------------------------------- D*'s logit
def test_optimal_d_logit_accepts_right_solutions(capsys):
    checks.check_optimal_d_logit(lambda a, b: a - b)
    checks.check_optimal_d_logit(lambda a, b: torch.sub(a, b).float().double())  # float32 is close enough
    assert "✅" in capsys.readouterr().out


def _through_densities(a, b):
    p, q = a.exp(), b.exp()
    d = p / (p + q)
    return torch.log(d) - torch.log1p(-d)


@pytest.mark.parametrize("wrong, match", [
    (lambda a, b: b - a, "sign is flipped"),
    (lambda a, b: torch.sigmoid(a - b), "D\\* itself"),
    (lambda a, b: a - torch.logaddexp(a, b), "log D\\*"),
    (lambda a, b: (a - b).exp(), "density ratio"),
    (_through_densities, "went through the densities.*Stay in log space"),
    (lambda a, b: (a - b).clamp(-700, 700), "no\\s+finite logit reaches"),
    (lambda a, b: (a - b).clamp(-30, 30), "tiny but positive"),
    (lambda a, b: a - b + 0.1, "expected"),
    (lambda a, b: (a - b)[:3], "shaped like the inputs"),
    (lambda a, b: (a - b).tolist(), "tensor of logits"),
])
def test_optimal_d_logit_rejects_wrong_solutions(wrong, match, capsys):
    _fails(checks.check_optimal_d_logit, wrong, match)
    assert "❌" in capsys.readouterr().out


def test_optimal_d_logit_unwritten():
    def optimal_d_logit(a, b):
        raise NotImplementedError("Exercise: complete optimal_d_logit()")

    _fails(checks.check_optimal_d_logit, optimal_d_logit, "not written yet")


# ---------------------------------------------------------------------------------------------- JSD
def jsd_on_grid(log_p, log_q, x):
    log_m = torch.logaddexp(log_p, log_q) - math.log(2)
    p, q = log_p.exp(), log_q.exp()
    integrand = 0.5 * torch.where(p > 0, p * (log_p - log_m), 0.0) + 0.5 * torch.where(q > 0, q * (log_q - log_m), 0.0)
    return torch.trapezoid(integrand, x)


def jsd_riemann(log_p, log_q, x):
    log_m = torch.logaddexp(log_p, log_q) - math.log(2)
    kl = lambda log_a: torch.nan_to_num(log_a.exp() * (log_a - log_m), nan=0.0).sum() * (x[1] - x[0])
    return float(0.5 * kl(log_p) + 0.5 * kl(log_q))


def jsd_masked_exp(log_p, log_q, x):
    # goes through the densities, where they are positive: the mixture of two denormals can still round to 0
    p, q = log_p.exp(), log_q.exp()
    m = (p + q) / 2
    term = lambda a, log_a: torch.where(a > 0, a * (log_a - torch.log(torch.where(a > 0, m, 1.0))), 0.0)
    return float((0.5 * term(p, log_p) + 0.5 * term(q, log_q)).sum() * (x[1] - x[0]))


def _jsd_variant(log_m=None, half=0.5, dx=True, unsafe=False, only_p=False, base=math.e):
    def fn(log_p, log_q, x):
        lm = log_m(log_p, log_q) if log_m else torch.logaddexp(log_p, log_q) - math.log(2)
        p, q = log_p.exp(), log_q.exp()
        if unsafe:
            term_p, term_q = p * (log_p - lm), q * (log_q - lm)
        else:
            term_p = torch.where(p > 0, p * (log_p - lm), 0.0)
            term_q = torch.where(q > 0, q * (log_q - lm), 0.0)
        y = half * term_p + (0 if only_p else half * term_q)
        value = torch.trapezoid(y, x) if dx else y.sum()
        return value / math.log(base)
    return fn


def test_jsd_on_grid_accepts_right_solutions(capsys):
    checks.check_jsd_on_grid(jsd_on_grid)
    checks.check_jsd_on_grid(jsd_riemann)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, match", [
    (_jsd_variant(dx=False), "without multiplying by dx"),
    (_jsd_variant(log_m=lambda a, b: torch.logaddexp(a, b)), "m is p \\+ q"),
    (_jsd_variant(half=1.0), "not halved"),
    (_jsd_variant(only_p=True), "only KL\\(p \\|\\| m\\)/2"),
    (_jsd_variant(only_p=True, half=1.0), "only KL\\(p \\|\\| m\\) is there"),
    (_jsd_variant(base=2), "bits"),
    (_jsd_variant(log_m=lambda a, b: torch.log((a.exp() + b.exp()) / 2), unsafe=True), "underflows to 0.*logaddexp"),
    (_jsd_variant(unsafe=True), "0 \\* \\(-inf\\) = nan"),
    (jsd_masked_exp, "got inf.*rounds to 0"),
    (lambda p, q, x: torch.stack([jsd_on_grid(p, q, x)] * 2), "one number"),
    (lambda p, q, x: "0.5", "return a number|expected"),
])
def test_jsd_on_grid_rejects_wrong_solutions(wrong, match, capsys):
    _fails(checks.check_jsd_on_grid, wrong, match)
    assert "❌" in capsys.readouterr().out


def test_the_jsd_reference_agrees_with_adaptive_quadrature():
    # the checker's numpy reference, against scipy's quad of the same integrand with scipy's own densities
    def jsd_quad(p, q, lo, hi, points=None):
        def f(x):
            a, b = p.pdf(x), q.pdf(x)
            m = (a + b) / 2
            return 0.5 * (a * math.log(a / m) if a > 0 else 0.0) + 0.5 * (b * math.log(b / m) if b > 0 else 0.0)
        return integrate.quad(f, lo, hi, points=points, limit=200, epsabs=1e-12, epsrel=1e-10)[0]

    cases = optimal._cases()
    want = jsd_quad(stats.norm(0, 1), stats.norm(1.5, 0.7), -12, 14)
    for _, log_p, log_q, x in cases[:2]:
        assert abs(optimal.reference_jsd(log_p, log_q, x) - want) < 1e-8
    _, log_p, log_q, x = cases[2]
    assert abs(optimal.reference_jsd(log_p, log_q, x) - math.log(2)) < 1e-12   # disjoint supports: log 2 exactly
    assert abs(jsd_quad(stats.uniform(0, 1), stats.uniform(3, 1), -1, 5, points=[0, 1, 3, 4]) - math.log(2)) < 1e-9
