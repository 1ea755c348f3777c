"""The Dirac-GAN (Mescheder, Geiger and Nowozin 2018): the smallest GAN whose training dynamics can be solved.

The data is a point mass at 0, the generator a point mass at ``theta``, the discriminator linear, D_psi(x) = psi x.
In the paper's notation the game is

    L(theta, psi) = f(psi theta) + f(0),     f(t) = -log(1 + exp(-t))  (the standard GAN; f(t) = t for WGAN)

with G minimising L over theta and D maximising it over psi. (The paper's D scores fakes high, the course's D scores
reals high; psi -> -psi turns one into the other and changes nothing below.) The unique equilibrium is
(theta, psi) = (0, 0). Training follows the *gradient vector field*

    v(theta, psi) = (-dL/dtheta, dL/dpsi) = (-psi f'(psi theta), theta f'(psi theta)),

whose Jacobian at the equilibrium is [[0, -f'(0)], [f'(0), 0]]: eigenvalues +-i f'(0), purely imaginary, so the
flow circles around (0, 0) for ever (theta^2 + psi^2 is conserved) and simultaneous gradient steps spiral outwards.

Three changes of D's objective are modelled here, each optional:

- R1 (``gamma``): D maximises L - (gamma/2) E_pdata ||grad_x D||^2 = L - (gamma/2) psi^2; the Jacobian gains -gamma
  in its (psi, psi) entry: eigenvalues (-gamma +- sqrt(gamma^2 - 4 f'(0)^2)) / 2, negative real parts.
- instance noise (``noise``, a standard deviation sigma): real and fake samples both get N(0, sigma^2) noise,
  L = E f(psi (theta + e)) + E f(-psi e); the (psi, psi) entry becomes 2 sigma^2 f''(0) (< 0 for the standard
  GAN). Expectations are computed by Gauss-Hermite quadrature, so the field is deterministic.
- WGAN-GP (``gp``, a weight lambda): D maximises L - lambda E (||grad_x D(x_hat)|| - 1)^2 = L - lambda (|psi| - 1)^2.
  The penalty pulls psi towards +-1, not 0: it is not zero at the equilibrium and not differentiable there.

    game = DiracGAN(gamma=0.3)
    game.field(torch.tensor([1.0, 0.5]))     # v at (theta, psi)
    game.jacobian()                          # 2 x 2, by torch.func.jacfwd at (0, 0)
    game.trajectory([1.0, 1.0], lr=0.1, steps=200, mode="alternating")   # (201, 2)
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch.func import grad, jacfwd

from . import validation

__all__ = ["DiracGAN", "F_GAN", "MODES", "closed_form_jacobian", "closed_form_eigenvalues"]

MODES = ("simultaneous", "alternating")
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(40)  # E_{e ~ N(0,1)} g(e) ~= sum w g(node) / sqrt(2 pi)
_NODES = torch.tensor(_NODES, dtype=torch.float64)
_WEIGHTS = torch.tensor(_WEIGHTS / math.sqrt(2 * math.pi), dtype=torch.float64)
_SIGNS = torch.tensor([-1.0, 1.0], dtype=torch.float64)  # G descends on L, D ascends


def _point(name: str, value, *, batch: bool = False) -> torch.Tensor:
    """A point (theta, psi) of the game as a float64 tensor of shape (2,) (``batch``: also (N, 2)): a tensor, an
    array or a list of two finite numbers."""
    x = validation.array(name, value, ndim=(1, 2) if batch else 1, finite=True)
    return validation.tensor(name, x, ndim=x.ndim, size={x.ndim - 1: 2})


def f_gan(t: torch.Tensor) -> torch.Tensor:
    """The standard GAN's f(t) = -log(1 + exp(-t)) = log sigmoid(t); f'(0) = 1/2, f''(0) = -1/4."""
    return -F.softplus(-t)


def f_wgan(t: torch.Tensor) -> torch.Tensor:
    """The Wasserstein GAN's f(t) = t; f'(0) = 1, f''(0) = 0."""
    return t


F_GAN = {"gan": f_gan, "wgan": f_wgan}
_DERIVATIVES = {"gan": (0.5, -0.25), "wgan": (1.0, 0.0)}  # f'(0), f''(0)


def closed_form_jacobian(f: str = "gan", gamma: float = 0.0, noise: float = 0.0) -> torch.Tensor:
    """The Jacobian of the Dirac-GAN's field at (0, 0), by hand: [[0, -f'(0)], [f'(0), 2 sigma^2 f''(0) - gamma]]."""
    f1, f2 = _DERIVATIVES[validation.choice("f", f, F_GAN)]
    gamma, noise = validation.nonneg("gamma", gamma), validation.nonneg("noise", noise)
    return torch.tensor([[0.0, -f1], [f1, 2 * noise**2 * f2 - gamma]], dtype=torch.float64)


def closed_form_eigenvalues(f: str = "gan", gamma: float = 0.0, noise: float = 0.0) -> torch.Tensor:
    """Roots of lambda^2 - t lambda + f'(0)^2 with t = 2 sigma^2 f''(0) - gamma: (t +- sqrt(t^2 - 4 f'(0)^2)) / 2.

    Without regularisation (t = 0): +-i f'(0). Complex128, the root with the larger imaginary part first."""
    f1, _ = _DERIVATIVES[validation.choice("f", f, F_GAN)]
    t = float(closed_form_jacobian(f, gamma, noise)[1, 1])  # checks gamma and noise
    root = complex(t * t - 4 * f1 * f1) ** 0.5
    pair = sorted([(t + root) / 2, (t - root) / 2], key=lambda z: (-z.imag, -z.real))
    return torch.tensor(pair, dtype=torch.complex128)


@dataclasses.dataclass
class DiracGAN:
    """The Dirac-GAN game with optional R1 (``gamma``), instance noise (``noise``) and WGAN-GP (``gp``) terms.

    Args:
        f: ``"gan"`` (f(t) = -log(1 + e^-t)) or ``"wgan"`` (f(t) = t).
        gamma: R1 weight, >= 0. noise: instance-noise standard deviation, >= 0. gp: WGAN-GP weight, >= 0.
    """

    f: str = "gan"
    gamma: float = 0.0
    noise: float = 0.0
    gp: float = 0.0

    def __post_init__(self):
        self.f = validation.choice("f", self.f, F_GAN)
        self.gamma = validation.nonneg("gamma", self.gamma)
        self.noise = validation.nonneg("noise", self.noise)
        self.gp = validation.nonneg("gp", self.gp)

    # ------------------------------------------------------------------ the game
    def loss(self, theta: torch.Tensor, psi: torch.Tensor) -> torch.Tensor:
        """L(theta, psi) = E f(psi (theta + e)) + E f(-psi e), e ~ N(0, noise^2) (just f(psi theta) + f(0) without
        noise): what G minimises over theta and D maximises over psi (before D's penalties). Elementwise over
        tensors of points."""
        f = F_GAN[self.f]
        if self.noise == 0:
            return f(psi * theta) + f(torch.zeros_like(psi))
        e = self.noise * _NODES.to(theta.dtype)
        w = _WEIGHTS.to(theta.dtype)
        return (w * f(psi[..., None] * (theta[..., None] + e))).sum(-1) + (w * f(-psi[..., None] * e)).sum(-1)

    def penalty(self, psi: torch.Tensor) -> torch.Tensor:
        """What D subtracts from L: (gamma/2) psi^2 (R1: grad_x D = psi) + gp (|psi| - 1)^2 (WGAN-GP)."""
        return 0.5 * self.gamma * psi**2 + self.gp * (psi.abs() - 1) ** 2

    def _objective(self, point: torch.Tensor) -> torch.Tensor:
        # d/dtheta of this is dL/dtheta (the penalty has no theta); d/dpsi is D's regularised gradient
        return self.loss(point[..., 0], point[..., 1]) - self.penalty(point[..., 1])

    def field(self, point) -> torch.Tensor:
        """The gradient vector field v = (-dL/dtheta, d(L - penalty)/dpsi) at ``point`` = (theta, psi).

        ``point``: shape (2,) or a batch (N, 2); the result has the same shape. One backward pass of autograd
        (fast enough to iterate thousands of steps); :meth:`jacobian` differentiates the same objective with
        ``torch.func``."""
        return self._field(_point("point", point, batch=True))

    def _field(self, x: torch.Tensor) -> torch.Tensor:
        x = x.detach().requires_grad_(True)
        with torch.enable_grad():
            (g,) = torch.autograd.grad(self._objective(x).sum(), x)
        return g * _SIGNS

    def _field_func(self, point: torch.Tensor) -> torch.Tensor:
        """:meth:`field` at one point, written with ``torch.func.grad`` so that it can be differentiated again."""
        return grad(self._objective)(point) * _SIGNS

    def jacobian(self, point=(0.0, 0.0)) -> torch.Tensor:
        """d v / d (theta, psi) at ``point`` (rows: components of v), by forward-mode autodiff (``torch.func``)."""
        return jacfwd(self._field_func)(_point("point", point))

    def eigenvalues(self, point=(0.0, 0.0)) -> torch.Tensor:
        """Eigenvalues of :meth:`jacobian` (complex128): negative real parts mean the flow converges locally."""
        return torch.linalg.eigvals(self.jacobian(point))

    # ------------------------------------------------------------------ training as a discrete map
    def step(self, point, lr: float, mode: str = "simultaneous") -> torch.Tensor:
        """One gradient step of both players from ``point``.

        ``simultaneous``: both move with the field at the current point, x <- x + lr v(x).
        ``alternating``: D first (psi <- psi + lr v_psi(theta, psi)), then G against the *new* D
        (theta <- theta + lr v_theta(theta, psi_new)), as in Algorithm 1 with k = 1.
        """
        x = _point("point", point)
        return self._step(x, validation.positive("lr", lr), validation.choice("mode", mode, MODES))

    def _step(self, point: torch.Tensor, lr: float, mode: str, field=None) -> torch.Tensor:
        """:meth:`step` on checked arguments (``field``: :meth:`_field`, or :meth:`_field_func` under torch.func)."""
        field = field or self._field
        if mode == "simultaneous":
            return point + lr * field(point)
        psi = point[1] + lr * field(point)[1]
        theta = point[0] + lr * field(torch.stack([point[0], psi]))[0]
        return torch.stack([theta, psi])

    def update_matrix(self, lr: float, mode: str = "simultaneous") -> torch.Tensor:
        """The Jacobian of one :meth:`step` at the equilibrium. Its spectral radius decides the discrete dynamics:
        below 1 the iterates converge locally, above 1 they spiral away, exactly 1 they circle."""
        lr = validation.positive("lr", lr)
        mode = validation.choice("mode", mode, MODES)
        return jacfwd(lambda x: self._step(x, lr, mode, self._field_func))(torch.zeros(2, dtype=torch.float64))

    def spectral_radius(self, lr: float, mode: str = "simultaneous") -> float:
        """max |eigenvalue| of :meth:`update_matrix`."""
        return float(torch.linalg.eigvals(self.update_matrix(lr, mode)).abs().max())

    def trajectory(self, start, lr: float, steps: int, mode: str = "simultaneous") -> torch.Tensor:
        """The iterates of :meth:`step` from ``start``: shape (steps + 1, 2), float64, the start first."""
        lr = validation.positive("lr", lr)
        steps = validation.nonneg_int("steps", steps)
        mode = validation.choice("mode", mode, MODES)
        x = _point("start", start)
        out = [x]
        for _ in range(steps):
            x = self._step(x, lr, mode)
            out.append(x)
        return torch.stack(out)

    def field_on_grid(self, lim: float = 2.0, n: int = 21) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(theta, psi, v) on an n x n grid over [-lim, lim]^2, for a quiver plot: each (n, n); v is (n, n, 2)."""
        lim, n = validation.positive("lim", lim), validation.positive_int("n", n)
        axis = torch.linspace(-lim, lim, n, dtype=torch.float64)
        theta, psi = torch.meshgrid(axis, axis, indexing="xy")
        v = self._field(torch.stack([theta.flatten(), psi.flatten()], 1)).reshape(n, n, 2)
        return theta, psi, v
