"""Lesson 05's new checker (W1 between two 1-D densities on a grid) passes right solutions, the package's
gc.theory.wasserstein_1d included, and names each slip."""
import math

import pytest
import torch

from gancourse import checks, theory
from gancourse.checks import wasserstein


def _fails(checker, fn, match):
    with pytest.raises(AssertionError, match=match):
        checker(fn)


def w1_on_grid(log_p, log_q, x):
    dx = x[1] - x[0]
    F_p, F_q = torch.cumsum(log_p.exp(), 0) * dx, torch.cumsum(log_q.exp(), 0) * dx
    return torch.trapezoid((F_p - F_q).abs(), x)


def _variant(inner_dx=True, outer_dx=True, abs_inside=True, power=1, densities=False):
    def fn(log_p, log_q, x):
        dx = float(x[1] - x[0])
        p, q = log_p.exp(), log_q.exp()
        if densities:
            diff = p - q
        else:
            diff = (torch.cumsum(p, 0) - torch.cumsum(q, 0)) * (dx if inner_dx else 1.0)
        y = diff.abs() ** power if abs_inside else diff
        total = y.sum() * (dx if outer_dx else 1.0)
        return total if abs_inside else total.abs()
    return fn


def test_the_closed_forms_agree_with_the_package():
    for label, log_p, log_q, x, exact in wasserstein._w1_cases():
        assert abs(theory.wasserstein_1d(log_p, log_q, x) - exact) < 1e-5, label


def test_w1_on_grid_accepts_right_solutions(capsys):
    checks.check_w1_on_grid(w1_on_grid)
    checks.check_w1_on_grid(_variant())           # left sums everywhere
    checks.check_w1_on_grid(theory.wasserstein_1d)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, match", [
    (_variant(inner_dx=False), "left dx out of one"),
    (_variant(outer_dx=False), "left dx out of one"),
    (_variant(inner_dx=False, outer_dx=False), "left dx out of both"),
    (_variant(abs_inside=False), "absolute value is outside"),
    (_variant(densities=True), "total variation"),
    (_variant(power=2), "squared the difference"),
    (lambda p, q, x: torch.stack([w1_on_grid(p, q, x)] * 2), "one number"),
    (lambda p, q, x: 1.3, "expected"),
])
def test_w1_on_grid_rejects_wrong_solutions(wrong, match, capsys):
    _fails(checks.check_w1_on_grid, wrong, match)
    assert "❌" in capsys.readouterr().out


def test_w1_on_grid_unwritten():
    def w1_on_grid(log_p, log_q, x):
        raise NotImplementedError("Exercise: complete w1_on_grid()")

    _fails(checks.check_w1_on_grid, w1_on_grid, "not written yet")
