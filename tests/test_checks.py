"""Every checker passes a right solution and fails each of several wrong ones (with a useful message)."""
import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from gancourse import checks
from gancourse.models.style import adain

ExerciseFailed = checks.ExerciseFailed


def _fails(checker, fn, match):
    with pytest.raises(AssertionError, match=match):
        checker(fn)


# ---------------------------------------------------------------------------------------------- D loss
def d_loss(d_real, d_fake):
    return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()


def d_loss_bce(d_real, d_fake):
    return (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
            + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))


def test_d_loss_accepts_right_solutions(capsys):
    checks.check_d_loss(d_loss)
    checks.check_d_loss(d_loss_bce)
    assert "✅" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, match", [
    (lambda r, f: -(F.softplus(-r).mean() + F.softplus(f).mean()), "sign is flipped"),
    (lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum(), "sum over the batch"),
    (lambda r, f: F.softplus(-torch.cat([r, -f])).mean(), "as one batch"),
    (lambda r, f: F.softplus(-f).mean() + F.softplus(r).mean(), "swapped"),
    (lambda r, f: F.softplus(-r).mean(), "only the real term"),
    (lambda r, f: -torch.log(r).mean() - torch.log(1 - f).mean(), "NaN"),  # logits used as probabilities
    (lambda r, f: F.softplus(-torch.sigmoid(r)).mean() + F.softplus(torch.sigmoid(f)).mean(), "sigmoid is applied twice"),
    (lambda r, f: torch.tensor(d_loss(r, f).item()), "no gradient"),
    (lambda r, f: d_loss(r, f).item(), "torch tensor"),
    (lambda r, f: F.softplus(-r) .mean() + F.softplus(f), "scalar"),
    (lambda r, f: -torch.log(torch.sigmoid(r)).mean() - torch.log(1 - torch.sigmoid(f)).mean(), "extreme logits"),
])
def test_d_loss_rejects_wrong_solutions(wrong, match, capsys):
    _fails(checks.check_d_loss, wrong, match)
    assert "❌" in capsys.readouterr().out


def test_unstable_d_loss_passes_when_stability_is_not_asked_for():
    checks.check_d_loss(lambda r, f: -torch.log(torch.sigmoid(r)).mean() - torch.log(1 - torch.sigmoid(f)).mean(),
                        stable=False)


# ---------------------------------------------------------------------------------------------- G losses
def test_g_losses_accept_right_solutions():
    checks.check_g_loss_minimax(lambda f: -F.softplus(f).mean())
    checks.check_g_loss_minimax(lambda f: F.logsigmoid(-f).mean())
    checks.check_g_loss_nonsaturating(lambda f: F.softplus(-f).mean())
    checks.check_g_loss_nonsaturating(lambda f: F.binary_cross_entropy_with_logits(f, torch.ones_like(f)))


@pytest.mark.parametrize("wrong, match", [
    (lambda f: F.softplus(f).mean(), "sign is flipped"),
    (lambda f: F.softplus(-f).mean(), "non-saturating"),
    (lambda f: -F.softplus(f).sum(), "sum over the batch"),
    (lambda f: torch.log(1 - f).mean(), "NaN|expected"),
    (lambda f: torch.log(1 - torch.sigmoid(f)).mean(), "extreme logits"),
    (lambda f: (-F.softplus(f).mean()).detach(), "no gradient"),
])
def test_g_loss_minimax_rejects_wrong_solutions(wrong, match):
    _fails(checks.check_g_loss_minimax, wrong, match)


@pytest.mark.parametrize("wrong, match", [
    (lambda f: -F.softplus(-f).mean(), "sign is flipped"),
    (lambda f: -F.softplus(f).mean(), "minimax"),
    (lambda f: F.softplus(f).mean(), "maximise"),
    (lambda f: F.softplus(-f).sum(), "sum over the batch"),
    (lambda f: -torch.log(torch.sigmoid(f)).mean(), "extreme logits"),
    (lambda f: -torch.log(f).mean(), "NaN"),
])
def test_g_loss_nonsaturating_rejects_wrong_solutions(wrong, match):
    _fails(checks.check_g_loss_nonsaturating, wrong, match)


# ---------------------------------------------------------------------------------------------- D step
def d_step(G, D, opt_D, real, z):
    with torch.no_grad():
        fake = G(z)
    loss = d_loss(D(real), D(fake))
    opt_D.zero_grad()
    loss.backward()
    opt_D.step()
    return loss.detach()


