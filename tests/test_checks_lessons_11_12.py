"""Each checker of lessons 11-12 passes a right answer and names the usual wrong ones."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import linalg

from gancourse import checks as ck
from gancourse import losses


def _fails(check, fn, *words):
    with pytest.raises(ck.ExerciseFailed) as info:
        check(fn)
    for w in words:
        assert w in str(info.value), str(info.value)


def _todo(*args):
    raise NotImplementedError("Exercise")


# ---------------------------------------------------------------------------------------------- R1
def _r1_loss(D, real, fake, gamma, on="real", power=2, factor=0.5, reduce="mean", sign=1, graph=True):
    x = {"real": real, "fake": fake}[on].detach().requires_grad_(True)
    (g,) = torch.autograd.grad(D(x).sum(), x, create_graph=graph)
    norms = g.flatten(1).norm(dim=1) ** power
    pen = factor * gamma * (norms.mean() if reduce == "mean" else norms.sum())
    return losses.minimax_d_loss(D(real), D(fake)) + sign * pen


def test_r1_right_answers_pass():
    ck.check_d_loss_r1(lambda D, real, fake, gamma: _r1_loss(D, real, fake, gamma))
    ck.check_d_loss_r1(lambda D, real, fake, gamma: losses.minimax_d_loss(D(real), D(fake))
                       + gamma / 2 * losses.r1_penalty(D, real))


@pytest.mark.parametrize("kw, words", [
    ({"on": "fake"}, "uses the fakes"),
    ({"factor": 1.0}, "without the 1/2"),
    ({"power": 1}, "not squared"),
    ({"reduce": "sum"}, "summed over the batch"),
    ({"sign": -1}, "subtracted"),
    ({"graph": False}, "create_graph=True"),
])
def test_r1_wrong_answers_are_named(kw, words):
    _fails(ck.check_d_loss_r1, lambda D, real, fake, gamma: _r1_loss(D, real, fake, gamma, **kw), words)


def test_r1_penalty_missing_and_interpolates_and_todo():
    _fails(ck.check_d_loss_r1, lambda D, real, fake, gamma: losses.minimax_d_loss(D(real), D(fake)), "penalty is missing")

    def interpolates(D, real, fake, gamma):
        x = (0.5 * real + 0.5 * fake).requires_grad_(True)
        (g,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
        return losses.minimax_d_loss(D(real), D(fake)) + 0.5 * gamma * g.flatten(1).pow(2).sum(1).mean()

    _fails(ck.check_d_loss_r1, interpolates, "between real and fake")
    _fails(ck.check_d_loss_r1, _todo, "not written yet")


# ---------------------------------------------------------------------------------------------- Dirac Jacobian
def _jac(fp0, fpp0, gamma, sigma):
    return torch.tensor([[0.0, -fp0], [fp0, 2 * sigma**2 * fpp0 - gamma]])


def test_dirac_jacobian_right_answer_passes_as_tensor_or_list():
    ck.check_dirac_jacobian(_jac)
    ck.check_dirac_jacobian(lambda *a: _jac(*a).tolist())


@pytest.mark.parametrize("fn, words", [
    (lambda fp0, fpp0, gamma, sigma: _jac(fp0, fpp0, gamma, sigma).T, "transposed"),
    (lambda fp0, fpp0, gamma, sigma: torch.tensor([[0.0, fp0], [fp0, 2 * sigma**2 * fpp0 - gamma]]), "G descends"),
    (lambda fp0, fpp0, gamma, sigma: _jac(fp0, fpp0, 0.0, sigma), "R1 term is missing"),
    (lambda fp0, fpp0, gamma, sigma: _jac(fp0, fpp0, -gamma, sigma), "wrong sign"),
    (lambda fp0, fpp0, gamma, sigma: _jac(fp0, fpp0, gamma / 2, sigma), "gamma psi"),
    (lambda fp0, fpp0, gamma, sigma: _jac(fp0, fpp0 / 2, gamma, sigma), "real *and* the fake"),
    (lambda fp0, fpp0, gamma, sigma: _jac(fp0, 0.0, gamma, sigma), "noise term is missing"),
    (lambda fp0, fpp0, gamma, sigma: torch.zeros(3), "2 x 2"),
    (_todo, "not written yet"),
])
def test_dirac_jacobian_wrong_answers_are_named(fn, words):
    _fails(ck.check_dirac_jacobian, fn, words)


# ---------------------------------------------------------------------------------------------- Frechet
def _fd(mu1, s1, mu2, s2, cross=lambda s1, s2: linalg.sqrtm(s1 @ s2).real, mean_power=2, factor=2.0):
    mean = np.linalg.norm(mu1 - mu2) ** mean_power
    return mean + np.trace(s1 + s2 - factor * cross(s1, s2))


def test_frechet_right_answers_pass():
    ck.check_frechet_distance(_fd)
    ck.check_frechet_distance(lambda *a: torch.tensor(_fd(*a)))
    from gancourse.metrics import gaussian_frechet
    ck.check_frechet_distance(gaussian_frechet)


@pytest.mark.parametrize("fn, words", [
    (lambda m1, s1, m2, s2: _fd(m1, s1, m2, s2, cross=lambda a, b: a @ b), "square root of the product"),
    (lambda m1, s1, m2, s2: _fd(m1, s1, m2, s2, cross=lambda a, b: linalg.sqrtm(a).real @ linalg.sqrtm(b).real),
     "commute"),
    (lambda m1, s1, m2, s2: _fd(m1, s1, m2, s2, factor=1.0), "factor 2"),
    (lambda m1, s1, m2, s2: _fd(m1, s1, m2, s2, mean_power=1), "not the squared distance"),
    (lambda m1, s1, m2, s2: math.sqrt(_fd(m1, s1, m2, s2)), "square root of d^2"),
    (lambda m1, s1, m2, s2: complex(_fd(m1, s1, m2, s2)), "complex"),
    (_todo, "not written yet"),
])
def test_frechet_wrong_answers_are_named(fn, words):
    _fails(ck.check_frechet_distance, fn, words)


def test_frechet_elementwise_sqrt_is_caught():
    _fails(ck.check_frechet_distance,
           lambda m1, s1, m2, s2: ((m1 - m2) ** 2).sum() + np.trace(s1 + s2 - 2 * np.sqrt(np.abs(s1 @ s2))), "")


# ---------------------------------------------------------------------------------------------- acceptance
def test_acceptance_right_answer_passes():
    ck.check_acceptance_probability(lambda l, log_m: (l - log_m).clamp(max=0).exp())
    ck.check_acceptance_probability(lambda l, log_m: torch.exp(torch.minimum(l - log_m, torch.zeros_like(l))))


@pytest.mark.parametrize("fn, words", [
    (lambda l, log_m: torch.sigmoid(l), "sigmoid"),
    (lambda l, log_m: l.exp(), "not divided by M"),
    (lambda l, log_m: (l - log_m).exp(), "capped at 1"),
    (lambda l, log_m: (log_m - l).exp().clamp(max=1), "wrong sign"),
    (lambda l, log_m: (l - log_m).clamp(max=0), "exponential is missing"),
    (lambda l, log_m: (l.exp() / torch.tensor(log_m).exp()).clamp(max=1), "overflows"),
    (lambda l, log_m: (l.exp() / math.exp(log_m)).clamp(max=1), "overflows"),
    (_todo, "not written yet"),
])
def test_acceptance_wrong_answers_are_named(fn, words):
    _fails(ck.check_acceptance_probability, fn, words)
