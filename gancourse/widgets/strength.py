"""Sliders for D's strength: watch G's gradient vanish under the minimax loss but not the non-saturating one.

    from gancourse.widgets.strength import DStrengthExplorer
    ex = DStrengthExplorer()                  # p_data = N(0, 0.5^2), p_g = N(gap, 0.5^2), G held fixed
    ex                                        # in a notebook: sliders + figure (last line of a cell)
    ex.set(width=128, lr=3e-3, steps=1000)    # headless: move sliders and recompute in one go
    ex.result.ratio                           # non-saturating / minimax gradient norm, at the end

Each change of a slider trains a fresh D (:func:`gancourse.saturation.train_d_against`) against the fixed G
and redraws two panels: left, p_data, p_g and the trained D(x) (a heatmap in 2-D); right, the norm of G's
gradient under both G losses against the number of D steps taken so far. The figure is rendered to a PNG
inside an ``ipywidgets.Output``, so it updates without a matplotlib widget backend, and everything works
without a browser (tests and nbval call :meth:`DStrengthExplorer.set`).
"""
from __future__ import annotations

import base64
import io

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

from .. import plots, validation
from ..data.toy import Mixture1D
from ..saturation import ShiftGenerator, train_d_against

__all__ = ["DStrengthExplorer"]

WIDTHS = (2, 4, 8, 16, 32, 64, 128, 256)
STEPS = (0, 3, 10, 30, 100, 300, 1000, 3000)


