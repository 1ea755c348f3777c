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
3. **Curves**: D's and G's losses on a fixed evaluation batch, and the estimated JS and KL divergences
   (:func:`gancourse.metrics.js_kl_binned`: binned, blurred densities; estimates for the trend, cheap enough every frame).

Methods: the plain alternating GAN (non-saturating or minimax G loss), the unrolled GAN, WGAN-GP and WGAN with
weight clipping (:data:`gancourse.widgets.settings.METHODS`): with a critic the heatmap shows f(x) itself and ``k``
is the number of critic steps. The lab drives every trainer through its public contract only.

Three files: this one is the controller (the public :class:`GANLab`, settings, training, the play loop, what a
frame computes); :mod:`~gancourse.widgets.lab_view` draws; :mod:`~gancourse.widgets.settings` holds the table of
settings that both validation and the controls are built from. Playing runs as an asyncio task on the kernel's
event loop, yielding between frames, so buttons, sliders and other cells stay responsive while it trains.
Everything also runs without a browser: tests and nbval use :meth:`GANLab.step`, :meth:`GANLab.set` and
:meth:`GANLab.frame`.
"""
from __future__ import annotations

import asyncio
import dataclasses
import time

import numpy as np
import torch

from .. import validation
from ..contexts import eval_mode, torch_threads
from ..data.toy import make
from ..metrics import js_kl_binned
from ..models.mlp import MLPDiscriminator, MLPGenerator
from ..trainers.base import TrainingDiverged, frozen
from . import settings as table
from .lab_view import Frame, Geometry, LabView
from .settings import CRITICS, GP_WEIGHT, METHODS, REBUILD, LabSettings

__all__ = ["GANLab", "Frame", "LabSettings", "METHODS", "available_methods", "js_kl_binned"]


def available_methods() -> dict[str, str]:
    """The training methods: name -> label (every one ships with the package)."""
    return table.method_labels()


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
        view: the :class:`~gancourse.widgets.lab_view.LabView`; its controls (dict name -> ipywidget), buttons,
        image, status and widget (the box to display) are also attributes of the lab. history: per-frame curves.
        iteration, d_updates, g_updates: training counters since the last (re)build.
    """

    def __init__(self, data: str = "ring", *, resolution: int = 48, n_show: int = 200, n_eval: int = 2000,
                 z_lines: int = 9, figsize=(12, 4.0), dpi: int = 72, threads: int | None = 1, **settings):
        self.settings = LabSettings()
        for name, value in {"data": data, **settings}.items():
            setattr(self.settings, name, table.check(name, value))
        self.resolution = validation.integer("resolution", resolution, low=8, high=400)
        self.n_show = validation.integer("n_show", n_show, low=1, high=100_000)
        self.n_eval = validation.integer("n_eval", n_eval, low=10, high=1_000_000)
        self.z_lines = validation.integer("z_lines", z_lines, low=2, high=50)
        self.threads = None if threads is None else validation.integer("threads", threads, low=1, high=1024)
        figsize, dpi = validation.size_pair("figsize", figsize), validation.integer("dpi", dpi, low=10, high=1000)
        self._task: asyncio.Task | None = None
        self._stop = False
        self._holding = False
        self._phase = "D"  # slow motion alternates D and G phases
        self._last: Frame | None = None
        self.n_draws = 0
        self.redraw_ms = float("nan")
        self.view = LabView(self.settings, figsize, dpi, self._on_control, self._on_button)
        v = self.view
        self.controls, self.buttons, self.image, self.status, self.widget = (
            v.controls, v.buttons, v.image, v.status, v.widget)
        self._sync()
        self.reset()

    # ================================================================== public API
    def step(self, n: int = 1) -> Frame:
        """Train ``n`` iterations in the current step mode (D and G, D only or G only), redraw, return the frame."""
        n = validation.integer("n", n, low=0, high=10**7)
        with torch_threads(self.threads):
            self._train(n, self.settings.train)
        return self.redraw()

    def set(self, **values) -> Frame:
        """Change settings as the controls would (validated first, applied together, one redraw); see LabSettings."""
        checked = {name: table.check(name, value) for name, value in values.items()}
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
        geo = Geometry(dim=self.dim, lo=self.lo, hi=self.hi, half=self.half, real=self.real_eval[: self.n_show],
                       resolution=self.resolution, grid_x=self.grid[:, 0].numpy(), z_lines=self.z_lines,
                       critic=self.settings.method in CRITICS)
        self.view.build(geo, self.n_show)
        return self.redraw()

    def redraw(self, phase: str | None = None) -> Frame:
        """Recompute D's map, G's samples, gradients, losses and divergences; update the figure and the image."""
        start = time.perf_counter()
        with torch_threads(self.threads):
            f = self._compute(phase or self.settings.train)
        self.view.draw(f, self.history, self.real_eval, self._fake_eval)
        png = self.view.png()
        self.redraw_ms = 1000 * (time.perf_counter() - start)  # shown in the status line
        self._last = f = dataclasses.replace(f, png=png)
        self.n_draws += 1
        self.view.show(f, self.settings, self.redraw_ms)
        return f

    def play(self, frames: int | None = None) -> asyncio.Task:
        """Start the live loop as an asyncio task on the running (kernel's) event loop and return it.

        Each frame trains ``steps_per_frame`` iterations (slow motion: one D or G phase) and redraws, then
        yields to the event loop, so widget events and other cells run between frames. ``frames=None`` plays until
        :meth:`pause`; ``await lab.play(frames=20)`` in a cell waits for 20 frames.
        """
        if frames is not None:
            frames = validation.integer("frames", frames, low=1, high=10**7)
        if self.playing:
            return self._task
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError("play() needs a running event loop, as in a Jupyter kernel; headless, use "
                               "lab.step(n)") from None
        self._stop = False
        self._task = loop.create_task(self._loop(frames))
        self._sync()
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

    @property
    def n_full_draws(self) -> int:
        """Redraws since the last (re)build that also redrew the static background."""
        return self.view.n_full_draws

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # ================================================================== controls
    def _on_control(self, name: str, value) -> None:
        if not self._holding:
            self._guarded(lambda: self._apply({name: table.check(name, value)}))

    def _on_button(self, name: str) -> None:
        if name == "play":
            self.play()
        elif name == "pause":
            self.pause()
        else:
            self._guarded(self._one_frame if name == "step" else self.reset)

    def _guarded(self, fn):
        try:
            fn()
        except (ValueError, TrainingDiverged) as e:
            self.view.error(f"{type(e).__name__}: {e}")

    def _sync(self):
        self.view.sync(self.settings, self.playing and not self._stop)

    def _apply(self, values: dict) -> Frame:
        old = dataclasses.replace(self.settings)
        for name, value in values.items():
            setattr(self.settings, name, value)
        self._sync()
        s = self.settings
        if any(getattr(old, n) != getattr(s, n) for n in REBUILD):
            return self.reset()
        t = self.trainer  # live changes, through the trainer's public knobs
        t.set_learning_rates(D=s.lr_d, G=s.lr_g)
        t.k = s.k
        if s.method == "unrolled":
            t.unroll = s.unroll
        if s.method not in CRITICS:
            t.g_loss = s.loss
        return self.redraw()

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
        kwargs = dict(lr_d=s.lr_d, lr_g=s.lr_g, k=s.k, device="cpu", seed=s.seed)
        if s.method == "unrolled":
            kwargs.update(unroll=s.unroll, g_loss=s.loss)
        elif s.method in CRITICS:  # the losses are fixed by the method; k is its n_critic
            kwargs["n_critic"] = kwargs.pop("k")
            if s.method == "wgan-gp":
                kwargs["lam"] = GP_WEIGHT
        else:
            kwargs.update(g_loss=s.loss)
        self.trainer = METHODS[s.method](G, D, **kwargs)
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
                if mode == "D":  # k D steps, each later one on a fresh batch, as in the trainer's own step
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
        with torch_threads(self.threads):
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
            self.view.error(f"stopped: {type(e).__name__}: {e}")
            if not isinstance(e, (ValueError, TrainingDiverged)):
                raise
        finally:
            self._stop = True
            self._sync()
            self._stop = False
        return done

    # ================================================================== one frame: compute
    def _compute(self, phase: str) -> Frame:
        """D on the heatmap grid, G on the fixed noise and the z-grid, G's per-sample gradients, the losses on
        the fixed evaluation sets and the binned JS/KL, all in eval mode (put back after)."""
        t = self.trainer
        G, D = t.G, t.D
        critic = self.settings.method in CRITICS
        with eval_mode(G, D):
            with torch.no_grad():
                d_grid = D(self.grid).float()
                fake_eval = G(self.z_eval).float()
                d_real = D(torch.from_numpy(self.real_eval).float()).float()
                manifold = G(self.z_grid.reshape(-1, self.z_dim)).float().reshape(*self.z_grid.shape[:2], self.dim)
            fake = fake_eval[: self.n_show].clone().requires_grad_(True)
            with torch.enable_grad(), frozen(D):
                d_fake_show = D(fake).float()
                # per-sample gradients: the loss is a mean, so scale by n to get dl_i/dx_i for each sample
                (grad,) = torch.autograd.grad(t.g_loss(d_fake_show) * fake.shape[0], fake)
            with torch.no_grad():
                d_fake = D(fake_eval).float()
                loss_D = float(t.d_loss(d_real, d_fake))
                loss_G = float(t.g_loss(d_fake))
        self._fake_eval = fake_eval.numpy()
        js, kl = js_kl_binned(self.real_eval, self._fake_eval, self.lo, self.hi)
        d_map = d_grid if critic else torch.sigmoid(d_grid)
        d_map = d_map.reshape(self.resolution, self.resolution).numpy() if self.dim == 2 else d_map.numpy()
        if self.dim == 1:
            manifold = torch.cat([self.z_grid, manifold], -1)  # (1, points, 2): (z, G(z))
        push = -grad.numpy()
        f = Frame(
            iteration=self.iteration, d_updates=self.d_updates, g_updates=self.g_updates, png=b"", d_map=d_map,
            real=self.real_eval[: self.n_show], fake=fake.detach().numpy().astype(np.float64), grad=push,
            manifold=manifold.numpy(), loss_D=loss_D, loss_G=loss_G, js=js, kl=kl,
            d_fake=float(torch.sigmoid(d_fake).mean()) if not critic else float(d_fake.mean()),
            grad_mean=float(np.linalg.norm(push, axis=1).mean()),
            phase=phase,
        )
        for key in self.history:
            self.history[key].append(getattr(f, key))
        return f
