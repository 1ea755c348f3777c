"""The D-strength explorer: sliders drive the saturation experiment and redraw the figure, headless too."""
import pytest
import torch

import gancourse as gc
from gancourse import saturation as sat
from gancourse.widgets.strength import DStrengthExplorer


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


SMALL = dict(widths=(4, 8, 16), step_choices=(0, 10, 40), width=8, steps=40, lr=3e-3, batch_size=64, figsize=(5, 2))


def _png(ex):
    (out,) = ex.output.outputs
    return out["data"]["image/png"]


def test_builds_computes_and_renders():
    ex = DStrengthExplorer(**SMALL)
    assert set(ex.sliders) == {"width", "lr", "steps", "gap"}
    assert ex.values == {"width": 8, "lr": pytest.approx(3e-3), "steps": 40, "gap": 4.0}
    assert ex.n_updates == 1 and ex.result is not None
    assert len(_png(ex)) > 1000  # a real image, not an empty placeholder
    assert ex.result.steps[-1] == 40
    # the explorer passes its slider values through to the experiment unchanged
    direct = sat.train_d_against(gc.data.Mixture1D([0.0], std=0.5), sat.ShiftGenerator([4.0], 0.5), width=8,
                                 lr=3e-3, steps=40, batch_size=64)
    assert ex.result.grad_minimax == pytest.approx(direct.grad_minimax)
    assert "minimax" in ex.status.value


def test_set_moves_sliders_and_recomputes_once():
    ex = DStrengthExplorer(**SMALL)
    before_png, before = _png(ex), ex.result
    res = ex.set(steps=0, width=16)
    assert ex.n_updates == 2, "several sliders set together must recompute once"
    assert res is ex.result and ex.values["steps"] == 0 and ex.values["width"] == 16
    assert res.steps == [0] and res.d_fake[-1] != before.d_fake[-1]
    assert _png(ex) != before_png
    ex.sliders["gap"].value = 2.0  # a slider moved by hand (or by a user) also redraws
    assert ex.n_updates == 3


def test_two_dimensional_data_and_custom_generator():
    G = sat.ShiftGenerator([3.0, 0.0], scale=0.1)
    ex = DStrengthExplorer(gc.data.ring(std=0.05), G, **SMALL)
    assert "gap" not in ex.sliders, "a user's own G has no gap slider"
    assert ex.result.d_on_grid.shape == (80 * 80,)
    assert len(ex.fig.axes) == 3  # D heatmap, its colorbar, the gradient norms


@pytest.fixture(scope="module")
def explorer():
    return DStrengthExplorer(**{**SMALL, "step_choices": (0, 40)})


@pytest.mark.parametrize("values, match", [
    (dict(foo=1), "no slider named foo"),
    (dict(width=5), "width must be one of 4, 8, 16, got 5"),
    (dict(lr=1.0), r"lr \(the slider's range\) must be a finite number >= 0.0001 and <= 0.1, got 1.0"),
    (dict(gap=-1.0), r"gap \(the slider's range\) must be a finite number >= 0 and <= 8, got -1.0"),
])
def test_set_rejects_bad_values(explorer, values, match):
    n, before = explorer.n_updates, explorer.values
    with pytest.raises(ValueError, match=match):
        explorer.set(**values)
    assert explorer.n_updates == n and explorer.values == before, "a rejected value must change nothing"


@pytest.mark.parametrize("kwargs, match", [
    (dict(width=5), r"width \(a value of the slider\) must be one of 4, 8, 16, got 5"),
    (dict(steps=7), r"steps \(a value of the slider\) must be one of 0, 10, 40, got 7"),
    (dict(lr=1.0), r"lr \(inside lr_range\) must be a finite number >= 0.0001 and <= 0.1, got 1.0"),
    (dict(lr_range=(1e-2, 1e-3)), "lr_range"),
])
def test_constructor_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DStrengthExplorer(**{**SMALL, **kwargs})


def test_rejects_three_dimensional_data():
    with pytest.raises(ValueError, match="1-D or 2-D"):
        DStrengthExplorer(gc.data.GaussianMixture(torch.zeros(1, 3)), **SMALL)
