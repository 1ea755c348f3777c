"""Controls for D's strength: watch G's gradient vanish under the minimax loss but not the non-saturating one.

    from gancourse.widgets.strength import DStrengthExplorer
    ex = DStrengthExplorer()                  # p_data = N(0, 0.5^2), p_g = N(gap, 0.5^2), G held fixed
    ex                                        # in a notebook: the controls + figure (last line of a cell)
    ex.set(width=128, lr=3e-3, steps=1000)    # headless: change controls and recompute in one go
    ex.result.ratio                           # non-saturating / minimax gradient norm, at the end

Each change of a control trains a fresh D (:class:`gancourse.saturation.DTraining`) against the fixed G and
redraws two panels: left, p_data, p_g and the trained D(x) (a heatmap in 2-D); right, the norm of G's gradient
under both G losses against the number of D steps taken so far.

**Feedback while D trains.** In a notebook a change does not block the kernel: D trains in slices of
``SLICE_S`` seconds on the kernel's event loop. The status line shows a progress bar and the step count at once,
a first (coarse) picture of D as it is appears after ``FIRST_PICTURE_S`` seconds, it is refined as training
goes on (coarse pictures take at most ``DRAW_SHARE`` of the time: about one every 3 s on a laptop), and the final
picture replaces it; no coarse picture is drawn when the final one is expected within ``WORTH_A_PICTURE_S``
seconds. A new change abandons the computation in progress, so
quick changes never queue up. Without a running event loop (tests, scripts) and in :meth:`DStrengthExplorer.set`,
the computation runs to the end before the call returns.

**Controls.** D's width, learning rate and number of steps are menus of round values (1e-4, 3e-4, 1e-3, ...):
each is a labelled ``<select>``, so a screen reader announces its name and value ("D width, 64"). ipywidgets 8's
selection and log sliders give the handle the slider's *position* as its accessible value (index 6 for width
64, exponent -2.5 for a learning rate), and that cannot be changed from Python. The gap is a plain slider,
whose position is its value.

The figure is drawn with matplotlib's Agg canvas (no pyplot, no tight_layout: fixed margins keep a redraw at
about a tenth of a second) and shown as a PNG inside an ``ipywidgets.Output``, so it updates without a
matplotlib widget backend, and everything works without a browser (tests and nbval call
:meth:`DStrengthExplorer.set`).
"""
from __future__ import annotations

import asyncio
import base64
import io
import math
import time

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .. import plots, validation
from ..data.toy import Mixture1D
from ..saturation import DTraining, ShiftGenerator

__all__ = ["DStrengthExplorer", "WIDTHS", "STEPS", "LRS", "lr_label"]

WIDTHS = (2, 4, 8, 16, 32, 64, 128, 256)
STEPS = (0, 3, 10, 30, 100, 300, 1000, 3000)
LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1)

SLICE_S = 0.05          # train this long, then let the kernel handle widget events
STATUS_EVERY_S = 0.25   # the progress bar's refresh (each one is a message to the browser)
FIRST_PICTURE_S = 0.25  # a coarse picture this soon after a change (when training takes longer than that)
DRAW_SHARE = 0.1        # later coarse pictures take at most this share of the time spent (a picture: ~0.1-0.3 s)
WORTH_A_PICTURE_S = 0.75  # no coarse picture when the final one is expected sooner than this
DPI = 80


def lr_label(lr: float) -> str:
    """A learning rate as the menu shows it: ``1e-4``, ``3e-3``, ``2.5e-3``."""
    lr = validation.positive("lr", lr)
    mantissa, exponent = f"{float(lr):e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


