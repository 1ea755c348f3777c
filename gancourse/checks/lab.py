"""Checkers of lesson 00 (the GAN lab): G's per-sample arrows from D's logits, and measuring what a setting does to
them with the lab's headless API."""
from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn

from .core import fail, name_of, passed, raised, sigmoid

__all__ = ["check_g_arrows", "check_arrow_lengths"]

LOSSES = ("minimax", "nonsaturating")


# ---------------------------------------------------------------------------------------------- the arrows
class QuadraticD(nn.Module):
    """A mock D whose logit l(x) = w.x + c + a |x|^2 / 2 has the gradient w + a x, written out by hand."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([1.5, -0.8]))
        self.c = nn.Parameter(torch.tensor(-0.4))
        self.a = nn.Parameter(torch.tensor(0.6))

    def forward(self, x):  # (B, 2) -> (B,)
        return x @ self.w + self.c + 0.5 * self.a * x.pow(2).sum(1)


_POINTS = [[0.0, 0.0], [1.0, 0.5], [-2.0, 1.0], [0.5, -1.5], [-1.0, -2.5]]  # logits from about -6 to 3


def _expected_arrows(D, points):
    """-dl_G/dx for each point and each loss, by hand: minimax D(x) grad l(x), non-saturating (1 - D(x)) grad l(x)."""
    w, c, a = D.w.tolist(), D.c.item(), D.a.item()
    out = {loss: [] for loss in LOSSES}
    parts = {"logit_grad": [], "d": []}
    for x in points:
        logit = w[0] * x[0] + w[1] * x[1] + c + 0.5 * a * (x[0] ** 2 + x[1] ** 2)
        grad = [w[0] + a * x[0], w[1] + a * x[1]]
        d = sigmoid(logit)
        out["minimax"].append([d * g for g in grad])
        out["nonsaturating"].append([(1 - d) * g for g in grad])
        parts["logit_grad"].append(grad)
        parts["d"].append(d)
    return {k: np.array(v) for k, v in out.items()}, {k: np.array(v) for k, v in parts.items()}


def check_g_arrows(fn) -> None:
    """Check ``fn(D, x, loss)``: the arrow -dl_G/dx_i on each sample x_i (shape (B, 2)), for ``loss`` "minimax"
    (l_G = log(1 - D(x))) and "nonsaturating" (l_G = -log D(x)), D given by its logits.

    Mock: a D whose logit is a quadratic in x, so the arrows are written out here: D(x) grad l(x) for minimax,
    (1 - D(x)) grad l(x) for non-saturating. Each arrow must be its own sample's gradient (not the batch mean's).
    """
    name = name_of(fn)
    D = QuadraticD()
    expected, parts = _expected_arrows(D, _POINTS)
    n = len(_POINTS)
    checks = 0
    for loss in LOSSES:
        x = torch.tensor(_POINTS)
        try:
            out = fn(D, x, loss)
        except Exception as exc:
            raised(name, exc, f"called as {name}(D, x, {loss!r}) with x of shape {tuple(x.shape)}")
        if isinstance(out, torch.Tensor):
            out = out.detach().cpu().numpy()
        out = np.asarray(out, dtype=np.float64)
        if out.shape != (n, 2):
            fail(name, f"return one arrow per sample, shape ({n}, 2) like x, got shape {out.shape}")
        checks += 1
        want = expected[loss]
        if np.allclose(out, want, rtol=1e-4, atol=1e-6):
            checks += 1
            continue
        other = expected["nonsaturating" if loss == "minimax" else "minimax"]
        factor = {"minimax": "D(x)", "nonsaturating": "1 - D(x)"}[loss]
        slips = [
            (-want, "the arrows point the wrong way: return -dl_G/dx (where G's loss pushes the sample), not dl_G/dx"),
            (want / n, f"each arrow is 1/{n} of the expected one: you differentiated the batch *mean*, which splits "
                       "every gradient by the batch size. Sum the per-sample losses (or multiply the mean by B) so "
                       "that each sample's gradient is its own"),
            (-want / n, "the arrows point the wrong way and are 1/B too short: differentiate the *sum* of the "
                        "per-sample losses and return minus the gradient"),
            (other, f"these are the other loss's arrows: for {loss!r} the arrow is {factor} times grad l(x) "
                    "(minimax: l_G = log(1 - D(x)) = -softplus(l); non-saturating: l_G = -log D(x) = softplus(-l))"),
            (parts["logit_grad"], f"these are the gradients of D's logit alone: the loss multiplies them by {factor}"),
            ((parts["d"] * (1 - parts["d"]))[:, None] * parts["logit_grad"],
             "these are the gradients of D(x) = sigmoid(l), not of G's loss"),
        ]
        for value, why in slips:
            if np.allclose(out, value, rtol=1e-4, atol=1e-6):
                fail(name, f"{loss}: {why}.")
        fail(name, f"{loss}: got arrows {np.round(out, 5).tolist()}, expected {np.round(want, 5).tolist()}.")
    passed(name, checks)


# ---------------------------------------------------------------------------------------------- measuring
_BASE = np.array([[0.3, -0.4], [1.2, 0.5], [-0.6, 0.8], [0.0, -0.2], [-2.0, -1.5], [0.9, 1.2]])
_DEFAULTS = dict(data="ring", method="gan", loss="nonsaturating", lr_d=1e-2, lr_g=1e-3, k=1, unroll=5, d_width=64,
                 d_depth=2, g_width=64, g_depth=2, train="D", steps_per_frame=10, slow_motion=False,
                 batch_size=256, seed=0)
_REBUILD = ("data", "method", "d_width", "d_depth", "g_width", "g_depth", "batch_size", "seed")


class MockLab:
    """A stand-in for :class:`gancourse.widgets.lab.GANLab` with the same headless API (``set``, ``reset``,
    ``step``, ``frame``, ``settings``, ``iteration``) and frames whose arrows are a known function of what
    happened: D's width when the networks were built, the D updates since then (k per iteration), the loss.
    Every frame it draws is remembered with that state, so a wrong number can be traced to the frame it came from.
    """

    def __init__(self, **settings):
        self.settings = SimpleNamespace(**{**_DEFAULTS, **settings})
        self.frames = []  # (frame, state) for every frame drawn
        self.reset()

    def set(self, **values):
        for key, value in values.items():
            if key not in _DEFAULTS:
                raise ValueError(f"unknown setting {key!r}; the lab's settings are {', '.join(_DEFAULTS)}")
        rebuild = any(k in _REBUILD and getattr(self.settings, k) != v for k, v in values.items())
        for key, value in values.items():
            setattr(self.settings, key, value)
        return self.reset() if rebuild else self._redraw()

    def reset(self):
        self.iteration, self._d_updates, self._width = 0, 0, self.settings.d_width
        return self._redraw()

    def step(self, n=1):
        n = int(n)
        self.iteration += n
        self._d_updates += n * self.settings.k
        return self._redraw()

    def frame(self):
        return self._last

    def _redraw(self):
        u, width, loss = self._d_updates, self._width, self.settings.loss
        length = (1 + u / 7) * (1 + math.log2(width) / 5)
        if loss == "minimax":
            length /= 1 + u / 3 + width / 50
        grad = length * _BASE
        d_fake = 1 / (2 + u / 5 + math.log2(width))
        frame = SimpleNamespace(iteration=self.iteration, grad=grad,
                                grad_mean=float(np.linalg.norm(grad, axis=1).mean()), d_fake=d_fake,
                                fake=np.zeros_like(grad), loss_D=1.0, loss_G=1.0, js=0.5, kl=1.0,
                                phase=self.settings.train)
        self.frames.append((frame, dict(iteration=self.iteration, width=width, updates=u, loss=loss,
                                        k=self.settings.k)))
        self._last = frame
        return frame


def _summaries(grad):
    """What a learner might have computed from a frame's arrows: the right one first."""
    return {
        "mean length": float(np.linalg.norm(grad, axis=1).mean()),
        "mean of the components": float(grad.mean()),
        "length of the mean arrow": float(np.linalg.norm(grad.mean(0))),
        "mean squared length": float((grad ** 2).sum(1).mean()),
        "mean absolute component": float(np.abs(grad).mean()),
    }


