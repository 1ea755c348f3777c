"""GAN Lab in JupyterLab: train a small GAN on a toy distribution and watch it live.

    from gancourse.widgets.lab import GANLab
    lab = GANLab("ring")          # in a notebook: the last line of a cell shows controls and the figure
    lab.step(200)                 # headless: 200 training iterations, then one redraw
    lab.set(loss="minimax", lr_d=1e-2)   # move controls from code (validated; one redraw)
    f = lab.frame()               # the last drawn frame: PNG bytes, D's map, fakes, gradients, JS, ...
    await lab.play(frames=20)     # the non-blocking loop, awaited (the Play button starts it without waiting)

The figure (after GAN Lab, Kahng et al. 2018) has three panels:

1. **D's view**: D(x) = sigmoid(logit) as a heatmap (green: "real", purple: "fake"), real samples (blue), G's
   samples (red), and on each fake sample an arrow along -dl_G/dx: where G's loss pushes that sample. Under
   the minimax loss the arrows shrink to nothing where D confidently rejects the fakes (saturation).
2. **G's manifold**: a grid of lines in z-space, pushed through G. Straight lines in z become the curves drawn
   here, so you see how G folds and stretches the plane of noise onto the data.
3. **Curves**: D's and G's losses on a fixed evaluation batch, and the estimated JS and KL divergences.

Methods: the plain alternating GAN (non-saturating or minimax G loss), and, when their trainers are installed, the
unrolled GAN (``gancourse.trainers.unrolled``), WGAN-GP and WGAN with weight clipping (``gancourse.trainers.wgan``):
with a critic the heatmap shows f(x) itself and ``k`` is the number of critic steps.

JS and KL are estimated on a grid: real samples and G's samples (each a fixed set of a few thousand) are
binned into a 2-D (or 1-D) histogram, both histograms are blurred with the *same* Gaussian kernel (a binned
kernel density estimate), and :func:`gancourse.theory.jsd` / :func:`gancourse.theory.kl` are applied to the
two blurred densities. Blurring both with one kernel can only shrink a divergence (data processing), so the
numbers are *lower bounds* of the divergences between the blurred true densities; they are 0 when G matches
the data (up to sampling noise, a few hundredths), stay finite where the supports do not overlap (where the
true JS sits at log 2 and KL is infinite), and are cheap enough to compute every frame.

Drawing is fast because nothing is re-created per frame: the figure is built once per model (re)build and
each frame only moves its artists (``set_data``, ``set_offsets``, ``set_UVC``, ``set_segments``) before one
Agg draw; the PNG goes to an ``ipywidgets.Image``, so no matplotlib widget backend is needed. Playing runs as
an asyncio task on the kernel's event loop, yielding between frames, so buttons, sliders and other cells stay
responsive while it trains. Everything also runs without a browser: tests and nbval use :meth:`GANLab.step`,
:meth:`GANLab.set` and :meth:`GANLab.frame`.
"""
from __future__ import annotations

import asyncio
import dataclasses
import importlib
import io
import math
import time

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from PIL import Image

from .. import config, losses, theory
from ..data.toy import TOY, make
from ..models.mlp import MLPDiscriminator, MLPGenerator
from ..trainers.base import TrainingDiverged
from ..trainers.gan import GANTrainer

__all__ = ["GANLab", "Frame", "LabSettings", "METHODS", "available_methods", "js_kl_binned"]

# method -> (label, module, class name); a method whose module is missing is left out of the dropdown.
METHODS = {
    "gan": ("GAN (alternating updates)", None, None),
    "unrolled": ("unrolled GAN", "gancourse.trainers.unrolled", "UnrolledGANTrainer"),
    "wgan-gp": ("WGAN-GP", "gancourse.trainers.wgan", "WGANGPTrainer"),
    "wgan": ("WGAN (weight clipping)", "gancourse.trainers.wgan", "WGANTrainer"),
}
CRITICS = ("wgan-gp", "wgan")  # methods whose D is a critic f(x) (no sigmoid) with fixed Wasserstein losses
GP_WEIGHT = 0.1  # WGAN-GP's lambda on the toy data, as in the reference code's toy experiments
G_LOSS_CHOICES = (("non-saturating", "nonsaturating"), ("minimax (saturating)", "minimax"))
TRAIN_CHOICES = (("D + G", "both"), ("D only", "D"), ("G only", "G"))
WIDTHS = (2, 4, 8, 16, 32, 64, 128, 256)
LR_RANGE = (1e-5, 1e-1)
REBUILD = ("data", "method", "d_width", "d_depth", "g_width", "g_depth", "seed", "batch_size")


