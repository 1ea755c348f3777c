"""The D-strength explorer: its controls drive the saturation experiment and redraw the figure, headless too, and
in a running event loop a change shows progress at once, draws early and abandons a superseded computation."""
import asyncio

import ipywidgets as widgets
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
    (dict(foo=1), "no control named foo"),
    (dict(width=5), "width=5 is not one of"),
    (dict(lr=1.0), "lr=1.0 is not one of the menu's values .*'1e-3', '3e-3'"),
    (dict(lr=2e-3), "lr=0.002 is not one of"),
    (dict(gap=-1.0), r"gap \(the slider's range \[0, 8\]\) must be a finite number >= 0 and <= 8, got -1.0"),
])
def test_set_rejects_bad_values(explorer, values, match):
    n, before = explorer.n_updates, explorer.values
    with pytest.raises(ValueError, match=match):
        explorer.set(**values)
    assert explorer.n_updates == n and explorer.values == before, "a rejected value must change nothing"


@pytest.mark.parametrize("kwargs, match", [
    (dict(width=5), "width 5 is not one of"),
    (dict(steps=7), "steps 7 is not one of"),
    (dict(lr=1.0), "lr 1.0 is not one of"),
    (dict(lr_choices=(1e-3, -1.0)), "lr_choices"),
])
def test_constructor_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DStrengthExplorer(**{**SMALL, **kwargs})


def test_rejects_three_dimensional_data():
    with pytest.raises(ValueError, match="1-D or 2-D"):
        DStrengthExplorer(gc.data.GaussianMixture(torch.zeros(1, 3)), **SMALL)


def test_learning_rates_are_round_and_read_as_such():
    from gancourse.widgets.strength import LRS, lr_label

    assert [lr_label(v) for v in LRS] == ["1e-4", "3e-4", "1e-3", "3e-3", "1e-2", "3e-2", "1e-1"]
    assert lr_label(2.5e-3) == "2.5e-3"
    ex = DStrengthExplorer(**SMALL)
    menu = ex.sliders["lr"]
    assert menu.label == "3e-3" and menu.value == 3e-3  # the readout is the exact value used
    ex.set(lr=1e-2)
    assert menu.label == "1e-2" and ex.result.settings["lr"] == 1e-2


def test_width_lr_and_steps_are_labelled_menus_whose_value_is_announced():
    """A <select> with a <label> is read as "D width, 16" (ipywidgets' sliders announce their position instead)."""
    ex = DStrengthExplorer(**SMALL)
    for name in ("width", "lr", "steps"):
        control = ex.sliders[name]
        assert isinstance(control, widgets.Dropdown) and control.description
        assert control.label == dict((v, k) for k, v in control.options)[control.value]
    assert isinstance(ex.sliders["gap"], widgets.FloatSlider)  # a linear slider: its position is its value


def test_legend_sits_below_the_d_curve():
    ex = DStrengthExplorer(**SMALL)
    legend = ex.axes[0].get_legend()
    ex._canvas.draw()
    box, axes_box = legend.get_window_extent(), ex.axes[0].get_window_extent()
    assert box.y1 <= axes_box.y0, "the legend must not cover the plot (D(x) is 1 in its upper left corner)"


def test_in_an_event_loop_a_change_trains_in_the_background_and_a_new_one_cancels_it(monkeypatch):
    from gancourse.widgets import strength

    monkeypatch.setattr(strength, "FIRST_PICTURE_S", 0.0)  # draw a coarse picture after the first slice
    monkeypatch.setattr(strength, "SLICE_S", 0.001)
    monkeypatch.setattr(strength, "WORTH_A_PICTURE_S", 0.0)
    ex = DStrengthExplorer(**{**SMALL, "step_choices": (0, 10, 40, 200)})
    n, first_png = ex.n_updates, _png(ex)
    seen = []

    async def scenario():
        ex.sliders["steps"].value = 200             # as a user's change arrives: a task, not a blocking call
        assert ex.busy and ex.n_updates == n
        assert ex.status.value.startswith("training D: <progress")
        for _ in range(10000):
            await asyncio.sleep(0)
            seen.append(ex.status.value)
            if _png(ex) != first_png and "of 200 steps" in str(ex.fig.axes[0].get_title()):
                break
        assert ex.busy, "a coarse picture appears while D is still training"
        stale = ex._task
        ex.sliders["width"].value = 16              # a new change abandons the computation in progress
        await asyncio.sleep(0)
        assert stale.cancelled() and ex.busy
        while ex.busy:
            await asyncio.sleep(0.001)

    asyncio.run(scenario())
    assert ex.n_updates == n + 1, "only the last change's computation completed"
    assert ex.values["width"] == 16 and ex.result.settings["width"] == 16 and ex.result.steps[-1] == 200
    assert ex.status.value.startswith("after 200 D steps")
    assert any(s.startswith("training D") and "/200 steps" in s for s in seen)
    # the same numbers as a headless computation with these settings
    direct = sat.train_d_against(gc.data.Mixture1D([0.0], std=0.5), sat.ShiftGenerator([4.0], 0.5), width=16,
                                 lr=3e-3, steps=200, batch_size=64)
    assert ex.result.grad_minimax == pytest.approx(direct.grad_minimax)


def test_set_abandons_a_background_computation():
    ex = DStrengthExplorer(**{**SMALL, "step_choices": (0, 10, 40, 200)})

    async def scenario():
        ex.sliders["steps"].value = 200
        task = ex._task
        await asyncio.sleep(0)
        res = ex.set(steps=10)                      # headless: runs to the end now
        await asyncio.sleep(0)
        return task, res

    task, res = asyncio.run(scenario())
    assert task.cancelled() and not ex.busy
    assert res.steps[-1] == 10 and ex.result is res
