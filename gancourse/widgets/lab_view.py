"""What the GAN lab shows: the controls, the figure (redrawn by blitting) and the PNG in an ``ipywidgets.Image``.

The view knows nothing about training: :class:`gancourse.widgets.lab.GANLab` (the controller) computes a
:class:`Frame` and hands it to :meth:`LabView.draw`; the controls are built from the settings table
(:data:`gancourse.widgets.settings.SETTINGS`) and report changes to a callback.

Drawing is fast because nothing is re-created per frame: the figure is built once per model (re)build and each
frame only moves its artists (``set_data``, ``set_offsets``, ``set_UVC``, ``set_segments``) over a cached
background before one Agg draw; the PNG goes to an ``ipywidgets.Image``, so no matplotlib widget backend is needed.
"""
from __future__ import annotations

import dataclasses
import io
import math

import ipywidgets as widgets
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from PIL import Image

from ..metrics import blurred_histogram
from .settings import CRITICS, SETTINGS

__all__ = ["Frame", "Geometry", "LabView", "ROWS"]

# the control rows under the buttons (the first row also holds "train" and "slow_motion")
ROWS = (("data", "method", "loss"), ("lr_d", "lr_g", "k"), ("d_width", "d_depth", "unroll", "steps_per_frame"))
BUTTONS = (("play", "play", "success"), ("pause", "pause", ""), ("step", "step-forward", ""), ("reset", "refresh", ""))
DENSITY_BINS = 64  # 1-D: the blurred densities drawn beside D(x)


@dataclasses.dataclass(frozen=True)
class Frame:
    """What one redraw computed and drew (numpy arrays on the CPU).

    ``d_map`` is D(x) on the heatmap grid ((res, res), rows along y) for GANs, or the critic's value for WGAN-GP;
    ``grad`` is -dl_G/dx for each shown fake sample (per-sample loss l_G, before the display's scaling);
    ``manifold`` holds the z-grid lines pushed through G, shape (lines, points, dim) (1-D: (1, points, 2) of
    (z, G(z))).
    """

    iteration: int
    d_updates: int
    g_updates: int
    png: bytes
    d_map: np.ndarray
    real: np.ndarray
    fake: np.ndarray
    grad: np.ndarray
    manifold: np.ndarray
    loss_D: float
    loss_G: float
    js: float
    kl: float
    d_fake: float
    grad_mean: float
    phase: str


@dataclasses.dataclass(frozen=True)
class Geometry:
    """What the figure is built for: data dimension, window [lo, hi] (half its side), the real samples shown,
    the heatmap's resolution (2-D) or the x-grid of D's curve (1-D), z-lines per direction, and whether D is a
    critic (no sigmoid)."""

    dim: int
    lo: np.ndarray
    hi: np.ndarray
    half: float
    real: np.ndarray
    resolution: int
    grid_x: np.ndarray
    z_lines: int
    critic: bool


def _control(name: str, value):
    """The widget of one setting, from its row in the table."""
    s, style = SETTINGS[name], {"description_width": "initial"}
    options = [(s.names.get(v, v), v) for v in s.range.choices] if s.names else list(s.range.choices or ())
    common = dict(value=value, description=s.label)
    if s.widget == "dropdown":
        return widgets.Dropdown(options=options, layout=widgets.Layout(width="250px"), **common)
    if s.widget == "toggle":
        return widgets.ToggleButtons(options=options, style={"button_width": "72px", "description_width": "40px"},
                                     **common)
    if s.widget == "checkbox":
        return widgets.Checkbox(indent=False, **common)
    common.update(continuous_update=False, style=style)
    if s.widget == "log_slider":
        return widgets.FloatLogSlider(base=10, min=math.log10(s.range.low), max=math.log10(s.range.high), step=0.25,
                                      readout_format=".0e", **common)
    if s.widget == "selection":
        return widgets.SelectionSlider(options=options, **common)
    return widgets.IntSlider(min=s.range.low, max=s.range.high, **common)


