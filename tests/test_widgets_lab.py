"""The GAN lab, headless: what it computes is checked against independent calculations, and its controls act."""
import asyncio
import io

import numpy as np
import pytest
import torch
from PIL import Image

from gancourse import metrics, trainers
from gancourse.data.toy import TOY
from gancourse.widgets import lab as labmod
from gancourse.widgets import settings as labsettings
from gancourse.widgets.lab import GANLab

SMALL = dict(resolution=24, n_show=40, n_eval=400, z_lines=4)


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _params(m):
    return torch.cat([p.detach().flatten() for p in m.parameters()]).clone()


@pytest.fixture
def lab():
    return GANLab("ring", **SMALL)


# ------------------------------------------------------------------ what a frame holds
def test_frame_contents_and_png(lab):
    f = lab.frame()
    assert f.iteration == 0 and f.d_map.shape == (24, 24)
    assert f.fake.shape == f.grad.shape == (40, 2) and f.real.shape == (40, 2)
    assert f.manifold.shape == (2 * 4, 60, 2)
    assert ((f.d_map >= 0) & (f.d_map <= 1)).all()
    img = Image.open(io.BytesIO(f.png))
    assert img.size == (864, 288)  # 12 x 4 inches at 72 dpi
    assert lab.image.value == f.png


def test_heatmap_is_d_on_the_window_rows_along_y(lab):
    f = lab.frame()
    lo, hi = lab.lo, lab.hi
    corners = torch.tensor([[lo[0], lo[1]], [hi[0], lo[1]], [lo[0], hi[1]]], dtype=torch.float32)
    with torch.no_grad():
        d = torch.sigmoid(lab.D(corners)).numpy()
    assert f.d_map[0, 0] == pytest.approx(d[0], abs=1e-6)
    assert f.d_map[0, -1] == pytest.approx(d[1], abs=1e-6)
    assert f.d_map[-1, 0] == pytest.approx(d[2], abs=1e-6)


def test_fakes_and_manifold_are_g_of_fixed_noise(lab):
    f = lab.frame()
    with torch.no_grad():
        assert np.allclose(f.fake, lab.G(lab.z_eval[:40]).numpy(), atol=1e-6)
        # the first z-line holds z1 = -2 fixed and runs z2 from -2.5 to 2.5
        z = torch.stack([torch.full((60,), -2.0), torch.linspace(-2.5, 2.5, 60)], 1)
        assert np.allclose(f.manifold[0], lab.G(z).numpy(), atol=1e-6)


@pytest.mark.parametrize("loss, factor", [("nonsaturating", lambda p: 1 - p), ("minimax", lambda p: p)])
def test_arrows_are_minus_the_per_sample_gradient_of_the_g_loss(loss, factor):
    """-dl/dx = (1 - D(x)) grad logit (non-saturating) or D(x) grad logit (minimax), by central differences."""
    lab = GANLab("ring", loss=loss, **SMALL)
    lab.step(20)
    f = lab.frame()
    x = torch.from_numpy(f.fake[:10]).double()
    D = lab.D.double()
    with torch.no_grad():
        h = 1e-5
        grad_logit = torch.stack([(D(x + h * e) - D(x - h * e)) / (2 * h) for e in torch.eye(2, dtype=torch.double)], 1)
        p = torch.sigmoid(D(x))
    lab.D.float()
    expected = factor(p)[:, None] * grad_logit
    assert np.allclose(f.grad[:10], expected.numpy(), rtol=1e-3, atol=1e-6)


def test_losses_on_the_fixed_batch_match_the_loss_formulas(lab):
    f = lab.step(10)
    with torch.no_grad():
        d_real = lab.D(torch.from_numpy(lab.real_eval).float()).double()
        d_fake = lab.D(lab.G(lab.z_eval)).double()
    # -E log D(x) - E log(1 - D(G(z))), and the non-saturating -E log D(G(z)), written out with sigmoid
    loss_d = -torch.log(torch.sigmoid(d_real)).mean() - torch.log(1 - torch.sigmoid(d_fake)).mean()
    loss_g = -torch.log(torch.sigmoid(d_fake)).mean()
    assert f.loss_D == pytest.approx(float(loss_d), rel=1e-4)
    assert f.loss_G == pytest.approx(float(loss_g), rel=1e-4)


# ------------------------------------------------------------------ training and step modes
def test_step_trains_both_players(lab):
    g0, d0 = _params(lab.G), _params(lab.D)
    f = lab.step(7)
    assert (f.iteration, f.d_updates, f.g_updates) == (7, 7, 7)
    assert not torch.equal(_params(lab.G), g0) and not torch.equal(_params(lab.D), d0)
    assert len(lab.history["iteration"]) == 2