class DStrengthExplorer:
    """Interactive explorer of D's strength (width, learning rate, D training steps) against a fixed G.

    Args:
        data: the real distribution, 1-D or 2-D (default ``Mixture1D([0.0], std=0.5)``).
        G: a fixed generator with ``z_dim`` and parameters. Default: a :class:`ShiftGenerator` that copies the
            data's spread and sits ``gap`` away along the first axis; only then is there a ``gap`` slider.
        gap: the initial distance between p_g and p_data (default G only).
        width, lr, steps: the initial values of the controls (D's width, Adam learning rate, D steps).
        depth, batch_size, seed: fixed settings of the experiment.
        widths, step_choices, lr_choices: the values the width, steps and learning-rate menus offer.
        lim: the plotting window, [-lim, lim] (2-D) or around both distributions (1-D); chosen if None.
        figsize: the figure's size in inches.

    Attributes:
        sliders: dict name -> ipywidgets control (``width``, ``lr``, ``steps`` menus and, with the default G, the
            ``gap`` slider).
        result: the last complete :class:`gancourse.saturation.SaturationResult`.
        fig: the matplotlib figure (shown as a PNG in ``output``).
        status: the status line (progress while D trains, then the final numbers).
        widget: the ipywidgets box to display. n_updates: how many computations completed.
    """

    def __init__(self, data=None, G=None, *, gap: float = 4.0, width: int = 64, lr: float = 1e-3, steps: int = 300,
                 depth: int = 2, batch_size: int = 256, seed: int = 0, widths=WIDTHS, step_choices=STEPS,
                 lr_choices=LRS, lim: float | None = None, figsize=(10, 3.6)):
        # every argument checked before anything is built
        if data is not None and not hasattr(data, "sample"):
            raise validation.ArgumentError(f"data must be a distribution with sample(n, generator), got {data!r}")
        G = None if G is None else validation.module("G", G)
        gap, seed = validation.number("gap", gap), validation.seed("seed", seed)
        lr = validation.positive("lr", lr)
        depth, batch_size = validation.nonneg_int("depth", depth), validation.positive_int("batch_size", batch_size)
        lim = None if lim is None else validation.positive("lim", lim)
        figsize = validation.size_pair("figsize", figsize)
        for name, options, low in (("widths", widths, 1), ("step_choices", step_choices, 0)):
            if isinstance(options, (str, bytes)) or not isinstance(options, (tuple, list)) or not options:
                raise validation.ArgumentError(f"{name} must be a non-empty list of integers, got {options!r}")
            for v in options:
                validation.integer(name, v, low=low)
        if isinstance(lr_choices, (str, bytes)) or not isinstance(lr_choices, (tuple, list)) or not lr_choices:
            raise validation.ArgumentError(f"lr_choices must be a non-empty list of learning rates, got {lr_choices!r}")
        for v in lr_choices:
            validation.positive("lr_choices", v)
        self.data = data if data is not None else Mixture1D([0.0], std=0.5)
        self.dim = int(self.data.sample(1, generator=torch.Generator().manual_seed(0)).shape[-1])
        if self.dim not in (1, 2):
            raise ValueError(f"the explorer draws 1-D or 2-D data, got {self.dim}-D")
        self._own_G = G is None
        self.G = G
        self.depth, self.batch_size, self.seed = depth, batch_size, seed
        widths, step_choices = tuple(int(w) for w in widths), tuple(int(s) for s in step_choices)
        lr_choices = tuple(float(v) for v in lr_choices)
        if width not in widths:
            raise validation.ArgumentError(f"width {width!r} is not one of the menu's values {widths}")
        if steps not in step_choices:
            raise validation.ArgumentError(f"steps {steps!r} is not one of the menu's values {step_choices}")
        if self._match(lr, lr_choices) is None:
            raise validation.ArgumentError(f"lr {lr!r} is not one of the menu's values {tuple(lr_label(v) for v in lr_choices)}")
        self._choices = {"width": widths, "lr": lr_choices, "steps": step_choices}
        style = {"description_width": "initial"}
        self.sliders = {
            "width": widgets.Dropdown(options=[(str(w), w) for w in widths], value=width, description="D width",
                                      style=style, layout=widgets.Layout(width="150px")),
            "lr": widgets.Dropdown(options=[(lr_label(v), v) for v in lr_choices],
                                   value=self._match(lr, lr_choices), description="D learning rate", style=style,
                                   layout=widgets.Layout(width="190px")),
            "steps": widgets.Dropdown(options=[(str(s), s) for s in step_choices], value=steps,
                                      description="D steps (G fixed)", style=style,
                                      layout=widgets.Layout(width="200px")),
        }
        if self._own_G:
            self.sliders["gap"] = widgets.FloatSlider(value=gap, min=0.0, max=8.0, step=0.5, readout_format=".1f",
                                                      description="gap p_g - p_data", continuous_update=False,
                                                      style=style)
        self.lim = lim
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self.fig = Figure(figsize=figsize, dpi=DPI)
        self._canvas = FigureCanvasAgg(self.fig)
        self.axes = ()
        self.result = None
        self.n_updates = 0
        self._holding = False
        self._task: asyncio.Task | None = None
        for s in self.sliders.values():
            s.observe(self._on_change, names="value")
        self.widget = widgets.VBox([widgets.HBox(list(self.sliders.values())), self.status, self.output])
        self.widget.add_class("gc-strength")
        self.update()

    # ------------------------------------------------------------------ public API
    @property
    def values(self) -> dict:
        """The current values of the controls, e.g. ``{"width": 64, "lr": 0.001, "steps": 300, "gap": 4.0}``."""
        return {name: s.value for name, s in self.sliders.items()}

    @property
    def busy(self) -> bool:
        """Whether a computation started by a control is still running in the background."""
        return self._task is not None and not self._task.done()

    def set(self, **values):
        """Change one or more controls (``width``, ``lr``, ``steps``, ``gap``) and recompute once, to the end;
        returns the result. A background computation in progress is abandoned."""
        unknown = set(values) - set(self.sliders)
        if unknown:
            raise validation.ArgumentError(f"no control named {', '.join(sorted(unknown))}; controls: {', '.join(self.sliders)}")
        checked = {}
        for name, v in values.items():
            s = self.sliders[name]
            if name in self._choices:
                match = self._match(v, self._choices[name])
                if match is None:
                    raise validation.ArgumentError(f"{name}={v!r} is not one of the menu's values {self._labels(name)}")
                checked[name] = match
            else:
                checked[name] = validation.number(f"{name} (the slider's range [{s.min:g}, {s.max:g}])", v,
                                                  low=s.min, high=s.max)
        self._cancel()
        self._holding = True
        try:
            for name, v in checked.items():
                self.sliders[name].value = v
        finally:
            self._holding = False
        return self.update()

    def update(self):
        """Train a fresh D with the current values to the end, redraw, and return the new result."""
        self._cancel()
        v = self.values
        G = self._generator(v.get("gap"))
        run = self._training(v, G)
        self._show_progress(0, run.steps, v)
        run.advance(run.steps)
        return self._finish(run, v, G)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # ------------------------------------------------------------------ computing
    def _on_change(self, change):
        if self._holding:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop (a script, a test): compute now
            self.update()
            return
        self._cancel()
        v = self.values
        self._show_progress(0, v["steps"], v)  # feedback now, before the task first runs
        self._task = loop.create_task(self._run(v))

    def _cancel(self):
        if self.busy:
            self._task.cancel()
        self._task = None

    async def _run(self, v: dict):
        """Train in slices between widget events: progress at once, a coarse picture soon, the final one at the
        end. Cancelled (at an ``await``) when a control changes again."""
        try:
            G = self._generator(v.get("gap"))
            run = self._training(v, G)
            start = last_status = time.perf_counter()
            drawing = last_draw = 0.0  # seconds spent on coarse pictures, and on the last one
            await asyncio.sleep(0)
            while not run.done:
                slice_end = time.perf_counter() + SLICE_S
                while not run.done and time.perf_counter() < slice_end:
                    run.advance(1)
                if run.done:
                    break
                now = time.perf_counter()
                elapsed = now - start
                remaining = (elapsed - drawing) / max(run.step, 1) * (run.steps - run.step)
                due = (elapsed >= FIRST_PICTURE_S) if drawing == 0 else (drawing + last_draw <= DRAW_SHARE * elapsed)
                if due and remaining > WORTH_A_PICTURE_S:
                    self._draw(G, run.result(), progress=(run.step, run.steps))
                    last_draw = time.perf_counter() - now
                    drawing += last_draw
                if now - last_status >= STATUS_EVERY_S:
                    self._show_progress(run.step, run.steps, v)
                    last_status = now
                await asyncio.sleep(0)
            self._finish(run, v, G)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a task's exception would go unseen: show it where the user looks
            self.status.value = f"<b style='color:#b00'>stopped: {type(e).__name__}: {e}</b>"
            raise

    def _training(self, v: dict, G) -> DTraining:
        return DTraining(self.data, G, width=v["width"], depth=self.depth, lr=v["lr"], steps=v["steps"],
                         batch_size=self.batch_size, seed=self.seed, grid=self._grid(G))

    def _finish(self, run: DTraining, v: dict, G):
        self.result = r = run.result()
        self.n_updates += 1
        self._draw(G, r)
        self.status.value = (f"after {v['steps']} D steps: mean D(G(z)) = {r.d_fake[-1]:.2g}; "
                             f"||grad G|| minimax = {r.grad_minimax[-1]:.2g}, non-saturating = "
                             f"{r.grad_nonsaturating[-1]:.2g} (ratio {r.ratio:.3g})")
        return r

    def _show_progress(self, step: int, steps: int, v: dict):
        self.status.value = (f"training D: <progress max='{max(steps, 1)}' value='{step}'></progress> "
                             f"{step}/{steps} steps (width {v['width']}, lr {lr_label(v['lr'])})")

    @staticmethod
    def _match(value, choices):
        """The menu value equal to ``value`` (floats within rounding), or None."""
        try:
            x = float(value)
        except (TypeError, ValueError):
            return None
        for c in choices:
            if math.isclose(x, c, rel_tol=1e-9, abs_tol=0.0):
                return c
        return None

    def _labels(self, name) -> tuple:
        return tuple(label for label, _ in self.sliders[name].options)

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

    # ------------------------------------------------------------------ drawing
    def _draw(self, G, r, progress: tuple[int, int] | None = None):
        """Draw ``r``; ``progress`` = (steps taken, steps to take) marks a picture taken while D still trains."""
        training = progress is not None
        done, total = progress if training else (None, None)
        fig = self.fig
        fig.clear()  # also drops the twin axes and colorbar of the previous drawing
        # fixed margins instead of tight_layout (which costs a second draw); the left legend sits below its axes
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.3 if self.dim == 1 else 0.14, top=0.9, wspace=0.32)
        self.axes = ax0, ax1 = fig.subplots(1, 2)
        if self.dim == 1:
            x = r.grid
            p_data = self.data.log_prob(x).exp() if self.data.has_density else torch.zeros_like(x)
            p_g = G.log_prob(x).exp() if hasattr(G, "log_prob") else None
            plots.plot_densities_1d(x, p_data, p_g, d=r.d_on_grid, ax=ax0, legend="below",
                                    title=f"D(x) after {done} of {total} steps ..." if training
                                    else "p_data, p_g and D(x)")
        else:
            n = int(round(len(r.grid) ** 0.5))
            lo, hi = float(r.grid[:, 0].min()), float(r.grid[:, 0].max())
            im = ax0.imshow(r.d_on_grid.reshape(n, n).numpy(), origin="lower", extent=(lo, hi, lo, hi),
                            cmap="PRGn", vmin=0, vmax=1)
            fig.colorbar(im, ax=ax0, fraction=0.046, label="D(x)")
            real = self.data.sample(500, generator=torch.Generator().manual_seed(self.seed))
            with torch.no_grad():
                fake = G(torch.randn(500, G.z_dim, generator=torch.Generator().manual_seed(self.seed + 1)))
            plots.plot_samples_2d(real, fake, ax=ax0, s=2, title=f"D(x) after {done} of {total} steps ..."
                                  if training else "D(x) with real and fake samples")
        steps = np.asarray(r.steps, dtype=float)
        title = (f"G's gradient norm (training: {done}/{total} D steps)" if training
                 else f"G's gradient norm (ratio at the end: {r.ratio:.3g})")
        plots.plot_grad_norms(steps, {"minimax (saturating)": r.grad_minimax,
                                      "non-saturating": r.grad_nonsaturating}, ax=ax1, xlabel="D training steps (G fixed)",
                              title=title)
        ax1.set_xscale("symlog", linthresh=1)
        ax1.set_xlim(0, max(1.0, 1.5 * (total if training else steps.max())))
        self._canvas.draw()
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(np.asarray(self._canvas.buffer_rgba())[..., :3]).save(buf, format="PNG", compress_level=1)
        png = base64.b64encode(buf.getvalue()).decode("ascii")
        self.output.outputs = ({"output_type": "display_data", "metadata": {},
                                "data": {"image/png": png, "text/plain": "<D strength figure>"}},)
