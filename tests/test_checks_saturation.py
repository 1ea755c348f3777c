"""Lesson 03's new checker (the norm of G's gradient) passes right solutions and names each slip; the package's
measurement gc.saturation.g_grad_norms passes it too."""
import math

import pytest
import torch

from gancourse import checks, saturation


def _fails(checker, fn, match):
    with pytest.raises(AssertionError, match=match):
        checker(fn)


def g_grad_norm(G, D, z, g_loss):
    grads = torch.autograd.grad(g_loss(D(G(z))), list(G.parameters()))
    return math.sqrt(sum(float(g.pow(2).sum()) for g in grads))


def g_grad_norm_backward(G, D, z, g_loss):
    G.zero_grad()
    g_loss(D(G(z))).backward()
    return torch.cat([p.grad.flatten() for p in G.parameters()]).norm()


def _variant(params="G", reduce="norm", zero=True, wrt="params"):
    def fn(G, D, z, g_loss):
        if wrt == "samples":
            x = G(z).detach().requires_grad_(True)
            (g,) = torch.autograd.grad(g_loss(D(x)), x)
            return g.norm()
        ps = list(G.parameters()) + (list(D.parameters()) if params == "G+D" else [])
        if params == "weight":
            ps = [G.net.weight]
        if zero:
            grads = torch.autograd.grad(g_loss(D(G(z))), ps)
        else:
            g_loss(D(G(z))).backward()
            grads = [p.grad for p in ps]
        if reduce == "squared":
            return sum(float(g.pow(2).sum()) for g in grads)
        if reduce == "sum of norms":
            return sum(float(g.norm()) for g in grads)
        return math.sqrt(sum(float(g.pow(2).sum()) for g in grads))
    return fn


def test_g_grad_norm_accepts_right_solutions(capsys):
    checks.check_g_grad_norm(g_grad_norm)
    checks.check_g_grad_norm(g_grad_norm_backward)
    assert "✅" in capsys.readouterr().out


def test_the_packages_measurement_agrees_with_the_checker():
    # gc.saturation.g_grad_norms measures both losses at once: check each half
    checks.check_g_grad_norm(lambda G, D, z, loss: saturation.g_grad_norms(G, D, z)[
        0 if float(loss(torch.tensor([50.0]))) < -1 else 1])   # minimax: -softplus(50) = -50


@pytest.mark.parametrize("wrong, match", [
    (_variant(reduce="squared"), "squared norm"),
    (_variant(reduce="sum of norms"), "one by one"),
    (_variant(params="G+D"), "included D's parameters"),
    (_variant(params="weight"), "left out G's bias"),
    (_variant(zero=False), "stale ones"),
    (_variant(wrt="samples"), "with respect to the samples"),
    (lambda G, D, z, g_loss: g_loss(D(G(z))).abs(), "size of the loss"),
    (lambda G, D, z, g_loss: [1.0, 2.0], "one number"),
])
def test_g_grad_norm_rejects_wrong_solutions(wrong, match, capsys):
    _fails(checks.check_g_grad_norm, wrong, match)
    assert "❌" in capsys.readouterr().out


def test_g_grad_norm_must_not_step():
    def stepping(G, D, z, g_loss):
        opt = torch.optim.SGD(G.parameters(), lr=0.1)
        opt.zero_grad()
        g_loss(D(G(z))).backward()
        opt.step()
        return 1.0

    _fails(checks.check_g_grad_norm, stepping, "weights changed")


def test_g_grad_norm_unwritten():
    def g_grad_norm(G, D, z, g_loss):
        raise NotImplementedError("Exercise: complete g_grad_norm()")

    _fails(checks.check_g_grad_norm, g_grad_norm, "not written yet")