@pytest.mark.parametrize("mode, moves", [("D", "D"), ("G", "G")])
def test_step_modes_train_one_player(lab, mode, moves):
    lab.set(train=mode, k=3)
    g0, d0 = _params(lab.G), _params(lab.D)
    f = lab.step(4)
    assert torch.equal(_params(lab.G), g0) == (moves == "D")
    assert torch.equal(_params(lab.D), d0) == (moves == "G")
    assert (f.d_updates, f.g_updates) == ((12, 0) if mode == "D" else (0, 4))


def test_k_d_steps_per_iteration(lab):
    lab.set(k=3)
    f = lab.step(2)
    assert (f.d_updates, f.g_updates) == (6, 2)
    assert lab.trainer.k == 3


def test_slow_motion_alternates_d_and_g_phases(lab):
    lab.set(slow_motion=True)
    f1 = lab._one_frame()
    f2 = lab._one_frame()
    assert (f1.phase, f1.d_updates, f1.g_updates, f1.iteration) == ("D", 1, 0, 0)
    assert (f2.phase, f2.d_updates, f2.g_updates, f2.iteration) == ("G", 1, 1, 1)


def test_training_on_the_ring_moves_g_towards_it():
    lab = GANLab("ring", n_eval=1000)
    start = lab.frame()
    end = lab.step(200)
    r0, r1 = (np.linalg.norm(f.fake, axis=1).mean() for f in (start, end))
    assert r0 < 0.5 and 0.6 < r1 < 1.4, (r0, r1)
    assert end.js < start.js - 0.05, (start.js, end.js)  # seeds 0-5: drops of 0.09 to 0.42


def test_strong_d_saturates_the_minimax_gradient_only(lab):
    """After D alone trains hard, the minimax arrows vanish, the non-saturating ones do not (lesson 03)."""
    lab.set(train="D", lr_d=1e-2)
    f_ns = lab.step(150)
    assert f_ns.d_fake < 0.05, f_ns.d_fake
    f_mm = lab.set(loss="minimax")  # same D and G, only the loss changes
    assert f_mm.grad_mean < 0.1 * f_ns.grad_mean, (f_mm.grad_mean, f_ns.grad_mean)


# ------------------------------------------------------------------ settings and controls
def test_structural_change_rebuilds_from_the_same_seed(lab):
    lab.step(5)
    png = lab.frame().png
    f = lab.set(d_width=16)
    assert lab.D.net[0].out_features == 16 and f.iteration == 0 and len(lab.history["iteration"]) == 1
    fresh = GANLab("ring", d_width=16, **SMALL)
    assert torch.equal(_params(lab.D), _params(fresh.D)) and torch.equal(_params(lab.G), _params(fresh.G))
    assert f.png != png


def test_live_changes_keep_training_state(lab):
    lab.step(5)
    g = _params(lab.G)
    lab.set(lr_d=1e-2, lr_g=1e-4, loss="minimax")
    assert lab.iteration == 5 and torch.equal(_params(lab.G), g)
    assert lab.trainer.opt_D.param_groups[0]["lr"] == pytest.approx(1e-2)
    assert lab.trainer.opt_G.param_groups[0]["lr"] == pytest.approx(1e-4)
    assert lab.controls["lr_d"].value == pytest.approx(1e-2) and lab.controls["loss"].value == "minimax"


def test_moving_a_control_widget_acts_like_set(lab):
    draws = lab.n_draws
    lab.controls["d_depth"].value = 1
    assert len([m for m in lab.D.modules() if isinstance(m, torch.nn.Linear)]) == 2
    assert lab.n_draws == draws + 1
    lab.controls["data"].value = "moons"
    assert lab.settings.data == "moons" and lab.iteration == 0


def test_buttons_step_and_reset(lab):
    lab.set(steps_per_frame=3)
    lab.buttons["step"].click()
    assert lab.iteration == 3
    lab.buttons["reset"].click()
    assert lab.iteration == 0


def test_every_toy_distribution_trains():
    for name in TOY:
        lab = GANLab(name, **SMALL)
        f = lab.step(3)
        assert f.iteration == 3 and np.isfinite(f.js), name
        if lab.dim == 1:
            assert f.d_map.shape == (4 * 24,) and f.manifold.shape == (1, 200, 2)


def test_blitted_frame_equals_a_full_redraw(lab):
    lab.step(3)
    blit = _pixels(lab.redraw().png)
    lab.view.invalidate()  # force a full draw of the same state
    full = _pixels(lab.redraw().png)
    assert blit.shape == full.shape
    assert np.abs(blit - full).mean() < 0.5, "the cached background must not leave stale pixels"


def test_frame_changes_as_training_goes(lab):
    a = _pixels(lab.frame().png)
    b = _pixels(lab.step(20).png)
    assert np.abs(a - b).mean() > 0.5


