"""Sliders for the Dirac-GAN (lesson 11): watch gradient steps circle, spiral out or converge.

    from gancourse.widgets.dirac import DiracGANExplorer
    ex = DiracGANExplorer()                        # learning rate, R1 gamma, instance noise, simultaneous/alternating
    ex                                             # in a notebook: sliders + figure (last line of a cell)
    ex.set(gamma=0.5, mode="alternating")          # headless: move sliders and recompute once
    ex.result.final_distance, ex.result.radius     # where the iterates ended, and the update's spectral radius

Each change recomputes the trajectory from ``start`` (:class:`gancourse.dynamics.DiracGAN`) and redraws two panels:
left, the gradient vector field in (theta, psi) with the trajectory on it; right, the distance to the equilibrium
(0, 0) against the step, on a log scale. The status line gives the Jacobian's eigenvalues at the equilibrium and the
spectral radius of one update (below 1: the iterates converge; above 1: they spiral away). The figure is a PNG in an
``ipywidgets.Output``, so it works without a widget backend and without a browser (tests call :meth:`set`).
"""
from __future__ import annotations

import base64
import dataclasses
import io

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch

from .. import validation
from ..dynamics import MODES, DiracGAN

__all__ = ["DiracGANExplorer", "DiracResult"]


@dataclasses.dataclass
class DiracResult:
    """One computation: the iterates (steps + 1, 2), the continuous Jacobian's eigenvalues at the equilibrium,
    the spectral radius of one discrete update there, and the last iterate's distance to (0, 0)."""

    trajectory: torch.Tensor
    eigenvalues: torch.Tensor
    radius: float
    final_distance: float