class DStrengthExplorer:
    """Interactive explorer of D's strength (width, learning rate, D training steps) against a fixed G.

    Args:
        data: the real distribution, 1-D or 2-D (default ``Mixture1D([0.0], std=0.5)``).
        G: a fixed generator with ``z_dim`` and parameters. Default: a :class:`ShiftGenerator` that copies the
            data's spread and sits ``gap`` away along the first axis; only then is there a ``gap`` slider.
        gap: the initial distance between p_g and p_data (default G only).
        width, lr, steps: the initial slider values (D's width, Adam learning rate, D steps).
        depth, batch_size, seed: fixed settings of the experiment.
        widths, step_choices: the values the width and steps sliders offer.
        lr_range: (min, max) of the logarithmic learning-rate slider.
        lim: the plotting window, [-lim, lim] (2-D) or around both distributions (1-D); chosen if None.
        figsize: the figure's size in inches.

    Attributes:
        sliders: dict name -> ipywidgets slider (``width``, ``lr``, ``steps`` and, with the default G, ``gap``).
        result: the last :class:`gancourse.saturation.SaturationResult`.
        fig: the matplotlib figure (also shown as a PNG in ``output``).
        widget: the ipywidgets box to display. n_updates: how many times the picture was recomputed.
    """

    def __init__(self, data=None, G=None, *, gap: float = 4.0, width: int = 64, lr: float = 1e-3, steps: int = 300,
                 depth: int = 2, batch_size: int = 256, seed: int = 0, widths=WIDTHS, step_choices=STEPS,
                 lr_range=(1e-4, 1e-1), lim: float | None = None, figsize=(10, 3.6)):
        # every argument checked before anything is built
        if data is not None and not hasattr(data, "sample"):
            raise validation.ArgumentError(f"data must be a distribution with sample(n, generator), got {data!r}")
        G = None if G is None else validation.module("G", G)
        gap, seed = validation.number("gap", gap), validation.seed("seed", seed)
        depth, batch_size = validation.nonneg_int("depth", depth), validation.positive_int("batch_size", batch_size)
        lim = None if lim is None else validation.positive("lim", lim)
        figsize, lr_range = validation.size_pair("figsize", figsize), validation.size_pair("lr_range", lr_range)
        for name, options, low in (("widths", widths, 1), ("step_choices", step_choices, 0)):
            if isinstance(options, (str, bytes)) or not isinstance(options, (tuple, list)) or not options:
                raise validation.ArgumentError(f"{name} must be a non-empty list of integers, got {options!r}")
            for v in options:
                validation.integer(name, v, low=low)
        self.data = data if data is not None else Mixture1D([0.0], std=0.5)
        self.dim = int(self.data.sample(1, generator=torch.Generator().manual_seed(0)).shape[-1])
        if self.dim not in (1, 2):
            raise ValueError(f"the explorer draws 1-D or 2-D data, got {self.dim}-D")
        self._own_G = G is None
        self.G = G
        self.depth, self.batch_size, self.seed = depth, batch_size, seed
        widths, step_choices = tuple(int(w) for w in widths), tuple(int(s) for s in step_choices)
        width = validation.choice("width (a value of the slider)", width, widths)
        steps = validation.choice("steps (a value of the slider)", steps, step_choices)
        lo, hi = (float(v) for v in lr_range)
        if not 0 < lo < hi:
            raise validation.ArgumentError(f"lr_range must be (min, max) with 0 < min < max, got {lr_range!r}")
        lr = validation.number("lr (inside lr_range)", lr, low=lo, high=hi)
        style = {"description_width": "initial"}
        self.sliders = {
            "width": widgets.SelectionSlider(options=widths, value=width, description="D width",
                                             continuous_update=False, style=style),
            "lr": widgets.FloatLogSlider(value=lr, base=10, min=np.log10(lo), max=np.log10(hi), step=0.25,
                                         description="D learning rate", readout_format=".1e",
                                         continuous_update=False, style=style),
            "steps": widgets.SelectionSlider(options=step_choices, value=steps, description="D steps (G fixed)",
                                             continuous_update=False, style=style),
        }
        if self._own_G:
            self.sliders["gap"] = widgets.FloatSlider(value=gap, min=0.0, max=8.0, step=0.5,
                                                      description="gap p_g - p_data", continuous_update=False,
                                                      style=style)
        self.lim = lim
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self.fig, self.axes = plt.subplots(1, 2, figsize=figsize)
        plt.close(self.fig)  # shown as a PNG in self.output, never twice by the inline backend
        self.result = None
        self.n_updates = 0
        self._holding = False
        for s in self.sliders.values():
            s.observe(self._on_change, names="value")
        self.widget = widgets.VBox([widgets.HBox(list(self.sliders.values())[:2]),
                                    widgets.HBox(list(self.sliders.values())[2:]), self.status, self.output])
        self.update()

    # ------------------------------------------------------------------ public API
    @property
    def values(self) -> dict:
        """The current slider values, e.g. ``{"width": 64, "lr": 0.001, "steps": 300, "gap": 4.0}``."""
        return {name: s.value for name, s in self.sliders.items()}

    def set(self, **values):
        """Move one or more sliders (``width``, ``lr``, ``steps``, ``gap``) and recompute once; returns the result."""
        unknown = set(values) - set(self.sliders)
        if unknown:
            raise validation.ArgumentError(
                f"no slider named {', '.join(sorted(unknown))}; sliders: {', '.join(self.sliders)}")
        for name, v in values.items():
            s = self.sliders[name]
            if isinstance(s, widgets.SelectionSlider):
                validation.choice(name, v, s.options)
            if isinstance(s, (widgets.FloatLogSlider, widgets.FloatSlider)):
                lo, hi = (s.base ** s.min, s.base ** s.max) if isinstance(s, widgets.FloatLogSlider) else (s.min, s.max)
                validation.number(f"{name} (the slider's range)", v, low=lo, high=hi)
        self._holding = True
        try:
            for name, v in values.items():
                self.sliders[name].value = v
        finally:
            self._holding = False
        return self.update()

    def update(self):
        """Train a fresh D with the current slider values, redraw, and return the new result."""
        v = self.values
        G = self._generator(v.get("gap"))
        self.status.value = "training D ..."
        self.result = train_d_against(self.data, G, width=v["width"], depth=self.depth, lr=v["lr"], steps=v["steps"],
                                      batch_size=self.batch_size, seed=self.seed, grid=self._grid(G))
        self.n_updates += 1
        self._draw(G)
        r = self.result
        self.status.value = (f"after {v['steps']} D steps: mean D(G(z)) = {r.d_fake[-1]:.2g}; "
                             f"||grad G|| minimax = {r.grad_minimax[-1]:.2g}, non-saturating = "
                             f"{r.grad_nonsaturating[-1]:.2g} (ratio {r.ratio:.3g})")
        return self.result

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # ------------------------------------------------------------------ internals
    def _on_change(self, change):
        if not self._holding:
            self.update()

    def _generator(self, gap):
        if not self._own_G:
            return self.G
        shift = [float(gap)] + [0.0] * (self.dim - 1)
        spread = getattr(self.data, "std", None) or 0.5
        return ShiftGenerator(shift, scale=spread)

    def _window(self, G):
        if self.lim is not None:
            return -self.lim, self.lim
        real = self.data.sample(2000, generator=torch.Generator().manual_seed(self.seed))
        with torch.no_grad():
            fake = G(torch.randn(2000, G.z_dim, generator=torch.Generator().manual_seed(self.seed)))
        both = torch.cat([real, fake.float()])
        lo, hi = float(both.min()), float(both.max())
        pad = 0.15 * (hi - lo) + 0.5
        return lo - pad, hi + pad

    def _grid(self, G):
        lo, hi = self._window(G)
        if self.dim == 1:
            return torch.linspace(lo, hi, 400, dtype=torch.float64)
        axis = torch.linspace(lo, hi, 80, dtype=torch.float64)
        xs, ys = torch.meshgrid(axis, axis, indexing="xy")
        return torch.stack([xs.flatten(), ys.flatten()], 1)

    def _draw(self, G):
        r = self.result
        self.fig.clear()  # also drops the twin axes and colorbar of the previous drawing
        self.axes = self.fig.subplots(1, 2)
        ax0, ax1 = self.axes
        if self.dim == 1:
            x = r.grid
            p_data = self.data.log_prob(x).exp() if self.data.has_density else torch.zeros_like(x)
            p_g = G.log_prob(x).exp() if hasattr(G, "log_prob") else None
            plots.plot_densities_1d(x, p_data, p_g, d=r.d_on_grid, ax=ax0, title="p_data, p_g and D(x)")
        else:
            n = int(round(len(r.grid) ** 0.5))
            lo, hi = float(r.grid[:, 0].min()), float(r.grid[:, 0].max())
            im = ax0.imshow(r.d_on_grid.reshape(n, n).numpy(), origin="lower", extent=(lo, hi, lo, hi),
                            cmap="PRGn", vmin=0, vmax=1)
            self.fig.colorbar(im, ax=ax0, fraction=0.046, label="D(x)")
            real = self.data.sample(500, generator=torch.Generator().manual_seed(self.seed))
            with torch.no_grad():
                fake = G(torch.randn(500, G.z_dim, generator=torch.Generator().manual_seed(self.seed + 1)))
            plots.plot_samples_2d(real, fake, ax=ax0, s=2, title="D(x) with real and fake samples")
        steps = np.asarray(r.steps, dtype=float)
        plots.plot_grad_norms(steps, {"minimax (saturating)": r.grad_minimax,
                                      "non-saturating": r.grad_nonsaturating}, ax=ax1, xlabel="D training steps (G fixed)",
                              title=f"G's gradient norm (ratio at the end: {r.ratio:.3g})")
        ax1.set_xscale("symlog", linthresh=1)
        ax1.set_xlim(0, max(1.0, 1.5 * steps.max()))
        self.fig.tight_layout()
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=80)
        png = base64.b64encode(buf.getvalue()).decode("ascii")
        self.output.outputs = ({"output_type": "display_data", "metadata": {},
                                "data": {"image/png": png, "text/plain": "<D strength figure>"}},)