def available_methods() -> dict[str, str]:
    """The training methods whose trainer can be imported here: name -> label."""
    out = {}
    for name, (label, module, _) in METHODS.items():
        if module is None or _importable(module):
            out[name] = label
    return out


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _trainer_class(method: str):
    label, module, cls = METHODS[method]
    if module is None:
        return GANTrainer
    try:
        return getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as e:
        raise ValueError(f"method {method!r} ({label}) needs {module}.{cls}, which this installation lacks "
                         f"({e}); available: {', '.join(available_methods())}") from None


@dataclasses.dataclass
class LabSettings:
    """Everything a user can change. Fields in ``REBUILD`` rebuild G, D and the trainer from scratch (same seed);
    the others act on the running training."""

    data: str = "ring"
    method: str = "gan"
    loss: str = "nonsaturating"
    lr_d: float = 1e-3
    lr_g: float = 1e-3
    k: int = 1
    unroll: int = 5
    d_width: int = 64
    d_depth: int = 2
    g_width: int = 64
    g_depth: int = 2
    train: str = "both"
    steps_per_frame: int = 5
    slow_motion: bool = False
    batch_size: int = 256
    seed: int = dataclasses.field(default_factory=config.seed)  # GANCOURSE_SEED unless given


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


def _gauss_matrix(bins: int, sigma_bins: float) -> np.ndarray:
    i = np.arange(bins)
    return np.exp(-0.5 * ((i[:, None] - i[None, :]) / sigma_bins) ** 2)


def js_kl_binned(real: np.ndarray, fake: np.ndarray, lo, hi, bins: int = 64, sigma: float | None = None):
    """(JSD, KL(p_data || p_g)) of two sample sets, each binned on a grid over [lo, hi] and blurred by one kernel.

    Samples outside the window are clamped onto its border (they count, at the edge). The blur is a Gaussian of
    standard deviation ``sigma`` (data units; default 4% of the window's width), applied as K H K^T; the
    blurred histograms are normalised and passed to :func:`gancourse.theory.jsd` and :func:`gancourse.theory.kl`
    as discrete densities (cell volume 1). 1-D or 2-D.
    """
    real, fake = np.asarray(real, dtype=float), np.asarray(fake, dtype=float)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1] or real.shape[1] not in (1, 2):
        raise ValueError(f"real and fake must be (n, 1) or (n, 2) arrays of one dimension, got {real.shape} "
                         f"and {fake.shape}")
    if len(real) == 0 or len(fake) == 0:
        raise ValueError("real and fake need at least one sample each")
    dim = real.shape[1]
    lo, hi = np.broadcast_to(np.asarray(lo, dtype=float), (dim,)), np.broadcast_to(np.asarray(hi, dtype=float), (dim,))
    if not np.all(hi > lo):
        raise ValueError(f"the window needs lo < hi, got lo={lo}, hi={hi}")
    width = float(np.max(hi - lo))
    sigma = 0.04 * width if sigma is None else float(sigma)
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    dens = []
    for pts in (real, fake):
        pts = np.clip(pts, lo, hi)
        if dim == 1:
            h, _ = np.histogram(pts[:, 0], bins=bins, range=(lo[0], hi[0]))
        else:
            h, _, _ = np.histogram2d(pts[:, 0], pts[:, 1], bins=bins, range=[(lo[0], hi[0]), (lo[1], hi[1])])
        ks = [_gauss_matrix(bins, sigma / ((hi[d] - lo[d]) / bins)) for d in range(dim)]
        h = ks[0] @ h if dim == 1 else ks[0] @ h @ ks[1].T
        h = h / h.sum() + 1e-12
        dens.append(np.log(h / h.sum()))
    log_p, log_q = (torch.from_numpy(d) for d in dens)
    return theory.jsd(log_p, log_q, dx=1.0), theory.kl(log_p, log_q, dx=1.0)


class _threads:
    """Run torch on ``n`` intra-op threads inside the block (tiny models are fastest on one), then restore."""

    def __init__(self, n):
        self.n = n

    def __enter__(self):
        self.old = torch.get_num_threads()
        if self.n:
            torch.set_num_threads(self.n)

    def __exit__(self, *exc):
        torch.set_num_threads(self.old)


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not allowed; choose from {', '.join(map(str, choices))}")
    return value