class DiracGANExplorer:
    """Interactive Dirac-GAN: learning rate, R1 weight gamma, instance-noise std and the update order.

    Args:
        lr, gamma, noise, mode: the initial slider values (``mode``: ``"simultaneous"`` or ``"alternating"``).
        steps: gradient steps per trajectory. start: (theta, psi) where training starts.
        f: ``"gan"`` or ``"wgan"`` (see :class:`gancourse.dynamics.DiracGAN`). lim: the plotted square [-lim, lim]^2.

    Attributes: ``sliders`` (dict of widgets), ``result`` (:class:`DiracResult`), ``fig``, ``output``, ``widget``,
    ``n_updates``.
    """

    def __init__(self, *, lr: float = 0.1, gamma: float = 0.0, noise: float = 0.0, mode: str = "simultaneous",
                 steps: int = 300, start=(1.0, 1.0), f: str = "gan", lim: float = 2.5, figsize=(10, 4)):
        self.steps = validation.positive_int("steps", steps)
        start = validation.array("start", start, ndim=1, finite=True)
        self.start = validation.tensor("start", start, ndim=1, size={0: 2})  # a point (theta, psi)
        self.f = validation.choice("f", f, ("gan", "wgan"))
        self.lim = validation.positive("lim", lim)
        validation.number("lr", lr, low=0.01, high=1.0)
        validation.number("gamma", gamma, low=0.0, high=2.0)
        validation.number("noise", noise, low=0.0, high=1.5)
        validation.choice("mode", mode, MODES)
        style = {"description_width": "initial"}
        self.sliders = {
            "lr": widgets.FloatLogSlider(value=lr, base=10, min=-2, max=0, step=0.1, description="learning rate",
                                         readout_format=".2f", continuous_update=False, style=style),
            "gamma": widgets.FloatSlider(value=gamma, min=0.0, max=2.0, step=0.05, description="R1 gamma",
                                         continuous_update=False, style=style),
            "noise": widgets.FloatSlider(value=noise, min=0.0, max=1.5, step=0.05, description="instance noise std",
                                         continuous_update=False, style=style),
            "mode": widgets.ToggleButtons(options=list(MODES), value=mode, description="updates", style=style),
        }
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self.fig = plt.figure(figsize=validation.size_pair("figsize", figsize))
        plt.close(self.fig)  # shown as a PNG in self.output, never twice by the inline backend
        self.result: DiracResult | None = None
        self.n_updates = 0
        self._holding = False
        for s in self.sliders.values():
            s.observe(self._on_change, names="value")
        names = list(self.sliders.values())
        self.widget = widgets.VBox([widgets.HBox(names[:2]), widgets.HBox(names[2:]), self.status, self.output])
        self.update()

    # ------------------------------------------------------------------ public API
    @property
    def values(self) -> dict:
        """The current slider values, e.g. ``{"lr": 0.1, "gamma": 0.0, "noise": 0.0, "mode": "simultaneous"}``."""
        return {name: s.value for name, s in self.sliders.items()}

    @property
    def game(self) -> DiracGAN:
        """The game the sliders describe."""
        v = self.values
        return DiracGAN(f=self.f, gamma=v["gamma"], noise=v["noise"])

    def set(self, **values) -> DiracResult:
        """Move one or more sliders (``lr``, ``gamma``, ``noise``, ``mode``) and recompute once; returns the result."""
        unknown = set(values) - set(self.sliders)
        if unknown:
            raise validation.ArgumentError(
                f"no slider named {', '.join(sorted(unknown))}; sliders: {', '.join(self.sliders)}")
        for name, v in values.items():
            s = self.sliders[name]
            if isinstance(s, widgets.ToggleButtons):
                validation.choice(name, v, s.options)
            else:
                lo, hi = (s.base ** s.min, s.base ** s.max) if isinstance(s, widgets.FloatLogSlider) else (s.min, s.max)
                validation.number(name, v, low=lo, high=hi)
        self._holding = True
        try:
            for name, v in values.items():
                self.sliders[name].value = v
        finally:
            self._holding = False
        return self.update()

    def update(self) -> DiracResult:
        """Recompute the trajectory, the eigenvalues and the spectral radius, redraw, and return the result."""
        v, game = self.values, self.game
        traj = game.trajectory(self.start, lr=v["lr"], steps=self.steps, mode=v["mode"])
        self.result = DiracResult(traj, game.eigenvalues(), game.spectral_radius(v["lr"], v["mode"]),
                                  float(traj[-1].norm()))
        self.n_updates += 1
        self._draw(game)
        eig = ", ".join(f"{complex(z).real:+.3f}{complex(z).imag:+.3f}i" for z in self.result.eigenvalues)
        self.status.value = (f"Jacobian eigenvalues at (0, 0): {eig}; spectral radius of one {v['mode']} update: "
                             f"{self.result.radius:.4f}; distance to (0, 0) after {self.steps} steps: "
                             f"{self.result.final_distance:.3g}")
        return self.result

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # ------------------------------------------------------------------ internals
    def _on_change(self, change):
        if not self._holding:
            self.update()

    def _draw(self, game: DiracGAN):
        r, v = self.result, self.values
        self.fig.clear()
        ax0, ax1 = self.fig.subplots(1, 2)
        theta, psi, field = game.field_on_grid(self.lim, 17)
        ax0.quiver(theta.numpy(), psi.numpy(), field[..., 0].numpy(), field[..., 1].numpy(), color="0.6",
                   angles="xy")
        t = r.trajectory.numpy()
        ax0.plot(t[:, 0], t[:, 1], "-", color="C3", lw=1.2, label=f"{v['mode']} steps")
        ax0.plot(t[0, 0], t[0, 1], "o", color="C3", ms=5)
        ax0.plot(0, 0, "k*", ms=10, label="equilibrium")
        ax0.set_xlim(-self.lim, self.lim)
        ax0.set_ylim(-self.lim, self.lim)
        ax0.set_xlabel("theta (G's position)")
        ax0.set_ylabel("psi (D's slope)")
        ax0.legend(fontsize=8, loc="lower left")
        ax0.set_title(f"gamma {v['gamma']:g}, noise {v['noise']:g}, lr {v['lr']:.2g}")
        dist = np.maximum(r.trajectory.norm(dim=1).numpy(), 1e-16)
        ax1.semilogy(dist, color="C3")
        ax1.set_xlabel("step")
        ax1.set_ylabel("distance to (0, 0)")
        ax1.set_title(f"spectral radius of one update: {r.radius:.4f}")
        self.fig.tight_layout()
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=80)
        png = base64.b64encode(buf.getvalue()).decode("ascii")
        self.output.outputs = ({"output_type": "display_data", "metadata": {},
                                "data": {"image/png": png, "text/plain": "<Dirac-GAN figure>"}},)
