"""The figures the lessons draw. Every function takes an optional ``ax`` and returns it.

Arguments are checked before a figure is made: arrays of numbers (tensors, NumPy arrays or lists) of the shapes
the plot needs, ``ax`` a matplotlib ``Axes``, sizes and counts in range.
"""
from __future__ import annotations

import matplotlib.axes
import matplotlib.pyplot as plt
import numpy as np
import torch

from . import validation
from .contexts import eval_mode
from .trainers.base import Callback

__all__ = [
    "plot_densities_1d", "plot_samples_2d", "plot_d_heatmap_2d", "plot_critic_2d", "plot_history", "plot_grad_norms",
    "LivePlot",
]

REAL, FAKE, DISC, OPT = "#1f77b4", "#d62728", "#2ca02c", "#000000"


def _np(a, name: str = "values", like: np.ndarray | None = None) -> np.ndarray:
    """``a`` as a float64 NumPy array (1-D, or shaped like ``like``)."""
    out = validation.array(name, a, ndim=1 if like is None else like.ndim, nan=True).numpy()
    if like is not None and out.shape != like.shape:
        raise validation.ArgumentError(f"{name} must have the shape of x, {like.shape}, got {out.shape}")
    return out


def _points(name: str, a):
    """(n, 2) points as NumPy, or None."""
    if a is None:
        return None
    out = validation.array(name, a, ndim=2).numpy()
    if out.shape[1] != 2:
        raise validation.ArgumentError(f"{name} must be (n, 2) points in the plane, got shape {out.shape}")
    return out


def _check_ax(ax):
    if ax is not None and not isinstance(ax, matplotlib.axes.Axes):
        raise validation.ArgumentError(f"ax must be matplotlib axes or None, got {validation.shown(ax)}")


def _ax(ax, figsize=(6, 4)):
    _check_ax(ax)
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_densities_1d(x, p_data, p_g=None, d=None, d_star=None, ax=None, title=None):
    """p_data and p_g on the left axis; D(x) and D*(x) (probabilities in [0, 1]) on a twin right axis."""
    x = _np(x, "x")
    p_data = _np(p_data, "p_data", x)
    p_g, d, d_star = (None if v is None else _np(v, k, x) for k, v in (("p_g", p_g), ("d", d), ("d_star", d_star)))
    ax = _ax(ax)
    ax.fill_between(x, p_data, color=REAL, alpha=0.3, label="p_data")
    if p_g is not None:
        ax.fill_between(x, p_g, color=FAKE, alpha=0.3, label="p_g")
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    handles, labels = ax.get_legend_handles_labels()
    if d is not None or d_star is not None:
        ax2 = ax.twinx()
        if d_star is not None:
            ax2.plot(x, d_star, color=OPT, ls="--", lw=2, label="D* = p_data/(p_data+p_g)")
        if d is not None:
            ax2.plot(x, d, color=DISC, lw=2, label="D (trained)")
        ax2.set_ylim(-0.02, 1.02)
        ax2.set_ylabel("D(x)")
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, loc="upper left", fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def plot_samples_2d(real=None, fake=None, centers=None, ax=None, lim=None, title=None, s=4):
    """Real samples (blue), generated samples (red) and mode centres (black crosses) in the plane."""
    r, f, c = _points("real", real), _points("fake", fake), _points("centers", centers)
    lim = None if lim is None else validation.positive("lim", lim)
    s = validation.positive("s (marker size)", s)
    ax = _ax(ax, (4.5, 4.5))
    if r is not None:
        ax.scatter(r[:, 0], r[:, 1], s=s, c=REAL, alpha=0.4, label="real")
    if f is not None:
        ax.scatter(f[:, 0], f[:, 1], s=s, c=FAKE, alpha=0.4, label="generated")
    if c is not None:
        ax.scatter(c[:, 0], c[:, 1], marker="x", c=OPT, s=30, label="modes")
    if lim is not None:
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.legend(loc="upper right", fontsize=8, markerscale=2)
    if title:
        ax.set_title(title)
    return ax


