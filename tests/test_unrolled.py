import copy

import pytest
import torch
from torch.func import functional_call

from gancourse import losses
from gancourse.data import toy
from gancourse.models import MLPDiscriminator, MLPGenerator
from gancourse.trainers import GANTrainer
from gancourse.trainers.unrolled import UnrolledGANTrainer, adam_state, adam_step, d_params, sgd_step


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


@pytest.fixture
def float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def tiny_trainer(**kwargs):
    """A smooth (tanh) G and D small enough for finite differences over every G weight, with a warm Adam state."""
    torch.manual_seed(0)
    G = MLPGenerator(z_dim=2, out_dim=2, width=4, depth=1, act="tanh")
    D = MLPDiscriminator(in_dim=2, width=5, depth=1, act="tanh")
    t = UnrolledGANTrainer(G, D, device="cpu", seed=0, lr_d=0.05, **kwargs)
    for _ in range(2):  # two real D steps so that the unroll starts from non-trivial Adam moments
        t.opt_D.zero_grad()
        t.d_loss(D(torch.randn(8, 2)), D(G(torch.randn(8, 2)).detach())).backward()
        t.opt_D.step()
    return t


def finite_difference_grad(f, params, h=1e-6):
    out = []
    with torch.no_grad():
        for p in params:
            flat = p.view(-1)
            for i in range(flat.numel()):
                old = flat[i].item()
                flat[i] = old + h
                up = f().item()
                flat[i] = old - h
                down = f().item()
                flat[i] = old
                out.append((up - down) / (2 * h))
    return torch.tensor(out)


@pytest.mark.parametrize("inner, unroll_lr", [("adam", None), ("sgd", 0.5)])
def test_unrolled_gradient_matches_finite_differences(float64, inner, unroll_lr):
    t = tiny_trainer(unroll=3, inner=inner, unroll_lr=unroll_lr)
    real, z = torch.randn(8, 2), torch.randn(8, 2)
    G_params = list(t.G.parameters())
    analytic = torch.cat([g.flatten() for g in torch.autograd.grad(t.unrolled_g_loss(real, z), G_params)])
    numeric = finite_difference_grad(lambda: t.unrolled_g_loss(real, z), G_params)
    assert torch.allclose(analytic, numeric, atol=1e-7, rtol=1e-5), (analytic - numeric).abs().max()

    # The in-place "deepcopy D and step it" shortcut evaluates G's loss at the same unrolled D but drops the
    # term through the updates: its gradient is measurably different from the true one.
    fake = t.G(z)
    frozen = {k: v.detach() for k, v in t.unrolled_d_params(real, fake).items()}
    shortcut = torch.autograd.grad(t.g_loss(functional_call(t.D, frozen, (fake,))), G_params)
    shortcut = torch.cat([g.flatten() for g in shortcut])
    assert (shortcut - numeric).abs().max() > 100 * (analytic - numeric).abs().max() + 1e-4


def test_unroll_zero_is_the_plain_gan_g_step():
    torch.manual_seed(1)
    G, D = MLPGenerator(z_dim=3, width=16), MLPDiscriminator(width=16)
    plain = GANTrainer(copy.deepcopy(G), copy.deepcopy(D), device="cpu", seed=5)
    unrolled = UnrolledGANTrainer(copy.deepcopy(G), copy.deepcopy(D), unroll=0, device="cpu", seed=5)
    real = toy.ring().sample(32, generator=torch.Generator().manual_seed(0))
    a, b = plain.g_step(real), unrolled.g_step(real)
    assert torch.allclose(a["loss_G"], b["loss_G"])
    for p, q in zip(plain.G.parameters(), unrolled.G.parameters()):
        assert torch.allclose(p.grad, q.grad, atol=1e-7) and torch.allclose(p, q)


def test_first_adam_unroll_step_is_the_optimizers_next_step():
    torch.manual_seed(2)
    D = MLPDiscriminator(width=8)
    opt = torch.optim.Adam(D.parameters(), lr=1e-2, betas=(0.5, 0.999))
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    for _ in range(3):
        opt.zero_grad()
        losses.minimax_d_loss(D(real), D(torch.randn(16, 2))).backward()
        opt.step()
    params, _ = adam_step(D, d_params(D), adam_state(opt, D), real, fake, lr=1e-2, betas=(0.5, 0.999))
    opt.zero_grad()
    losses.minimax_d_loss(D(real), D(fake)).backward()
    opt.step()
    for name, p in D.named_parameters():
        assert torch.allclose(params[name], p, atol=1e-6), name


def test_sgd_step_is_theta_minus_lr_grad():
    torch.manual_seed(3)
    D = MLPDiscriminator(width=8)
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    losses.minimax_d_loss(D(real), D(fake)).backward()
    new = sgd_step(D, d_params(D), real, fake, lr=0.1)
    for name, p in D.named_parameters():
        assert torch.allclose(new[name], p - 0.1 * p.grad, atol=1e-7)


def test_training_leaves_d_to_its_own_optimizer():
    torch.manual_seed(4)
    t = UnrolledGANTrainer(MLPGenerator(z_dim=2, width=16), MLPDiscriminator(width=16), unroll=2, k=2,
                           device="cpu", seed=0)
    d_before = [p.clone() for p in t.D.parameters()]
    t.g_step(toy.ring().sample(16))
    assert all(torch.equal(a, b) for a, b in zip(d_before, t.D.parameters()))
    t.fit(toy.ring(), steps=3, batch_size=16, progress=False)
    state = t.opt_D.state[next(iter(t.D.parameters()))]
    assert int(state["step"]) == 6  # only the k=2 real D steps per training step, never the unroll
    assert int(t.opt_G.state[next(iter(t.G.parameters()))]["step"]) == 4  # 1 + 3
    assert {"loss_D", "loss_G", "grad_G"} <= set(t.history)


@pytest.mark.parametrize("kwargs, match", [
    ({"unroll": -1}, "unroll must be an integer >= 0, got -1"),
    ({"unroll": 1.5}, "unroll must be an integer >= 0, got 1.5"),
    ({"inner": "rmsprop"}, "unknown inner update 'rmsprop'; choose from adam, sgd"),
    ({"unroll_lr": 0.0}, "unroll_lr must be a finite number > 0, got 0.0"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        UnrolledGANTrainer(MLPGenerator(), MLPDiscriminator(), device="cpu", **kwargs)
