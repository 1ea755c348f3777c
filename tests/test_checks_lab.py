"""Lesson 00's checkers pass right solutions and name the slip in each of several wrong ones."""
import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gancourse import checks
from gancourse.checks import lab as lab_checks
from gancourse.widgets.settings import REBUILD, LabSettings


def _fails(checker, fn, match):
    with pytest.raises(AssertionError, match=match):
        checker(fn)


# ---------------------------------------------------------------------------------------------- arrows
def g_arrows(D, x, loss):
    x = x.detach().clone().requires_grad_(True)
    logit = D(x)
    per_sample = -F.softplus(logit) if loss == "minimax" else F.softplus(-logit)
    (grad,) = torch.autograd.grad(per_sample.sum(), x)
    return -grad


def g_arrows_backward(D, x, loss):
    x = x.clone().requires_grad_(True)
    loss_fn = torch.log1p(-torch.sigmoid(D(x))) if loss == "minimax" else -torch.log(torch.sigmoid(D(x)))
    loss_fn.sum().backward()
    return -x.grad.numpy()


def _arrows_variant(reduce="sum", sign=-1, swap=False, what="loss"):
    def fn(D, x, loss):
        x = x.clone().requires_grad_(True)
        logit = D(x)
        mm = (loss == "minimax") != swap
        if what == "logit":
            per_sample = logit
        elif what == "prob":
            per_sample = torch.sigmoid(logit)
        else:
            per_sample = -F.softplus(logit) if mm else F.softplus(-logit)
        total = per_sample.sum() if reduce == "sum" else per_sample.mean()
        (grad,) = torch.autograd.grad(total, x)
        return sign * grad
    return fn


def test_g_arrows_accepts_right_solutions(capsys):
    checks.check_g_arrows(g_arrows)
    checks.check_g_arrows(g_arrows_backward)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, match", [
    (_arrows_variant(sign=1), "point the wrong way"),
    (_arrows_variant(reduce="mean"), "batch \\*mean\\*"),
    (_arrows_variant(reduce="mean", sign=1), "wrong way and are 1/B too short"),
    (_arrows_variant(swap=True), "other loss's arrows"),
    (_arrows_variant(what="logit", sign=1), "D's logit alone"),
    (_arrows_variant(what="prob", sign=1), "gradients of D\\(x\\) = sigmoid"),
    (lambda D, x, loss: g_arrows(D, x, loss)[:, 0], "one arrow per sample"),
    (lambda D, x, loss: 2 * g_arrows(D, x, loss), "expected"),
])
def test_g_arrows_rejects_wrong_solutions(wrong, match, capsys):
    _fails(checks.check_g_arrows, wrong, match)
    assert "❌" in capsys.readouterr().out


def test_g_arrows_unwritten():
    def g_arrows(D, x, loss):
        raise NotImplementedError("Exercise: complete g_arrows()")

    _fails(checks.check_g_arrows, g_arrows, "not written yet")


# ---------------------------------------------------------------------------------------------- measuring
def arrow_lengths(lab, name, values, steps):
    out = {}
    for value in values:
        lab.set(**{name: value})
        lab.reset()
        lab.step(steps)
        out[value] = {loss: lab.set(loss=loss).grad_mean for loss in ("minimax", "nonsaturating")}
    return out


def arrow_lengths_norms(lab, name, values, steps):
    out = {}
    for value in values:
        lab.set(**{name: value})
        lab.reset()
        lab.step(steps)
        out[value] = {}
        for loss in ("nonsaturating", "minimax"):
            lab.set(loss=loss)
            out[value][loss] = float(np.linalg.norm(lab.frame().grad, axis=1).mean())
    return out


def _lengths_variant(reset=True, step=True, switch=True, summary=None, set_value=True, retrain=False):
    def fn(lab, name, values, steps):
        out = {}
        for value in values:
            if set_value:
                lab.set(**{name: value})
            if reset:
                lab.reset()
            if step and not retrain:
                lab.step(steps)
            out[value] = {}
            for loss in ("minimax", "nonsaturating"):
                f = lab.set(loss=loss) if switch else lab.frame()
                if retrain:
                    f = lab.step(steps)
                out[value][loss] = summary(f.grad) if summary else f.grad_mean
        return out
    return fn


def test_arrow_lengths_accepts_right_solutions(capsys):
    checks.check_arrow_lengths(arrow_lengths)
    checks.check_arrow_lengths(arrow_lengths_norms)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, match", [
    (_lengths_variant(reset=False), "training carried over.*lab.reset\\(\\).*k does not rebuild"),
    (_lengths_variant(step=False), "before any training"),
    (_lengths_variant(switch=False), "read with the nonsaturating loss"),
    (_lengths_variant(summary=lambda g: float(g.mean())), "mean of the components"),
    (_lengths_variant(summary=lambda g: float(np.linalg.norm(g.mean(0)))), "length of the mean arrow"),
    (_lengths_variant(set_value=False), "trained with k = 2, not 1"),
    (_lengths_variant(retrain=True), "read with the|iterations"),
    (lambda lab, name, values, steps: [1.0] * len(values), "one entry per value"),
    (lambda lab, name, values, steps: {v: 1.0 for v in values}, "should be a dict"),
    (lambda lab, name, values, steps: lab.trainer, "stand-in lab"),
])
def test_arrow_lengths_rejects_wrong_solutions(wrong, match):
    _fails(checks.check_arrow_lengths, wrong, match)


def test_arrow_lengths_names_a_wrong_width():
    def fn(lab, name, values, steps):
        out = {}
        for value in values:
            if name == "k":
                lab.set(k=value)
            lab.reset()
            lab.step(steps)
            out[value] = {loss: lab.set(loss=loss).grad_mean for loss in ("minimax", "nonsaturating")}
        return out

    _fails(checks.check_arrow_lengths, fn, "built with width 64, not 4")


def test_the_mock_lab_has_the_real_labs_settings():
    # the stand-in must accept exactly what GANLab.set accepts, and rebuild for the same settings
    assert set(lab_checks._DEFAULTS) == {f.name for f in dataclasses.fields(LabSettings)}
    assert set(lab_checks._REBUILD) == set(REBUILD)
    with pytest.raises(ValueError, match="unknown setting"):
        lab_checks.MockLab().set(width=3)
