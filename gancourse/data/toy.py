"""Toy distributions for the theory lessons: 1-D Gaussian mixtures and 2-D shapes.

Every distribution samples with an optional ``torch.Generator`` (so a lesson is reproducible without
touching the global seed), exposes its mode ``centers`` and ``std``, and gives an exact ``log_prob``
where one exists. The ring and the grid follow the PacGAN/VEEGAN protocol:

- ring of 8: means (cos 2 pi i/8, sin 2 pi i/8) at radius 1, std 0.01;
- grid of 25: means {-4, -2, 0, 2, 4}^2, std 0.05.
"""
from __future__ import annotations

import math

import torch

from .. import validation

__all__ = [
    "ToyDistribution", "GaussianMixture", "Mixture1D", "ring", "grid", "Spiral", "TwoMoons", "TOY", "make",
]


class ToyDistribution:
    """Base class: ``sample(n, generator)`` returns a float32 tensor of shape (n, dim)."""

    dim: int
    centers: torch.Tensor | None = None  # (K, dim) mode centres, None for shapes without modes
    std: float | None = None

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        raise NotImplementedError

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no closed-form density")

    @property
    def has_density(self) -> bool:
        return type(self).log_prob is not ToyDistribution.log_prob

    def _check_n(self, n: int) -> int:
        return validation.positive_int("n (number of samples)", n)


class GaussianMixture(ToyDistribution):
    """A mixture of isotropic Gaussians in any dimension.

    p(x) = sum_k w_k N(x; mu_k, sigma_k^2 I), with log p computed by log-sum-exp.
    """

    def __init__(self, centers, std=1.0, weights=None):
        centers = validation.array("centers", centers, ndim=(1, 2), finite=True)
        if centers.ndim == 1:
            centers = centers[:, None]
        k, self.dim = centers.shape
        if self.dim == 0:
            raise validation.ArgumentError(f"centers must be a non-empty (K, dim) array, got shape "
                                           f"{tuple(centers.shape)}")
        stds = validation.array("std", std, ndim=(0, 1), finite=True).flatten()
        if stds.numel() == 1:
            stds = stds.expand(k).clone()
        if stds.numel() != k or (isinstance(std, bool)):
            raise validation.ArgumentError(f"std must be one number or one per mode ({k}), got {std!r}")
        if not (stds > 0).all():
            raise validation.ArgumentError(f"std must be positive, got {stds.tolist()}")
        if weights is None:
            weights = torch.full((k,), 1.0 / k, dtype=torch.float64)
        weights = validation.array("weights", weights, ndim=1, finite=True)
        if weights.numel() != k or (weights < 0).any() or weights.sum() <= 0:
            raise validation.ArgumentError(f"weights must be {k} non-negative numbers with a positive sum, got "
                                           f"{weights.tolist()}")
        self.centers = centers.float()
        self._centers64 = centers
        self.stds = stds
        self.std = float(stds[0]) if torch.allclose(stds, stds[0]) else None
        self.weights = weights / weights.sum()

    def sample(self, n, generator=None):
        n, generator = self._check_n(n), validation.generator("generator", generator)
        idx = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        noise = torch.randn(n, self.dim, generator=generator, dtype=torch.float64)
        return (self._centers64[idx] + noise * self.stds[idx, None]).float()

    def log_prob(self, x):
        x = validation.array("x", x, nonempty=False)
        if self.dim == 1 and x.ndim == 1:
            x = x[:, None]
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise validation.ArgumentError(f"x must have last dimension {self.dim}, got shape {tuple(x.shape)}")
        sq = ((x[..., None, :] - self._centers64) ** 2).sum(-1)  # (..., K)
        log_norm = -self.dim * (torch.log(self.stds) + 0.5 * math.log(2 * math.pi))
        comp = log_norm - 0.5 * sq / self.stds**2 + torch.log(self.weights)
        return torch.logsumexp(comp, dim=-1)