def _trace(lab, value):
    """The frames (with their state) whose summaries give ``value``, and how."""
    hits = []
    for frame, state in lab.frames:
        for how, v in _summaries(frame.grad).items():
            if math.isclose(value, v, rel_tol=1e-6, abs_tol=1e-12):
                hits.append((how, state))
    return hits


def _explain(setting, value, loss, got, want, hits, steps):
    """Name the slip behind a wrong measurement, from the frame it was read from."""
    if not hits:
        return f"got {got:.6g}, expected {want:.6g} (the mean length of the arrows, frame.grad_mean)."
    how, s = hits[0]
    if how != "mean length":
        return (f"this is the {how} of the right frame's arrows; the arrows' mean *length* is "
                "np.linalg.norm(frame.grad, axis=1).mean(), also given as frame.grad_mean.")
    if s["loss"] != loss:
        return (f"this was read with the {s['loss']} loss: switch with lab.set(loss={loss!r}) before reading the "
                "arrows (it redraws the same networks under that loss).")
    if s["updates"] == 0:
        return "this was read before any training: measure after lab.step(steps)."
    if setting == "d_width" and s["width"] != value:
        return (f"this frame's D was built with width {s['width']}, not {value}: apply the value with "
                "lab.set(d_width=value) before training.")
    if setting == "k" and s["k"] != value:
        return f"this frame was trained with k = {s['k']}, not {value}: apply the value with lab.set(k=value)."
    if s["iteration"] > steps:
        rebuilds = "rebuilds" if setting in _REBUILD else "does not rebuild"
        return (f"this frame had {s['iteration']} iterations since the networks were built, not {steps}: "
                "training carried over from an earlier measurement. Call lab.reset() after lab.set(...), so that "
                f"every value starts from the same weights ({setting} {rebuilds} the networks by itself), train "
                "once, then read both losses' arrows from those same networks.")
    if s["iteration"] < steps:
        return f"this frame had {s['iteration']} iterations of training, not {steps}: train with lab.step(steps)."
    return f"got {got:.6g}, expected {want:.6g}."