def d_step_detach(G, D, opt_D, real, z):
    fake = G(z)
    loss = d_loss(D(real), D(fake.detach()))
    opt_D.zero_grad()
    loss.backward()
    opt_D.step()


def d_step_not_detached(G, D, opt_D, real, z):
    loss = d_loss(D(real), D(G(z)))
    opt_D.zero_grad()
    loss.backward()
    opt_D.step()
    return loss


def d_step_no_zero_grad(G, D, opt_D, real, z):
    loss = d_loss(D(real), D(G(z).detach()))
    loss.backward()
    opt_D.step()
    return loss


def d_step_no_step(G, D, opt_D, real, z):
    loss = d_loss(D(real), D(G(z).detach()))
    opt_D.zero_grad()
    loss.backward()
    return loss


def d_step_ascent(G, D, opt_D, real, z):
    loss = -d_loss(D(real), D(G(z).detach()))
    opt_D.zero_grad()
    loss.backward()
    opt_D.step()


def d_step_g_loss(G, D, opt_D, real, z):
    loss = F.softplus(-D(G(z).detach())).mean()
    opt_D.zero_grad()
    loss.backward()
    opt_D.step()


def d_step_returns_loss_after_step(G, D, opt_D, real, z):
    fake = G(z).detach()
    opt_D.zero_grad()
    d_loss(D(real), D(fake)).backward()
    opt_D.step()
    return d_loss(D(real), D(fake))


def test_d_step_accepts_right_solutions():
    checks.check_d_step(d_step)
    checks.check_d_step(d_step_detach)


@pytest.mark.parametrize("wrong, match", [
    (d_step_not_detached, "must not back-propagate into G"),
    (d_step_no_zero_grad, "zero_grad"),
    (d_step_no_step, "did not change"),
    (d_step_ascent, "uphill"),
    (d_step_g_loss, "expected"),
    (d_step_returns_loss_after_step, "before the update"),
])
def test_d_step_rejects_wrong_solutions(wrong, match):
    _fails(checks.check_d_step, wrong, match)


# ---------------------------------------------------------------------------------------------- gradient penalty
def gp(D, real, fake):
    eps = torch.rand(real.shape[0], 1, 1, 1)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def _gp_variant(eps_shape=None, point=None, norm=None, create_graph=True, reduce="mean"):
    def fn(D, real, fake):
        eps = torch.rand(*(eps_shape(real) if eps_shape else (real.shape[0], 1, 1, 1)))
        x_hat = point(real, fake, eps) if point else eps * real + (1 - eps) * fake
        x_hat = x_hat.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=create_graph)
        n = norm(grad) if norm else grad.flatten(1).norm(dim=1)
        pen = (n - 1) ** 2
        return pen.mean() if reduce == "mean" else pen.sum()
    return fn


def test_gradient_penalty_accepts_right_solutions():
    from gancourse.losses import gradient_penalty

    checks.check_gradient_penalty(gp)
    checks.check_gradient_penalty(gradient_penalty)


@pytest.mark.parametrize("wrong, match", [
    (_gp_variant(point=lambda r, f, e: r), "real \\(or fake\\) points"),
    (_gp_variant(eps_shape=lambda r: r.shape), "one eps per sample"),
    (_gp_variant(eps_shape=lambda r: (1, 1, 1, 1)), "same eps"),
    (_gp_variant(point=lambda r, f, e: (e + 1) * r - e * f), "eps must lie in"),
    (_gp_variant(norm=lambda g: g.flatten(1).pow(2).sum(1)), "squared norm"),
    (_gp_variant(norm=lambda g: g.norm()), "whole batch"),
    (_gp_variant(norm=lambda g: g.norm(dim=1)), "one dimension only"),
    (_gp_variant(reduce="sum"), "sum over the batch"),
    (_gp_variant(create_graph=False), "create_graph"),
])
def test_gradient_penalty_rejects_wrong_solutions(wrong, match):
    _fails(checks.check_gradient_penalty, wrong, match)


# ---------------------------------------------------------------------------------------------- unrolled step
def sgd_step(D, params, real, fake, lr):
    loss = d_loss(functional_call(D, params, (real,)), functional_call(D, params, (fake,)))
    grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
    return {k: p - lr * g for (k, p), g in zip(params.items(), grads)}


