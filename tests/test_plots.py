import numpy as np
import pytest
import torch

from gancourse import plots
from gancourse.data import toy
from gancourse.models import MLPDiscriminator
from gancourse.trainers import History


def test_densities_with_d_and_d_star():
    x = np.linspace(-3, 3, 50)
    ax = plots.plot_densities_1d(x, np.exp(-x**2), np.exp(-(x - 1) ** 2), d=np.full(50, 0.4), d_star=np.full(50, 0.5))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["p_data", "p_g", "D* = p_data/(p_data+p_g)", "D (trained)"]
    twin = [a for a in ax.figure.axes if a is not ax][0]
    assert np.allclose(twin.lines[1].get_ydata(), 0.4)


def test_samples_2d_draws_each_group():
    d = toy.ring()
    ax = plots.plot_samples_2d(d.sample(30), d.sample(20), d.centers, lim=1.5)
    sizes = [len(c.get_offsets()) for c in ax.collections]
    assert sizes == [30, 20, 8]
    assert ax.get_xlim() == (-1.5, 1.5)


def test_heatmap_is_d_probability():
    D = MLPDiscriminator(width=8)
    torch.nn.init.zeros_(D.net[-1].weight)
    torch.nn.init.constant_(D.net[-1].bias, 0.0)
    ax = plots.plot_d_heatmap_2d(D, lim=2, n=20)
    img = ax.images[0].get_array()
    assert img.shape == (20, 20) and np.allclose(img, 0.5)


def test_history_curves_and_smoothing():
    h = History()
    for i in range(1, 11):
        h.append({"step": i, "loss_D": float(i), "loss_G": 1.0})
    ax = plots.plot_history(h, smooth=3)
    x, y = ax.lines[0].get_data()
    assert list(x) == list(range(3, 11)) and np.allclose(y, np.arange(2, 10))
    assert h.last("loss_D", 2) == 9.5
    with pytest.raises(ValueError, match="history has no 'loss_X'"):
        plots.plot_history(h, keys=("loss_X",))


def test_grad_norms_log_scale():
    ax = plots.plot_grad_norms([1, 2, 3], {"minimax": [1e-1, 1e-3, 1e-5], "non-saturating": [1, 1, 1]})
    assert ax.get_yscale() == "log" and len(ax.lines) == 2


def test_liveplot_redraws():
    calls = []
    live = plots.LivePlot(lambda trainer, fig: calls.append(len(fig.axes)), every=2)
    live.on_step(None, {"step": 2})
    live.on_fit_end(None)
    assert calls == [2, 2]
    with pytest.raises(ValueError, match="every"):
        plots.LivePlot(lambda t, f: None, every=0)


def test_critic_plot_shows_raw_values_and_gradient_arrows():
    # f(x) = 3 x_1 - x_2: the image holds f itself (no sigmoid) and every arrow is grad f = (3, -1)
    D = torch.nn.Linear(2, 1)
    with torch.no_grad():
        D.weight.copy_(torch.tensor([[3.0, -1.0]]))
        D.bias.zero_()
    fake = torch.zeros(5, 2)
    ax = plots.plot_critic_2d(D, lim=2.0, n=11, fake=fake, arrows=4)
    values = ax.images[0].get_array()
    assert values[5, 10] == pytest.approx(6.0) and values[10, 5] == pytest.approx(-2.0)
    quiver = [c for c in ax.collections if c.__class__.__name__ == "Quiver"][0]
    assert len(quiver.U) == 4 and np.allclose(quiver.U, 3.0) and np.allclose(quiver.V, -1.0)
