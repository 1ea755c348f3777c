"""Lesson 03's experiment: G's gradient under the two G losses as D is trained against a fixed G."""
import math

import numpy as np
import pytest
import torch
from torch import nn

import gancourse as gc
from gancourse import saturation as sat


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py



class LinearD(nn.Module):
    """D(x) = w x + b in 1-D, with fixed, known weights."""

    def __init__(self, w, b):
        super().__init__()
        self.lin = nn.Linear(1, 1)
        with torch.no_grad():
            self.lin.weight.fill_(w)
            self.lin.bias.fill_(b)

    def forward(self, x):
        return self.lin(x).squeeze(-1)


def test_shift_generator_samples_and_density():
    G = sat.ShiftGenerator([3.0, -1.0], scale=0.5)
    assert G.z_dim == 2
    z = torch.randn(20000, 2, generator=torch.Generator().manual_seed(0))
    x = G(z).detach()
    assert torch.allclose(x.mean(0), torch.tensor([3.0, -1.0]), atol=0.02)
    assert torch.allclose(x.std(0), torch.tensor([0.5, 0.5]), atol=0.02)
    # log N(x; mu, 0.25 I) at x = (3.5, -1): by hand, -0.5 * (0.5/0.5)^2 - 2 * (log 0.5 + 0.5 log 2 pi)
    expected = -0.5 - 2 * (math.log(0.5) + 0.5 * math.log(2 * math.pi))
    assert float(G.log_prob(torch.tensor([[3.5, -1.0]]))[0]) == pytest.approx(expected, abs=1e-6)  # parameters are float32


def test_grad_norms_match_hand_computation():
    w, b, shift, scale = 1.5, -2.0, 0.7, 0.8
    G = sat.ShiftGenerator([shift], scale=scale)
    D = LinearD(w, b)
    z = torch.linspace(-2, 2, 9)[:, None]
    mm, ns = sat.g_grad_norms(G, D, z)
    # l_i = w (shift + scale z_i) + b; dl/dshift = w, dl/dlog_scale = w scale z_i
    zi = np.linspace(-2, 2, 9)
    s = 1 / (1 + np.exp(-(w * (shift + scale * zi) + b)))
    mm_grad = np.array([np.mean(-s * w), np.mean(-s * w * scale * zi)])        # d/dtheta of -mean softplus(l)
    ns_grad = np.array([np.mean(-(1 - s) * w), np.mean(-(1 - s) * w * scale * zi)])  # of mean softplus(-l)
    assert mm == pytest.approx(np.linalg.norm(mm_grad), rel=1e-5)
    assert ns == pytest.approx(np.linalg.norm(ns_grad), rel=1e-5)
    assert all(p.grad is None for p in list(G.parameters()) + list(D.parameters()))


def test_default_measure_steps():
    assert sat.default_measure_steps(0) == [0]
    assert sat.default_measure_steps(50) == [0, 1, 3, 10, 30, 50]
    assert sat.default_measure_steps(300) == [0, 1, 3, 10, 30, 100, 300]


def _run(**kw):
    data = gc.data.Mixture1D([0.0], std=0.5)
    G = sat.ShiftGenerator([4.0], scale=0.5)
    args = dict(width=32, steps=150, lr=3e-3, n_eval=1024, batch_size=128)
    args.update(kw)
    return sat.train_d_against(data, G, **args)


def test_strong_d_saturates_minimax_but_not_nonsaturating():
    state = torch.get_rng_state()
    res = _run(grid=torch.linspace(-2, 6, 81))
    assert torch.equal(torch.get_rng_state(), state), "the global RNG must be left alone"
    assert res.steps == sat.default_measure_steps(150)
    # at initialisation D(G(z)) is near 1/2, so both multipliers sigmoid(l) and 1 - sigmoid(l) are alike
    assert 0.2 < res.d_fake[0] < 0.8
    assert 1 / 3 < res.ratios[0] < 3
    # trained D rejects the fakes and accepts the data ...
    assert res.d_fake[-1] < 0.02 and res.d_real[-1] > 0.98
    # ... so the minimax gradient carries a factor D(G(z)) -> 0, the non-saturating one 1 - D(G(z)) -> 1
    assert res.ratio > 20, res.ratio
    assert res.grad_nonsaturating[-1] > res.grad_nonsaturating[0]
    assert res.grad_minimax[-1] < max(res.grad_minimax) / 2
    d = res.d_on_grid
    assert d.shape == (81,) and float(d.min()) >= 0 and float(d.max()) <= 1
    assert float(d[20]) > 0.9 and float(d[-21]) < 0.1  # x = 0 (data) and x = 4 (fakes)


def test_deterministic_under_seed():
    a, b, c = _run(steps=30, seed=3), _run(steps=30, seed=3), _run(steps=30, seed=4)
    assert a.grad_minimax == b.grad_minimax and a.d_fake == b.d_fake
    assert a.grad_minimax != c.grad_minimax


def test_two_dimensional_data():
    G = sat.ShiftGenerator([3.0, 0.0], scale=0.1)
    res = sat.train_d_against(gc.data.ring(std=0.05), G, width=32, steps=100, lr=3e-3, n_eval=512,
                              grid=torch.zeros(5, 2))
    assert res.d_on_grid.shape == (5,)
    assert res.ratio > 10, res.ratio


def test_sweep_collects_final_values():
    data = gc.data.Mixture1D([0.0], std=0.5)
    G = sat.ShiftGenerator([4.0], scale=0.5)
    out = sat.sweep(data, G, "steps", [0, 20], width=16, n_eval=256, batch_size=64)
    assert out["values"] == [0, 20] and len(out["minimax"]) == len(out["nonsaturating"]) == 2
    direct = sat.train_d_against(data, G, width=16, n_eval=256, batch_size=64, steps=20)
    assert out["minimax"][1] == pytest.approx(direct.grad_minimax[-1])
    assert out["results"][0].steps == [0]


@pytest.mark.parametrize("kwargs, match", [
    (dict(steps=-1), "steps"),
    (dict(steps=2.5), "steps"),
    (dict(batch_size=0), "batch_size"),
    (dict(n_eval=0), "n_eval"),
    (dict(lr=0.0), "learning rate"),
    (dict(width=0), "width"),
    (dict(measure_at=[5], steps=3), "measure_at"),
    (dict(measure_at=[]), "measure_at"),
    (dict(grid=torch.zeros(4, 2)), "grid"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _run(**{"steps": 3, **kwargs})


def test_bad_inputs_to_helpers():
    data = gc.data.Mixture1D([0.0], std=0.5)
    with pytest.raises(ValueError, match="2-D samples but the data are 1-D"):
        sat.train_d_against(data, sat.ShiftGenerator([1.0, 1.0]), steps=1)
    with pytest.raises(ValueError, match="sample"):
        sat.train_d_against([1, 2, 3], sat.ShiftGenerator([1.0]), steps=1)
    with pytest.raises(ValueError, match="scale"):
        sat.ShiftGenerator([1.0], scale=-1)
    with pytest.raises(ValueError, match="shift"):
        sat.ShiftGenerator([float("nan")])
    with pytest.raises(ValueError, match="cannot sweep"):
        sat.sweep(data, sat.ShiftGenerator([1.0]), "batch", [1])
    with pytest.raises(ValueError, match="empty"):
        sat.sweep(data, sat.ShiftGenerator([1.0]), "width", [])