def check_arrow_lengths(fn) -> None:
    """Check ``fn(lab, name, values, steps)``: for each value of the lab setting ``name``, the mean arrow length
    under each G loss after ``steps`` iterations of training from freshly built networks, as
    ``{value: {"minimax": ..., "nonsaturating": ...}}``.

    Mock: a stand-in lab whose arrows are a known function of D's width, of the D updates since the last (re)build
    and of the loss; a wrong number is traced to the frame it was read from (not reset, not trained, the other
    loss, the value not applied, or a different summary of the arrows).
    """
    name = name_of(fn)
    checks = 0
    for setting, values, steps in (("k", [1, 3, 10], 4), ("d_width", [4, 32], 6)):
        lab = MockLab(k=2)
        defaults = vars(lab.settings).copy()
        try:
            out = fn(lab, setting, list(values), steps)
        except AttributeError as exc:
            fail(name, f"raised AttributeError: {exc}. The checker's stand-in lab has what the headless API "
                        "offers: lab.set(...), lab.reset(), lab.step(n), lab.frame(), lab.settings, lab.iteration.")
        except Exception as exc:
            raised(name, exc, f"called as {name}(lab, {setting!r}, {values}, {steps})")
        if not isinstance(out, dict) or set(out) != set(values):
            fail(name, f"return a dict with one entry per value ({values}), got "
                        f"{sorted(out) if isinstance(out, dict) else type(out).__name__}")
        for value in values:
            entry = out[value]
            if not isinstance(entry, dict) or set(entry) != set(LOSSES):
                fail(name, f"out[{value!r}] should be a dict {{'minimax': ..., 'nonsaturating': ...}}, got {entry!r}")
        checks += 1
        for value in values:
            state = dict(defaults, **{setting: value})
            for loss in LOSSES:
                twin = MockLab(**{**state, "loss": loss})
                twin.step(steps)
                want = twin.frame().grad_mean
                try:
                    got = float(out[value][loss])
                except (TypeError, ValueError):
                    fail(name, f"out[{value!r}][{loss!r}] should be a number, got {out[value][loss]!r}")
                if not math.isclose(got, want, rel_tol=1e-6):
                    fail(name, f"{setting} = {value}, {loss} loss: "
                               + _explain(setting, value, loss, got, want, _trace(lab, got), steps))
        checks += 1
    passed(name, checks)