def test_unrolled_method():
    lab = GANLab("ring", method="unrolled", unroll=2, **SMALL)
    assert type(lab.trainer).__name__ == "UnrolledGANTrainer" and lab.trainer.unroll == 2
    lab.set(unroll=3)
    assert lab.trainer.unroll == 3
    assert lab.step(2).g_updates == 2
    lab.set(train="G")
    assert lab.step(1).g_updates == 3


@pytest.mark.parametrize("method", ["wgan-gp", "wgan"])
def test_critic_methods(method):
    """With a critic, the heatmap is f(x) itself and the arrows are -d(-f)/dx = grad f, by central differences."""
    lab = GANLab("ring", method=method, k=2, **SMALL)
    assert lab.trainer.k == 2 and lab.controls["loss"].disabled
    f = lab.step(3)
    assert (f.d_updates, f.g_updates) == (6, 3)
    with torch.no_grad():
        corner = torch.tensor([[lab.lo[0], lab.lo[1]]], dtype=torch.float32)
        assert f.d_map[0, 0] == pytest.approx(float(lab.D(corner)), abs=1e-6)  # no sigmoid
        x = torch.from_numpy(f.fake[:5]).double()
        D, h = lab.D.double(), 1e-5
        grad_f = torch.stack([(D(x + h * e) - D(x - h * e)) / (2 * h) for e in torch.eye(2, dtype=torch.double)], 1)
    lab.D.float()
    assert np.allclose(f.grad[:5], grad_f.numpy(), rtol=1e-3, atol=1e-6)


def test_methods_are_the_trainer_classes_and_every_one_is_available():
    assert labmod.METHODS == {"gan": trainers.GANTrainer, "unrolled": trainers.UnrolledGANTrainer,
                              "wgan-gp": trainers.WGANGPTrainer, "wgan": trainers.WGANTrainer}
    assert list(labmod.available_methods()) == list(labmod.METHODS)
    assert labmod.js_kl_binned is metrics.js_kl_binned  # the estimate lives in metrics; the old import still works


def test_one_table_validates_the_settings_and_builds_the_controls(lab):
    """Every LabSettings field has a row in the table; every control shows its row's label and limits."""
    import dataclasses

    assert [f.name for f in dataclasses.fields(labsettings.LabSettings)] == list(labsettings.SETTINGS)
    for name, control in lab.controls.items():
        row = labsettings.SETTINGS[name]
        assert control.description == row.label
        if row.widget == "slider":
            assert (control.min, control.max) == (row.range.low, row.range.high)
    assert set(lab.controls) == {n for n, row in labsettings.SETTINGS.items() if row.widget}


@pytest.mark.parametrize("values, match", [
    (dict(foo=1), "no setting named 'foo'"),
    (dict(lr_d=1.0), r"lr_d must be a finite number >= 1e-05 and <= 0.1, got 1.0"),
    (dict(k=0), "k must be an integer >= 1 and <= 10, got 0"),
    (dict(d_width=5), "d_width must be one of 2, 4, .*, 256, got 5"),
    (dict(data="swirl"), "data must be one of 'ring', .*, got 'swirl'"),
    (dict(loss="hinge"), "loss must be one of 'nonsaturating', 'minimax', got 'hinge'"),
    (dict(train="both players"), "train must be one of 'both', 'D', 'G', got 'both players'"),
    (dict(slow_motion=1), "slow_motion must be True or False"),
    (dict(method="vae"), "method must be one of 'gan', 'unrolled', 'wgan-gp', 'wgan', got 'vae'"),
])
def test_bad_settings_raise(lab, values, match):
    with pytest.raises(ValueError, match=match):
        lab.set(**values)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="resolution"):
        GANLab("ring", resolution=3)
    with pytest.raises(ValueError, match="data must be one of .*, got 'nope'"):
        GANLab("nope")
    with pytest.raises(ValueError, match="n must be"):
        GANLab("ring", **SMALL).step(-1)


# ------------------------------------------------------------------ the non-blocking loop
def test_play_runs_frames_on_the_event_loop(lab):
    lab.set(steps_per_frame=2)

    async def main():
        task = lab.play(frames=3)
        assert lab.playing and lab.buttons["pause"].disabled is False
        ticks = 0
        while not task.done():  # the loop yields: other coroutines run between frames
            ticks += 1
            await asyncio.sleep(0.001)
        return await task, ticks

    frames, ticks = asyncio.run(main())
    assert frames == 3 and lab.iteration == 6 and ticks >= 2
    assert not lab.playing and lab.buttons["play"].disabled is False


def test_pause_stops_an_endless_play(lab):
    async def main():
        task = lab.play()
        await asyncio.sleep(0.3)
        lab.pause()
        return await task

    frames = asyncio.run(main())
    assert frames >= 1 and lab.iteration == frames * lab.settings.steps_per_frame


def test_play_needs_an_event_loop(lab):
    with pytest.raises(RuntimeError, match="running event loop"):
        lab.play()