class LabView:
    """The lab's widgets and figure.

    Attributes: controls (setting name -> widget), buttons (play, pause, step, reset), image (the PNG), status
    (one line of HTML), widget (the box to display), n_full_draws (draws that also redrew the static background).
    """

    def __init__(self, settings, figsize, dpi: int, on_control, on_button):
        self.figsize, self.dpi = figsize, dpi
        self.controls = {name: _control(name, getattr(settings, name))
                         for row in (("train", "slow_motion"), *ROWS) for name in row}
        for w in self.controls.values():
            w.observe(lambda change: on_control(self._name_of(change["owner"]), change["new"]), names="value")
        self.buttons = {}
        for name, icon, style in BUTTONS:
            self.buttons[name] = widgets.Button(description=name, icon=icon, button_style=style,
                                                layout=widgets.Layout(width="80px"), disabled=name == "pause")
            self.buttons[name].on_click(lambda _, name=name: on_button(name))
        c = self.controls
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="100%", max_width=f"{figsize[0]*dpi}px"))
        self.status = widgets.HTML()
        box = widgets.VBox([widgets.HBox([*self.buttons.values(), c["train"], c["slow_motion"]]),
                            *(widgets.HBox([c[name] for name in row]) for row in ROWS)])
        self.widget = widgets.VBox([box, self.status, self.image])
        self.n_full_draws = 0

    def _name_of(self, widget) -> str:
        return next(n for n, w in self.controls.items() if w is widget)

    def sync(self, settings, playing: bool) -> None:
        """Grey out what does not apply: the G loss under a critic, the unroll outside the unrolled GAN, the step
        buttons while playing."""
        self.controls["loss"].disabled = settings.method in CRITICS
        self.controls["unroll"].disabled = settings.method != "unrolled"
        self.buttons["play"].disabled = playing
        self.buttons["step"].disabled = playing
        self.buttons["pause"].disabled = not playing

    def invalidate(self) -> None:
        """Make the next :meth:`draw` redraw the static background too (a full draw)."""
        self._background = None

    # ------------------------------------------------------------------ the figure
    def build(self, geo: Geometry, n_show: int) -> None:
        """Build the figure once per (re)build. Artists that change are ``animated``: the static rest (axes, ticks,
        labels, legends) is drawn once into a background that each frame restores before drawing only them."""
        self.geo = geo
        self.fig = Figure(figsize=self.figsize, dpi=self.dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        gs = self.fig.add_gridspec(2, 3, width_ratios=[1, 1, 1.25], left=0.04, right=0.985, bottom=0.12,
                                   top=0.9, wspace=0.22, hspace=0.55)
        self.ax_d = self.fig.add_subplot(gs[:, 0])
        self.ax_m = self.fig.add_subplot(gs[:, 1])
        self.ax_loss = self.fig.add_subplot(gs[0, 2])
        self.ax_div = self.fig.add_subplot(gs[1, 2])
        empty = np.zeros((n_show, 2))
        dyn = self._build_2d(geo, empty) if geo.dim == 2 else self._build_1d(geo, empty)
        self.l_lossD, = self.ax_loss.plot([], [], label="D loss", color="#2ca02c")
        self.l_lossG, = self.ax_loss.plot([], [], label="G loss", color="#d62728")
        self.ax_loss.legend(loc="upper left", fontsize=7, ncol=2)
        self.ax_loss.set_title("losses (fixed evaluation batch)", fontsize=10)
        self.l_js, = self.ax_div.plot([], [], label="JS", color="#9467bd")
        self.l_kl, = self.ax_div.plot([], [], label="KL(p_data || p_g)", color="#8c564b")
        self.ax_div.axhline(math.log(2), color="#9467bd", lw=0.6, ls=":")
        self.ax_div.set_yscale("log")  # KL runs to tens while JS ends near 0.01: one log axis shows both
        self.ax_div.legend(loc="upper left", fontsize=7, ncol=2)
        self.ax_div.set_title("divergences (binned KDE estimate)", fontsize=10)
        self.ax_div.set_xlabel("iteration", fontsize=9)
        dyn += [self.l_lossD, self.l_lossG, self.l_js, self.l_kl]
        for ax in self.fig.axes:
            ax.tick_params(labelsize=8)
        for artist in dyn:
            artist.set_animated(True)
        self._dynamic = dyn
        self._background = None  # drawn at the first frame, and again whenever a curve axis changes its limits
        self.n_full_draws = 0

    def _build_2d(self, geo: Geometry, empty: np.ndarray) -> list:
        """D's heatmap with real and fake samples and G's arrows; G's manifold as z-grid lines."""
        lo, hi, real = geo.lo, geo.hi, geo.real
        self.im = self.ax_d.imshow(np.zeros((geo.resolution, geo.resolution)), origin="lower",
                                   extent=(lo[0], hi[0], lo[1], hi[1]), cmap="PRGn", vmin=0, vmax=1,
                                   interpolation="bilinear", aspect="equal")
        # the real samples lie on top of the (animated) heatmap, so they are redrawn each frame too
        sc_real = self.ax_d.scatter(real[:, 0], real[:, 1], s=5, c="#1f77b4", alpha=0.7, lw=0)
        self.sc_fake = self.ax_d.scatter(empty[:, 0], empty[:, 1], s=6, c="#d62728", lw=0)
        self.quiver = self.ax_d.quiver(empty[:, 0], empty[:, 1], empty[:, 0], empty[:, 1], angles="xy",
                                       scale_units="xy", scale=1, width=0.004, color="#333333")
        self.ax_d.set_xlim(lo[0], hi[0])
        self.ax_d.set_ylim(lo[1], hi[1])
        self.ax_d.set_title("critic f(x) (colour: its range), arrows -dl_G/dx" if geo.critic else
                            "D(x) (green: real), arrows -dl_G/dx", fontsize=10)
        # G's manifold: z-grid lines through G, one colour per family
        self.ax_m.scatter(real[:, 0], real[:, 1], s=5, c="#1f77b4", alpha=0.35, lw=0)
        colors = ["#e6550d"] * geo.z_lines + ["#756bb1"] * geo.z_lines
        self.lines_m = LineCollection(np.zeros((2 * geo.z_lines, 2, 2)), colors=colors, linewidths=0.9)
        self.ax_m.add_collection(self.lines_m)
        self.sc_fake_m = self.ax_m.scatter(empty[:, 0], empty[:, 1], s=4, c="#d62728", lw=0)
        self.ax_m.set_xlim(lo[0], hi[0])
        self.ax_m.set_ylim(lo[1], hi[1])
        self.ax_m.set_aspect("equal")
        self.ax_m.set_title("G's manifold: the z-grid pushed through G", fontsize=10)
        return [self.im, sc_real, self.sc_fake, self.quiver, self.lines_m, self.sc_fake_m]

    def _build_1d(self, geo: Geometry, empty: np.ndarray) -> list:
        """D's curve with the blurred densities and G's arrows; G as the curve z -> G(z)."""
        lo, hi = geo.lo, geo.hi
        self.line_d, = self.ax_d.plot(geo.grid_x, np.zeros_like(geo.grid_x), color="#2ca02c", lw=2,
                                      label="critic (scaled)" if geo.critic else "D(x)")
        centers = np.linspace(lo[0], hi[0], 2 * DENSITY_BINS + 1)[1::2]
        self.line_real, = self.ax_d.plot(centers, np.zeros(DENSITY_BINS), color="#1f77b4", label="p_data (blurred)")
        self.line_fake, = self.ax_d.plot(centers, np.zeros(DENSITY_BINS), color="#d62728", label="p_g (blurred)")
        self.sc_fake = self.ax_d.scatter(empty[:, 0], empty[:, 1], s=6, c="#d62728", lw=0)
        self.quiver = self.ax_d.quiver(empty[:, 0], empty[:, 1], empty[:, 0], empty[:, 1], angles="xy",
                                       scale_units="xy", scale=1, width=0.004, color="#333333")
        self.ax_d.set_xlim(lo[0], hi[0])
        self.ax_d.set_ylim(-0.2, 1.25)
        self.ax_d.legend(loc="upper right", fontsize=7)
        self.ax_d.set_title("D(x), densities (scaled), arrows -dl_G/dx", fontsize=10)
        self.line_m, = self.ax_m.plot([], [], color="#e6550d", lw=2)
        self.ax_m.set_xlim(-3, 3)
        self.ax_m.set_ylim(lo[0], hi[0])
        self.ax_m.set_xlabel("z", fontsize=9)
        self.ax_m.set_ylabel("x = G(z)", fontsize=9)
        self.ax_m.set_title("G: the line of z mapped to x", fontsize=10)
        return [self.line_d, self.line_real, self.line_fake, self.sc_fake, self.quiver, self.line_m]

    def _arrows(self, f: Frame) -> np.ndarray:
        """-dl_G/dx in data units for display: gain 0.15 * half-window per unit gradient, length capped at 0.3."""
        v = f.grad * 0.15 * self.geo.half
        length = np.linalg.norm(v, axis=1, keepdims=True)
        cap = 0.3 * self.geo.half
        return v * np.minimum(1.0, cap / np.maximum(length, 1e-12))

    def _densities_1d(self, real: np.ndarray, fake: np.ndarray):
        """The blurred densities of the real and fake evaluation samples, scaled so the data's peak is at 0.9."""
        out = [blurred_histogram(pts, self.geo.lo, self.geo.hi, DENSITY_BINS) for pts in (real, fake)]
        scale = 0.9 / max(out[0].max(), 1e-12)
        return out[0] * scale, np.minimum(out[1] * scale, 1.2)

    def draw(self, f: Frame, history: dict, real_eval: np.ndarray, fake_eval: np.ndarray) -> None:
        """Move the artists to frame ``f`` and draw: the moving artists only, over the cached background."""
        geo, arrows = self.geo, self._arrows(f)
        if geo.dim == 2:
            self.im.set_data(f.d_map)
            if geo.critic:
                lo, hi = float(f.d_map.min()), float(f.d_map.max())
                self.im.set_clim(lo, hi if hi > lo else lo + 1e-6)
            self.sc_fake.set_offsets(f.fake)
            self.quiver.set_offsets(f.fake)
            self.quiver.set_UVC(arrows[:, 0], arrows[:, 1])
            self.lines_m.set_segments(list(f.manifold))
            self.sc_fake_m.set_offsets(f.fake)
        else:
            d = f.d_map
            if geo.critic:
                d = (d - d.min()) / max(float(d.max() - d.min()), 1e-6)
            self.line_d.set_ydata(d)
            dens_r, dens_f = self._densities_1d(real_eval, fake_eval)
            self.line_real.set_ydata(dens_r)
            self.line_fake.set_ydata(dens_f)
            pts = np.stack([f.fake[:, 0], np.full(len(f.fake), -0.1)], 1)
            self.sc_fake.set_offsets(pts)
            self.quiver.set_offsets(pts)
            self.quiver.set_UVC(arrows[:, 0], np.zeros(len(arrows)))
            self.line_m.set_data(f.manifold[0, :, 0], f.manifold[0, :, 1])
        stale = self._draw_curves(history)
        if stale:
            self.canvas.draw()  # animated artists are skipped: this is the static background
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            self.n_full_draws += 1
        else:
            self.canvas.restore_region(self._background)
        for artist in self._dynamic:
            artist.axes.draw_artist(artist)

    def _draw_curves(self, h: dict) -> bool:
        """Update the loss and divergence curves; True when an axis grew, so the background must be redrawn."""
        it = np.asarray(h["iteration"], dtype=float)
        for line, key in ((self.l_lossD, "loss_D"), (self.l_lossG, "loss_G"), (self.l_js, "js"), (self.l_kl, "kl")):
            line.set_data(it, h[key])
        stale = self._background is None
        # curve limits only grow (x doubles, y gains 25% headroom), so the static background is rarely redrawn
        right = 100.0 * 2 ** max(0, math.ceil(math.log2(max(float(it.max()), 1.0) / 100.0))) if len(it) else 100.0
        for ax, keys in ((self.ax_loss, ("loss_D", "loss_G")), (self.ax_div, ("js", "kl"))):
            if ax.get_xlim()[1] != right:
                ax.set_xlim(0, right)
                stale = True
            vals = np.concatenate([np.asarray(h[k][-1:], dtype=float) for k in keys])
            vals = vals[np.isfinite(vals)]
            if not len(vals):
                continue
            lo, hi = ax.get_ylim()
            first = self._background is None
            if first or vals.min() < lo or vals.max() > hi:
                allv = np.concatenate([np.asarray(h[k], dtype=float) for k in keys])
                allv = allv[np.isfinite(allv)]
                vlo, vhi = float(allv.min()), float(allv.max())
                if ax is self.ax_div:  # log scale: a factor of headroom, never below 1e-3
                    new_lo, new_hi = max(1e-3, vlo / 2), max(vhi * 2, 1.0)
                else:
                    pad = 0.25 * (vhi - vlo) + 0.05
                    new_lo, new_hi = vlo - pad, vhi + pad
                if not first:
                    new_lo, new_hi = min(new_lo, lo), max(new_hi, hi)
                ax.set_ylim(new_lo, new_hi)
                stale = True
        return stale

    def show(self, f: Frame, settings, redraw_ms: float) -> None:
        """Put frame ``f``'s PNG in the image and a one-line summary in the status line."""
        self.image.value = f.png
        critic = settings.method in CRITICS
        method = SETTINGS["method"].names.get(settings.method, settings.method)
        loss = "Wasserstein" if critic else SETTINGS["loss"].names[settings.loss]
        dname = "mean critic f(G(z))" if critic else "mean D(G(z))"
        self.status.value = (
            f"<code>iteration {f.iteration} (D updates {f.d_updates}, G updates {f.g_updates}) | {method}, "
            f"{loss} G loss | D loss {f.loss_D:.3f}, G loss {f.loss_G:.3f} | {dname} {f.d_fake:.3f} | "
            f"mean |dl_G/dx| {f.grad_mean:.3g} | JS {f.js:.3f} (max {math.log(2):.3f}), KL {f.kl:.3f} | "
            f"redraw {redraw_ms:.0f} ms</code>")

    def error(self, text: str) -> None:
        """Show an error in the status line (a bad setting, a diverged run)."""
        self.status.value = f"<b style='color:#b00'>{text}</b>"

    def png(self) -> bytes:
        """The canvas as PNG bytes (fast compression: this runs every frame)."""
        w, h = self.canvas.get_width_height()
        img = Image.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
        buf = io.BytesIO()
        img.save(buf, format="PNG", compress_level=1)
        return buf.getvalue()