class Mixture1D(GaussianMixture):
    """A 1-D Gaussian mixture: ``Mixture1D(means=[-2, 2], std=0.5)``; ``log_prob`` takes a (N,) or (N, 1) tensor."""

    def __init__(self, means=(0.0,), std=1.0, weights=None):
        means = validation.array("means", means, ndim=(0, 1), finite=True).flatten()
        super().__init__(means[:, None], std=std, weights=weights)


def ring(n_modes: int = 8, radius: float = 1.0, std: float = 0.01) -> GaussianMixture:
    """Ring of ``n_modes`` Gaussians with means (r cos 2 pi i/K, r sin 2 pi i/K), i = 0..K-1 (PacGAN protocol)."""
    k = validation.positive_int("n_modes", n_modes)
    radius, std = validation.positive("radius", radius), validation.positive("std", std)
    angles = 2 * math.pi * torch.arange(k, dtype=torch.float64) / k  # not linspace: its last point repeats the first
    return GaussianMixture(radius * torch.stack([angles.cos(), angles.sin()], 1), std=std)


def grid(n_per_side: int = 5, spacing: float = 2.0, std: float = 0.05) -> GaussianMixture:
    """Grid of n x n Gaussians centred on the origin; the default gives means {-4, -2, 0, 2, 4}^2, std 0.05."""
    n = validation.positive_int("n_per_side", n_per_side)
    spacing, std = validation.positive("spacing", spacing), validation.positive("std", std)
    axis = (torch.arange(n, dtype=torch.float64) - (n - 1) / 2) * spacing
    xs, ys = torch.meshgrid(axis, axis, indexing="ij")
    return GaussianMixture(torch.stack([xs.flatten(), ys.flatten()], 1), std=std)


class Spiral(ToyDistribution):
    """A noisy Archimedean spiral (r proportional to the angle); no closed-form density."""

    dim = 2

    def __init__(self, turns: float = 1.5, noise: float = 0.05, scale: float = 1.0):
        self.turns = validation.positive("turns", turns)
        self.std = validation.positive("noise", noise)
        self.scale = validation.positive("scale", scale)

    def sample(self, n, generator=None):
        n, generator = self._check_n(n), validation.generator("generator", generator)
        t = torch.rand(n, generator=generator, dtype=torch.float64).sqrt()  # uniform along the area swept
        angle = 2 * math.pi * self.turns * t
        pts = self.scale * torch.stack([t * angle.cos(), t * angle.sin()], 1)
        return (pts + self.std * torch.randn(n, 2, generator=generator, dtype=torch.float64)).float()


class TwoMoons(ToyDistribution):
    """Two interleaved half circles (as in scikit-learn's make_moons), with Gaussian noise."""

    dim = 2

    def __init__(self, noise: float = 0.05):
        self.std = validation.positive("noise", noise)
        self.centers = torch.tensor([[0.0, 0.0], [1.0, 0.5]])  # centres of the two arcs

    def sample(self, n, generator=None):
        n, generator = self._check_n(n), validation.generator("generator", generator)
        which = torch.randint(0, 2, (n,), generator=generator)
        angle = math.pi * torch.rand(n, generator=generator, dtype=torch.float64)
        upper = torch.stack([angle.cos(), angle.sin()], 1)
        lower = torch.stack([1 - angle.cos(), 0.5 - angle.sin()], 1)
        pts = torch.where(which[:, None] == 0, upper, lower)
        return (pts + self.std * torch.randn(n, 2, generator=generator, dtype=torch.float64)).float()


TOY = {
    "ring": ring,
    "grid": grid,
    "spiral": Spiral,
    "moons": TwoMoons,
    "gaussian": lambda: GaussianMixture([[0.0, 0.0]], std=1.0),
    "bimodal_1d": lambda: Mixture1D([-2.0, 2.0], std=0.5),
}


def make(name: str, **kwargs) -> ToyDistribution:
    """Build a toy distribution by name (``ring``, ``grid``, ``spiral``, ``moons``, ``gaussian``, ``bimodal_1d``)."""
    return validation.lookup("toy distribution", name, TOY)(**kwargs)