def _check_int(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")
    return int(value)


def _check_lr(name, value):
    lo, hi = LR_RANGE
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= float(value) <= hi:
        raise ValueError(f"{name} must be a number in [{lo:g}, {hi:g}], got {value!r}")
    return float(value)


def _validate(name: str, value, settings: LabSettings):
    if name == "data":
        return _check_choice(name, value, tuple(TOY))
    if name == "method":
        _check_choice(name, value, tuple(METHODS))
        _trainer_class(value)  # a clear ValueError if its trainer is missing here
        return value
    if name == "loss":
        return _check_choice(name, value, tuple(v for _, v in G_LOSS_CHOICES))
    if name in ("lr_d", "lr_g"):
        return _check_lr(name, value)
    if name == "k":
        return _check_int(name, value, 1, 10)
    if name == "unroll":
        return _check_int(name, value, 1, 10)
    if name in ("d_width", "g_width"):
        return _check_choice(name, value, WIDTHS)
    if name in ("d_depth", "g_depth"):
        return _check_int(name, value, 0 if name == "d_depth" else 1, 4)
    if name == "train":
        return _check_choice(name, value, tuple(v for _, v in TRAIN_CHOICES))
    if name == "steps_per_frame":
        return _check_int(name, value, 1, 50)
    if name == "slow_motion":
        if not isinstance(value, bool):
            raise ValueError(f"slow_motion must be True or False, got {value!r}")
        return value
    if name == "batch_size":
        return _check_int(name, value, 1, 4096)
    if name == "seed":
        return _check_int(name, value, 0, 2**32 - 1)
    raise ValueError(f"no setting named {name!r}; settings: {', '.join(f.name for f in dataclasses.fields(settings))}")


class GANLab:
    """A GAN-Lab-style live view of a 2-D (or 1-D) GAN: controls, a fast-redrawn figure and a headless API.

    Args:
        data: a name from :data:`gancourse.data.toy.TOY` (``ring``, ``grid``, ``spiral``, ``moons``, ...).
        resolution: the heatmap's grid is ``resolution`` x ``resolution`` points.
        n_show: fake and real samples drawn (and fake samples that get a gradient arrow).
        n_eval: samples of each kind used for the losses and the JS/KL estimate (fixed z and fixed real set).
        z_lines: lines per direction of the z-grid drawn through G.
        figsize, dpi: the picture's size (the default, 12 x 4 inches at 72 dpi, is 864 x 288 pixels).
        threads: torch threads while the lab trains and draws (1: these tiny models gain nothing from more, and a
            busy machine makes more much slower); None leaves torch's setting alone.
        **settings: initial values of any :class:`LabSettings` field (``method``, ``loss``, ``lr_d``, ...).

    Attributes:
        settings: the current :class:`LabSettings`. trainer: the current trainer (its ``G`` and ``D``).
        controls: dict name -> ipywidget. widget: the box to display. history: per-frame curves.
        iteration, d_updates, g_updates: training counters since the last (re)build.
    """

    def __init__(self, data: str = "ring", *, resolution: int = 48, n_show: int = 200, n_eval: int = 2000,
                 z_lines: int = 9, figsize=(12, 4.0), dpi: int = 72, threads: int | None = 1, **settings):
        self.settings = LabSettings()
        for name, value in {"data": data, **settings}.items():
            setattr(self.settings, name, _validate(name, value, self.settings))
        self.resolution = _check_int("resolution", resolution, 8, 400)
        self.n_show = _check_int("n_show", n_show, 1, 100_000)
        self.n_eval = _check_int("n_eval", n_eval, 10, 1_000_000)
        self.z_lines = _check_int("z_lines", z_lines, 2, 50)
        self.figsize, self.dpi = figsize, dpi
        self.threads = None if threads is None else _check_int("threads", threads, 1, 1024)
        self._task: asyncio.Task | None = None
        self._stop = False
        self._holding = False
        self._phase = "D"  # slow motion alternates D and G phases
        self._last: Frame | None = None
        self.n_draws = 0
        self.redraw_ms = float("nan")
        self._build_controls()
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="100%", max_width=f"{figsize[0]*dpi}px"))
        self.status = widgets.HTML()
        self.widget = widgets.VBox([self._controls_box, self.status, self.image])
        self.reset()

    # ================================================================== public API
    def step(self, n: int = 1) -> Frame:
        """Train ``n`` iterations in the current step mode (D and G, D only or G only), redraw, return the frame."""
        n = _check_int("n", n, 0, 10**7)
        with _threads(self.threads):
            self._train(n, self.settings.train)
        return self.redraw()

    def set(self, **values) -> Frame:
        """Change settings as the controls would (validated first, applied together, one redraw); see LabSettings."""
        checked = {name: _validate(name, value, self.settings) for name, value in values.items()}
        self._holding = True
        try:
            for name, value in checked.items():
                if name in self.controls:
                    self.controls[name].value = value
        finally:
            self._holding = False
        return self._apply(checked)

    def frame(self) -> Frame:
        """The last drawn frame (redraws first if nothing was drawn yet)."""
        return self._last if self._last is not None else self.redraw()

    def reset(self) -> Frame:
        """Rebuild G, D and the trainer from the current settings (same seed: same initial weights), redraw."""
        self._build_models()
        self._build_figure()
        return self.redraw()

    def redraw(self, phase: str | None = None) -> Frame:
        """Recompute D's map, G's samples, gradients, losses and divergences; update the figure and the image."""
        start = time.perf_counter()
        with _threads(self.threads):
            f = self._compute(phase or self.settings.train)
        self._draw(f)
        png = self._encode()
        self.redraw_ms = 1000 * (time.perf_counter() - start)  # shown in the status line
        self._last = f = dataclasses.replace(f, png=png)
        self.image.value = png
        self.n_draws += 1
        self.status.value = self._status_html(f)
        return f

    def play(self, frames: int | None = None) -> asyncio.Task:
        """Start the live loop as an asyncio task on the running (kernel's) event loop and return it.

        Each frame trains ``steps_per_frame`` iterations (slow motion: one D or G phase) and redraws, then
        yields to the event loop, so widget events and other cells run between frames. ``frames=None`` plays until
        :meth:`pause`; ``await lab.play(frames=20)`` in a cell waits for 20 frames.
        """
        if frames is not None:
            frames = _check_int("frames", frames, 1, 10**7)
        if self.playing:
            return self._task
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError("play() needs a running event loop, as in a Jupyter kernel; headless, use "
                               "lab.step(n)") from None
        self._stop = False
        self._task = loop.create_task(self._loop(frames))
        self._sync_buttons()
        return self._task

    def pause(self) -> None:
        """Stop the live loop after the frame in progress."""
        self._stop = True

    @property
    def playing(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def G(self):
        return self.trainer.G

    @property
    def D(self):
        return self.trainer.D

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # ================================================================== controls
    def _build_controls(self):
        s, style = self.settings, {"description_width": "initial"}
        methods = available_methods()
        small = widgets.Layout(width="250px")
        c = self.controls = {
            "data": widgets.Dropdown(options=list(TOY), value=s.data, description="data", layout=small),
            "method": widgets.Dropdown(options=[(lab, m) for m, lab in methods.items()], value=s.method,
                                       description="method", layout=small),
            "loss": widgets.Dropdown(options=list(G_LOSS_CHOICES), value=s.loss, description="G loss", layout=small),
            "train": widgets.ToggleButtons(options=list(TRAIN_CHOICES), value=s.train, description="train",
                                           style={"button_width": "72px", "description_width": "40px"}),
            "lr_d": widgets.FloatLogSlider(value=s.lr_d, base=10, min=-5, max=-1, step=0.25, description="D lr",
                                           readout_format=".0e", continuous_update=False, style=style),
            "lr_g": widgets.FloatLogSlider(value=s.lr_g, base=10, min=-5, max=-1, step=0.25, description="G lr",
                                           readout_format=".0e", continuous_update=False, style=style),
            "k": widgets.IntSlider(value=s.k, min=1, max=10, description="D steps k", continuous_update=False,
                                   style=style),
            "unroll": widgets.IntSlider(value=s.unroll, min=1, max=10, description="unroll steps",
                                        continuous_update=False, style=style),
            "d_width": widgets.SelectionSlider(options=WIDTHS, value=s.d_width, description="D width",
                                               continuous_update=False, style=style),
            "d_depth": widgets.IntSlider(value=s.d_depth, min=0, max=4, description="D hidden layers",
                                         continuous_update=False, style=style),
            "steps_per_frame": widgets.IntSlider(value=s.steps_per_frame, min=1, max=50,
                                                 description="steps per frame", continuous_update=False, style=style),
            "slow_motion": widgets.Checkbox(value=s.slow_motion, description="slow motion (D, then G)",
                                            indent=False),
        }
        if s.method not in methods:
            raise ValueError(f"method {s.method!r} is not available here; available: {', '.join(methods)}")
        for name, w in c.items():
            w.observe(self._on_control, names="value")
        self.buttons = {
            "play": widgets.Button(description="play", icon="play", button_style="success",
                                   layout=widgets.Layout(width="80px")),
            "pause": widgets.Button(description="pause", icon="pause", layout=widgets.Layout(width="80px"),
                                    disabled=True),
            "step": widgets.Button(description="step", icon="step-forward", layout=widgets.Layout(width="80px")),
            "reset": widgets.Button(description="reset", icon="refresh", layout=widgets.Layout(width="80px")),
        }
        self.buttons["play"].on_click(lambda _: self.play())
        self.buttons["pause"].on_click(lambda _: self.pause())
        self.buttons["step"].on_click(lambda _: self._guarded(self._one_frame))
        self.buttons["reset"].on_click(lambda _: self._guarded(self.reset))
        self._controls_box = widgets.VBox([
            widgets.HBox([*self.buttons.values(), c["train"], c["slow_motion"]]),
            widgets.HBox([c["data"], c["method"], c["loss"]]),
            widgets.HBox([c["lr_d"], c["lr_g"], c["k"]]),
            widgets.HBox([c["d_width"], c["d_depth"], c["unroll"], c["steps_per_frame"]]),
        ])
        self._sync_enabled()

    def _on_control(self, change):
        if self._holding:
            return
        name = next(n for n, w in self.controls.items() if w is change["owner"])
        self._guarded(lambda: self._apply({name: _validate(name, change["new"], self.settings)}))

    def _guarded(self, fn):
        try:
            fn()
        except (ValueError, TrainingDiverged) as e:
            self.status.value = f"<b style='color:#b00'>{type(e).__name__}: {e}</b>"

    def _apply(self, values: dict) -> Frame:
        old = dataclasses.replace(self.settings)
        for name, value in values.items():
            setattr(self.settings, name, value)
        self._sync_enabled()
        if any(getattr(old, n) != getattr(self.settings, n) for n in REBUILD):
            return self.reset()
        t = self.trainer
        t.set_learning_rates(D=self.settings.lr_d, G=self.settings.lr_g)
        t.k = self.settings.k
        if self.settings.method == "unrolled":
            t.unroll = self.settings.unroll
        if self.settings.method not in CRITICS:
            t.g_loss = self.settings.loss
        return self.redraw()

    def _sync_enabled(self):
        c = self.controls
        c["loss"].disabled = self.settings.method in CRITICS
        c["unroll"].disabled = self.settings.method != "unrolled"

    def _sync_buttons(self):
        playing = self.playing and not self._stop
        self.buttons["play"].disabled = playing
        self.buttons["step"].disabled = playing
        self.buttons["pause"].disabled = not playing

    # ================================================================== models and training
    def _build_models(self):
        s = self.settings
        self.data = make(s.data)
        probe = self.data.sample(self.n_eval, generator=torch.Generator().manual_seed(s.seed + 12345))
        self.dim = probe.shape[1]
        self.z_dim = self.dim
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(s.seed)
            G = MLPGenerator(self.z_dim, self.dim, s.g_width, s.g_depth)
            D = MLPDiscriminator(self.dim, s.d_width, s.d_depth)
        cls = _trainer_class(s.method)
        kwargs = dict(lr_d=s.lr_d, lr_g=s.lr_g, k=s.k, device="cpu", seed=s.seed)
        if s.method == "unrolled":
            kwargs.update(unroll=s.unroll, g_loss=s.loss)
        elif s.method in CRITICS:  # the losses are fixed by the method; k is its n_critic
            kwargs["n_critic"] = kwargs.pop("k")
            if s.method == "wgan-gp":
                kwargs["lam"] = GP_WEIGHT
        else:
            kwargs.update(g_loss=s.loss)
        self.trainer = cls(G, D, **kwargs)
        self.iteration = self.d_updates = self.g_updates = 0
        self._phase = "D"
        self.history = {k: [] for k in ("iteration", "loss_D", "loss_G", "js", "kl", "grad_mean", "d_fake")}
        # fixed evaluation sets: the curves move only because G and D move
        self.real_eval = probe.numpy().astype(np.float64)
        zgen = torch.Generator().manual_seed(s.seed + 54321)
        self.z_eval = torch.randn(self.n_eval, self.z_dim, generator=zgen)
        # the window: a square (interval) around the data, padded
        lo, hi = probe.min(0).values.numpy(), probe.max(0).values.numpy()
        center, half = (lo + hi) / 2, 0.5 * float((hi - lo).max()) * 1.3 + 0.1
        self.lo, self.hi = center - half, center + half
        self.half = half
        if self.dim == 2:
            ax = [torch.linspace(float(self.lo[d]), float(self.hi[d]), self.resolution) for d in range(2)]
            ys, xs = torch.meshgrid(ax[1], ax[0], indexing="ij")  # rows along y, as imshow wants
            self.grid = torch.stack([xs.flatten(), ys.flatten()], 1)
            zs = torch.linspace(-2.0, 2.0, self.z_lines)
            t = torch.linspace(-2.5, 2.5, 60)
            lines = [torch.stack([torch.full_like(t, v), t], 1) for v in zs]  # z1 fixed
            lines += [torch.stack([t, torch.full_like(t, v)], 1) for v in zs]  # z2 fixed
            self.z_grid = torch.stack(lines)  # (2 * z_lines, 60, 2)
        else:
            self.grid = torch.linspace(float(self.lo[0]), float(self.hi[0]), 4 * self.resolution)[:, None]
            self.z_grid = torch.linspace(-3.0, 3.0, 200)[None, :, None]  # (1, 200, 1)

    def _train(self, n: int, mode: str, count: bool = True):
        """n iterations: 'both' = k D updates and one G update (the trainer's own step), 'D' or 'G' alone."""
        if n == 0:
            return
        t, s = self.trainer, self.settings
        if mode == "both":
            t.fit(self.data, steps=n, batch_size=s.batch_size, progress=False)
            self.d_updates += n * t.k
            self.g_updates += n
        else:
            for _ in range(n):
                real = self.data.sample(s.batch_size, generator=t.data_rng)
                if mode == "D":
                    for i in range(t.k):
                        t.d_step(t.forward(real if i == 0 else self.data.sample(s.batch_size, generator=t.data_rng)))
                    self.d_updates += t.k
                else:
                    t.g_step(t.forward(real))
                    self.g_updates += 1
            self._check_finite()
        if count:
            self.iteration += n

    def _check_finite(self):
        for name, m in self.trainer.models.items():
            if not all(torch.isfinite(p).all() for p in m.parameters()):
                raise TrainingDiverged(f"{name}'s weights became NaN or infinite at iteration {self.iteration}; "
                                       "press reset and lower the learning rate")

    def _one_frame(self):
        """What one frame of play (or the step button) does: ``steps_per_frame`` iterations, or in slow motion a
        single phase (D's k updates, then G's update on the next frame: one iteration per pair)."""
        s = self.settings
        if not s.slow_motion:
            return self.step(s.steps_per_frame)
        if s.train != "both":
            return self.step(1)
        phase = self._phase
        with _threads(self.threads):
            self._train(1, phase, count=phase == "G")
        self._phase = "G" if phase == "D" else "D"
        return self.redraw(phase=phase)

    async def _loop(self, frames):
        done = 0
        try:
            while not self._stop and (frames is None or done < frames):
                start = time.perf_counter()
                self._one_frame()
                done += 1
                interval = 0.6 if self.settings.slow_motion else 1 / 20
                # always yield a little: the kernel handles widget messages (pause, sliders) in this gap
                await asyncio.sleep(max(0.01, interval - (time.perf_counter() - start)))
        except Exception as e:  # a task's exception would go unseen: show it where the user looks
            self.status.value = f"<b style='color:#b00'>stopped: {type(e).__name__}: {e}</b>"
            if not isinstance(e, (ValueError, TrainingDiverged)):
                raise
        finally:
            self._stop = True
            self._sync_buttons()
            self._stop = False
        return done

    # ================================================================== one frame: compute
    def _compute(self, phase: str) -> Frame:
        t = self.trainer
        G, D = t.G, t.D
        wgan = self.settings.method in CRITICS
        was = G.training, D.training
        G.eval(), D.eval()
        try:
            with torch.no_grad():
                d_grid = D(self.grid).float()
                fake_eval = G(self.z_eval).float()
                d_real = D(torch.from_numpy(self.real_eval).float()).float()
                manifold = G(self.z_grid.reshape(-1, self.z_dim)).float().reshape(*self.z_grid.shape[:2], self.dim)
            fake = fake_eval[: self.n_show].clone().requires_grad_(True)
            with torch.enable_grad():
                D.requires_grad_(False)
                try:
                    d_fake_show = D(fake).float()
                    # per-sample gradients: the loss is a mean, so scale by n to get dl_i/dx_i for each sample
                    (grad,) = torch.autograd.grad(t.g_loss(d_fake_show) * fake.shape[0], fake)
                finally:
                    D.requires_grad_(True)
            with torch.no_grad():
                d_fake = D(fake_eval).float()
                loss_D = float(t.d_loss(d_real, d_fake))
                loss_G = float(t.g_loss(d_fake))
        finally:
            G.train(was[0]), D.train(was[1])
        self._fake_eval = fake_eval.numpy()
        js, kl = js_kl_binned(self.real_eval, self._fake_eval, self.lo, self.hi)
        d_map = d_grid if wgan else torch.sigmoid(d_grid)
        d_map = d_map.reshape(self.resolution, self.resolution).numpy() if self.dim == 2 else d_map.numpy()
        if self.dim == 1:
            manifold = torch.cat([self.z_grid, manifold], -1)  # (1, points, 2): (z, G(z))
        push = -grad.numpy()
        f = Frame(
            iteration=self.iteration, d_updates=self.d_updates, g_updates=self.g_updates, png=b"", d_map=d_map,
            real=self.real_eval[: self.n_show], fake=fake.detach().numpy().astype(np.float64), grad=push,
            manifold=manifold.numpy(), loss_D=loss_D, loss_G=loss_G, js=js, kl=kl,
            d_fake=float(torch.sigmoid(d_fake).mean()) if not wgan else float(d_fake.mean()),
            grad_mean=float(np.linalg.norm(push, axis=1).mean()),
            phase=phase,
        )
        h = self.history
        for key in h:
            h[key].append(getattr(f, key))
        return f

    # ================================================================== one frame: draw
    def _build_figure(self):
        """Build the figure once per (re)build. Artists that change are ``animated``: the static rest (axes, ticks,
        labels, legends) is drawn once into a background that each frame restores before drawing only them."""
        self.fig = Figure(figsize=self.figsize, dpi=self.dpi)
        self.canvas = FigureCanvasAgg(self.fig)
        gs = self.fig.add_gridspec(2, 3, width_ratios=[1, 1, 1.25], left=0.04, right=0.985, bottom=0.12,
                                   top=0.9, wspace=0.22, hspace=0.55)
        self.ax_d = self.fig.add_subplot(gs[:, 0])
        self.ax_m = self.fig.add_subplot(gs[:, 1])
        self.ax_loss = self.fig.add_subplot(gs[0, 2])
        self.ax_div = self.fig.add_subplot(gs[1, 2])
        wgan = self.settings.method in CRITICS
        lo, hi = self.lo, self.hi
        real = self.real_eval[: self.n_show]
        empty = np.zeros((self.n_show, 2))
        dyn = []  # animated artists, in drawing order
        if self.dim == 2:
            ext = (lo[0], hi[0], lo[1], hi[1])
            self.im = self.ax_d.imshow(np.zeros((self.resolution, self.resolution)), origin="lower", extent=ext,
                                       cmap="PRGn", vmin=0, vmax=1, interpolation="bilinear", aspect="equal")
            # the real samples lie on top of the (animated) heatmap, so they are redrawn each frame too
            sc_real = self.ax_d.scatter(real[:, 0], real[:, 1], s=5, c="#1f77b4", alpha=0.7, lw=0)
            self.sc_fake = self.ax_d.scatter(empty[:, 0], empty[:, 1], s=6, c="#d62728", lw=0)
            self.quiver = self.ax_d.quiver(empty[:, 0], empty[:, 1], empty[:, 0], empty[:, 1], angles="xy",
                                           scale_units="xy", scale=1, width=0.004, color="#333333")
            self.ax_d.set_xlim(lo[0], hi[0])
            self.ax_d.set_ylim(lo[1], hi[1])
            self.ax_d.set_title("critic f(x) (colour: its range), arrows -dl_G/dx" if wgan else
                                "D(x) (green: real), arrows -dl_G/dx", fontsize=10)
            # G's manifold: z-grid lines through G, one colour per family
            self.ax_m.scatter(real[:, 0], real[:, 1], s=5, c="#1f77b4", alpha=0.35, lw=0)
            colors = ["#e6550d"] * self.z_lines + ["#756bb1"] * self.z_lines
            self.lines_m = LineCollection(np.zeros((2 * self.z_lines, 2, 2)), colors=colors, linewidths=0.9)
            self.ax_m.add_collection(self.lines_m)
            self.sc_fake_m = self.ax_m.scatter(empty[:, 0], empty[:, 1], s=4, c="#d62728", lw=0)
            self.ax_m.set_xlim(lo[0], hi[0])
            self.ax_m.set_ylim(lo[1], hi[1])
            self.ax_m.set_aspect("equal")
            self.ax_m.set_title("G's manifold: the z-grid pushed through G", fontsize=10)
            dyn += [self.im, sc_real, self.sc_fake, self.quiver, self.lines_m, self.sc_fake_m]
        else:
            x = self.grid[:, 0].numpy()
            self.line_d, = self.ax_d.plot(x, np.zeros_like(x), color="#2ca02c", lw=2,
                                          label="critic (scaled)" if wgan else "D(x)")
            bins = 64
            self._centers_1d = np.linspace(lo[0], hi[0], 2 * bins + 1)[1::2]
            self.line_real, = self.ax_d.plot(self._centers_1d, np.zeros(bins), color="#1f77b4",
                                             label="p_data (blurred)")
            self.line_fake, = self.ax_d.plot(self._centers_1d, np.zeros(bins), color="#d62728",
                                             label="p_g (blurred)")
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
            dyn += [self.line_d, self.line_real, self.line_fake, self.sc_fake, self.quiver, self.line_m]
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

    def _arrows(self, f: Frame) -> np.ndarray:
        """-dl_G/dx in data units for display: gain 0.15 * half-window per unit gradient, length capped at 0.3."""
        v = f.grad * 0.15 * self.half
        length = np.linalg.norm(v, axis=1, keepdims=True)
        cap = 0.3 * self.half
        return v * np.minimum(1.0, cap / np.maximum(length, 1e-12))

    def _draw(self, f: Frame):
        arrows = self._arrows(f)
        if self.dim == 2:
            self.im.set_data(f.d_map)
            if self.settings.method in CRITICS:
                lo, hi = float(f.d_map.min()), float(f.d_map.max())
                self.im.set_clim(lo, hi if hi > lo else lo + 1e-6)
            self.sc_fake.set_offsets(f.fake)
            self.quiver.set_offsets(f.fake)
            self.quiver.set_UVC(arrows[:, 0], arrows[:, 1])
            self.lines_m.set_segments(list(f.manifold))
            self.sc_fake_m.set_offsets(f.fake)
        else:
            d = f.d_map
            if self.settings.method in CRITICS:
                d = (d - d.min()) / max(float(d.max() - d.min()), 1e-6)
            self.line_d.set_ydata(d)
            dens_r, dens_f = self._densities_1d()
            self.line_real.set_ydata(dens_r)
            self.line_fake.set_ydata(dens_f)
            pts = np.stack([f.fake[:, 0], np.full(len(f.fake), -0.1)], 1)
            self.sc_fake.set_offsets(pts)
            self.quiver.set_offsets(pts)
            self.quiver.set_UVC(arrows[:, 0], np.zeros(len(arrows)))
            self.line_m.set_data(f.manifold[0, :, 0], f.manifold[0, :, 1])
        h = self.history
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
        if stale:
            self.canvas.draw()  # animated artists are skipped: this is the static background
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
            self.n_full_draws += 1
        else:
            self.canvas.restore_region(self._background)
        for artist in self._dynamic:
            artist.axes.draw_artist(artist)

    def _densities_1d(self):
        bins, lo, hi = len(self._centers_1d), self.lo[0], self.hi[0]
        k = _gauss_matrix(bins, 0.04 * bins)
        out = []
        for pts in (self.real_eval[:, 0], self._fake_eval[:, 0]):
            h, _ = np.histogram(np.clip(pts, lo, hi), bins=bins, range=(lo, hi))
            out.append(k @ h.astype(float))
        scale = 0.9 / max(out[0].max(), 1e-12)
        return out[0] * scale, np.minimum(out[1] * scale, 1.2)

    def _encode(self) -> bytes:
        w, h = self.canvas.get_width_height()
        img = Image.frombuffer("RGBA", (w, h), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
        buf = io.BytesIO()
        img.save(buf, format="PNG", compress_level=1)
        return buf.getvalue()

    def _status_html(self, f: Frame) -> str:
        s = self.settings
        method = available_methods().get(s.method, s.method)
        loss = "Wasserstein" if s.method in CRITICS else dict((v, k) for k, v in G_LOSS_CHOICES)[s.loss]
        dname = "mean critic f(G(z))" if s.method in CRITICS else "mean D(G(z))"
        return (f"<code>iteration {f.iteration} (D updates {f.d_updates}, G updates {f.g_updates}) | {method}, "
                f"{loss} G loss | D loss {f.loss_D:.3f}, G loss {f.loss_G:.3f} | {dname} {f.d_fake:.3f} | "
                f"mean |dl_G/dx| {f.grad_mean:.3g} | JS {f.js:.3f} (max {math.log(2):.3f}), KL {f.kl:.3f} | "
                f"redraw {self.redraw_ms:.0f} ms</code>")