def sgd_step_no_graph(D, params, real, fake, lr):
    loss = d_loss(functional_call(D, params, (real,)), functional_call(D, params, (fake,)))
    grads = torch.autograd.grad(loss, list(params.values()))
    return {k: p - lr * g for (k, p), g in zip(params.items(), grads)}


def sgd_step_detached_fake(D, params, real, fake, lr):
    return sgd_step(D, params, real, fake.detach(), lr)


def sgd_step_ascent(D, params, real, fake, lr):
    new = sgd_step(D, params, real, fake, lr)
    return {k: 2 * params[k] - v for k, v in new.items()}


def sgd_step_in_place(D, params, real, fake, lr):
    opt = torch.optim.SGD(D.parameters(), lr=lr)
    opt.zero_grad()
    d_loss(D(real), D(fake)).backward()
    opt.step()
    return dict(D.named_parameters())


def test_unrolled_step_accepts_right_solutions():
    checks.check_unrolled_step(sgd_step)


def test_unrolled_step_accepts_the_package_sgd_step():
    unrolled = pytest.importorskip("gancourse.trainers.unrolled")
    checks.check_unrolled_step(unrolled.sgd_step)


@pytest.mark.parametrize("wrong, match", [
    (sgd_step_no_graph, "carry no gradient|do not depend"),
    (sgd_step_detached_fake, "do not depend on the fakes"),
    (sgd_step_ascent, "uphill"),
    (sgd_step_in_place, "own weights changed"),
    (lambda D, params, real, fake, lr: list(params.values()), "dict"),
])
def test_unrolled_step_rejects_wrong_solutions(wrong, match):
    _fails(checks.check_unrolled_step, wrong, match)


# ---------------------------------------------------------------------------------------------- AdaIN
def test_adain_accepts_the_package_solution():
    checks.check_adain(adain)


@pytest.mark.parametrize("wrong, match", [
    (lambda x, s, b: s[:, :, None, None] * (x - x.mean((2, 3), keepdim=True)) / x.std((2, 3), keepdim=True)
     + b[:, :, None, None], "biased variance"),
    (lambda x, s, b: adain(x, b, s), "swapped"),
    (lambda x, s, b: s[:, :, None, None] * (x - x.mean((0, 2, 3), keepdim=True))
     / x.std((0, 2, 3), unbiased=False, keepdim=True) + b[:, :, None, None], "over the batch"),
    (lambda x, s, b: x, "differs"),
    (lambda x, s, b: adain(x, s, b)[:, 0], "shaped like x"),
])
def test_adain_rejects_wrong_solutions(wrong, match):
    _fails(checks.check_adain, wrong, match)


# ---------------------------------------------------------------------------------------------- InfoGAN loss
def info_loss(cat_logits, cat_code, cont_pred, cont_code):
    return F.cross_entropy(cat_logits, cat_code) + 0.5 * (cont_pred - cont_code).pow(2).sum(1).mean()


def test_info_loss_accepts_right_solution():
    checks.check_info_loss(info_loss)


@pytest.mark.parametrize("wrong, match", [
    (lambda l, c, p, k: F.cross_entropy(l, c), "continuous term is missing"),
    (lambda l, c, p, k: 0.5 * (p - k).pow(2).sum(1).mean(), "categorical term is missing"),
    (lambda l, c, p, k: F.cross_entropy(l, c) + (p - k).pow(2).sum(1).mean(), "no factor 1/2"),
    (lambda l, c, p, k: F.cross_entropy(l, c) + 0.5 * F.mse_loss(p, k), "averaged over the code"),
    (lambda l, c, p, k: F.cross_entropy(l.softmax(1), c) + 0.5 * (p - k).pow(2).sum(1).mean(), "softmax applied twice"),
    (lambda l, c, p, k: info_loss(l, c, p, k).detach(), "no gradient"),
])
def test_info_loss_rejects_wrong_solutions(wrong, match):
    _fails(checks.check_info_loss, wrong, match)


def test_an_unwritten_exercise_gets_a_friendly_message():
    def d_loss(d_real, d_fake):
        raise NotImplementedError("Exercise: complete d_loss()")

    _fails(checks.check_d_loss, d_loss, "not written yet")


def test_a_crashing_solution_is_reported_with_its_error():
    _fails(checks.check_adain, lambda x, s, b: x.mean(dim=7), "raised IndexError")