@torch.no_grad()
def _on_square(D, lim: float, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """D's raw outputs (n, n) on an n x n grid of [-lim, lim]^2 (rows: y), in eval mode, and the grid's axis."""
    D, lim = validation.module("D", D), validation.positive("lim", lim)
    n = validation.integer("n (grid points per side)", n, low=2)
    axis = torch.linspace(-lim, lim, n)
    xs, ys = torch.meshgrid(axis, axis, indexing="xy")
    pts = torch.stack([xs.flatten(), ys.flatten()], 1)
    with eval_mode(D):
        out = D(pts.to(next(D.parameters()).device)).float().cpu().reshape(n, n)
    return out, axis


@torch.no_grad()
def plot_d_heatmap_2d(D, lim: float, ax=None, n: int = 100, title=None):
    """D(x) = sigmoid(logit) on an n x n grid of [-lim, lim]^2 as a heatmap (green: real, purple: fake)."""
    _check_ax(ax)
    prob = torch.sigmoid(_on_square(D, lim, n)[0])
    ax = _ax(ax, (4.5, 4.5))
    im = ax.imshow(prob.numpy(), origin="lower", extent=(-lim, lim, -lim, lim), cmap="PRGn", vmin=0, vmax=1)
    ax.figure.colorbar(im, ax=ax, fraction=0.046, label="D(x)")
    if title:
        ax.set_title(title)
    return ax


def plot_critic_2d(D, lim: float, ax=None, n: int = 100, fake=None, arrows: int = 0, title=None):
    """A Wasserstein critic's raw values f(x) on an n x n grid of [-lim, lim]^2, with contour lines.

    ``fake``: G's samples drawn on top; ``arrows`` > 0 adds grad f at that many of them, the direction in
    which the generator's loss -E[f(G(z))] pushes each sample.
    """
    _check_ax(ax)
    fake = None if fake is None else torch.from_numpy(_points("fake", fake)).float()
    arrows = validation.nonneg_int("arrows", arrows)
    values, axis = _on_square(D, lim, n)
    ax = _ax(ax, (4.5, 4.5))
    values = values.numpy()
    im = ax.imshow(values, origin="lower", extent=(-lim, lim, -lim, lim), cmap="PRGn")
    ax.contour(axis.numpy(), axis.numpy(), values, levels=12, colors="k", linewidths=0.4, alpha=0.5)
    ax.figure.colorbar(im, ax=ax, fraction=0.046, label="f(x)")
    if fake is not None:
        ax.scatter(fake[:, 0].numpy(), fake[:, 1].numpy(), s=3, c="tab:orange", alpha=0.6, label="G(z)")
        if arrows:
            x = fake[:arrows].to(next(D.parameters()).device).requires_grad_(True)
            with eval_mode(D), torch.enable_grad():  # also when called under no_grad
                (grad,) = torch.autograd.grad(D(x).sum(), x)
            x, grad = x.detach().cpu(), grad.cpu()
            ax.quiver(x[:, 0].numpy(), x[:, 1].numpy(), grad[:, 0].numpy(), grad[:, 1].numpy(), color="k",
                      angles="xy", scale_units="xy", scale=8 / lim, width=0.004)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return ax


def _smooth(y, window):
    if window <= 1 or len(y) < window:
        return np.asarray(y)
    kernel = np.ones(window) / window
    return np.convolve(y, kernel, mode="valid")


def plot_history(history, keys=("loss_D", "loss_G"), ax=None, smooth: int = 1, title=None, logy=False):
    """Curves of logged values against the step, optionally smoothed by a moving average of ``smooth`` steps."""
    if not isinstance(history, dict) or "step" not in history:
        raise validation.ArgumentError(f"history must be a trainer's history (a dict with 'step'), got "
                                       f"{validation.shown(history)}")
    keys = (keys,) if isinstance(keys, str) else keys
    if not isinstance(keys, (tuple, list)) or not keys:
        raise validation.ArgumentError(f"keys must be names of logged values, got {keys!r}")
    for key in keys:
        if not isinstance(key, str) or key not in history:
            raise validation.ArgumentError(f"keys: history has no {key!r}; it has "
                                           f"{', '.join(k for k in history if k != 'step')}")
    smooth, logy = validation.positive_int("smooth", smooth), validation.boolean("logy", logy)
    ax = _ax(ax)
    steps = np.asarray(history["step"])
    for key in keys:
        y = _smooth(history[key], smooth)
        ax.plot(steps[len(steps) - len(y):], y, label=key)
    ax.set_xlabel("step")
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def plot_grad_norms(strengths, norms: dict, ax=None, xlabel="D strength", title=None):
    """G's gradient norm (log scale) against D's strength, one curve per G loss."""
    x = _np(strengths, "strengths")
    if not isinstance(norms, dict) or not norms:
        raise validation.ArgumentError(f"norms must be a dict loss name -> norms, got {validation.shown(norms)}")
    curves = {name: _np(y, f"norms[{name!r}]", x) for name, y in norms.items()}
    ax = _ax(ax)
    for name, y in curves.items():
        ax.plot(x, y, marker="o", label=name)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("||dL_G/dθ_G||")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


class LivePlot(Callback):
    """Redraw a figure in place while ``fit`` runs: ``draw(trainer, fig)`` is called every ``every`` steps.

    In a notebook the figure is shown once and updated through its display handle; elsewhere it only redraws.
    """

    def __init__(self, draw, every: int = 100, figsize=(9, 3.5), ncols: int = 2):
        self.draw, self.every = validation.function("draw", draw), validation.positive_int("every", every)
        figsize, ncols = validation.size_pair("figsize", figsize), validation.positive_int("ncols", ncols)
        self.fig, self.axes = plt.subplots(1, ncols, figsize=figsize)
        plt.close(self.fig)  # shown through the display handle, not again at the end of the cell
        self._handle = None

    def _show(self):
        try:
            from IPython.display import display
        except ImportError:
            return
        if self._handle is None:
            self._handle = display(self.fig, display_id=True)
        else:
            self._handle.update(self.fig)

    def on_step(self, trainer, logs):
        for ax in np.atleast_1d(self.axes):
            ax.clear()
        self.draw(trainer, self.fig)
        self._show()

    def on_fit_end(self, trainer):
        self.on_step(trainer, {})
