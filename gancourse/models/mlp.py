"""Small fully connected generators and discriminators for the toy lessons.

D's width and depth are the capacity knob of lesson 03. D returns logits, shape (B,).
"""
from __future__ import annotations

import torch
from torch import nn

from .. import validation

__all__ = ["MLP", "MLPGenerator", "MLPDiscriminator", "FourierDiscriminator", "ACTIVATIONS"]

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "gelu": nn.GELU,
}


class MLP(nn.Sequential):
    """in_dim -> [Linear(width) -> act] x depth -> Linear(out_dim)."""

    def __init__(self, in_dim: int, out_dim: int, width: int = 128, depth: int = 2, act: str = "relu"):
        in_dim, out_dim = validation.positive_int("in_dim", in_dim), validation.positive_int("out_dim", out_dim)
        width, depth = validation.positive_int("width", width), validation.nonneg_int("depth", depth)
        activation = validation.lookup("activation", act, ACTIVATIONS)
        layers, d = [], in_dim
        for _ in range(depth):
            layers += [nn.Linear(d, width), activation()]
            d = width
        layers.append(nn.Linear(d, out_dim))
        super().__init__(*layers)


class MLPGenerator(nn.Module):
    """G: z (B, z_dim) -> x (B, out_dim)."""

    def __init__(self, z_dim: int = 2, out_dim: int = 2, width: int = 128, depth: int = 2, act: str = "relu"):
        super().__init__()
        self.z_dim = validation.positive_int("z_dim", z_dim)
        self.net = MLP(z_dim, out_dim, width, depth, act)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(validation.tensor("z", z, ndim=2, size={1: self.z_dim}, finite=False))


class MLPDiscriminator(nn.Module):
    """D: x (B, in_dim) -> logits (B,). No sigmoid: losses take logits."""

    def __init__(self, in_dim: int = 2, width: int = 128, depth: int = 2, act: str = "relu"):
        super().__init__()
        self.net = MLP(in_dim, 1, width, depth, act)
        self.in_dim = self.net[0].in_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(validation.tensor("x", x, ndim=2, size={1: self.in_dim}, finite=False)).squeeze(-1)


class FourierDiscriminator(nn.Module):
    """D: x (B, in_dim) -> logits (B,), an MLP on x and random Fourier features sin(B x), cos(B x).

    A plain MLP learns coarse functions first (its spectral bias): on the grid of 25 its logit hardly changes
    between a mode's centre and 4 standard deviations out (0.2 units). Features at many frequencies let the MLP
    see fine detail (Tancik et al. 2020, "Fourier features let networks learn high frequency functions"). Each
    row of the fixed matrix B has a uniformly random direction and a length (angular frequency, radians per unit
    of x) log-uniform in [f_min, f_max]: wavelengths from 2 pi / f_max to 2 pi / f_min. B is a buffer: saved with
    the weights, moved with the module, never trained.

    Args:
        in_dim: the data's dimension. n_features: rows of B (the MLP sees in_dim + 2 n_features inputs).
        f_min, f_max: the range of angular frequencies, 0 < f_min < f_max.
        width, depth, act: the MLP's (see :class:`MLP`). seed: draws B (the weights follow torch's global seed,
            as every model's do).
    """

    def __init__(self, in_dim: int = 2, n_features: int = 128, f_min: float = 0.3, f_max: float = 100.0,
                 width: int = 128, depth: int = 2, act: str = "relu", seed: int = 0):
        super().__init__()
        self.in_dim = validation.positive_int("in_dim", in_dim)
        n_features = validation.positive_int("n_features", n_features)
        f_min = validation.positive("f_min", f_min)
        f_max = validation.number("f_max", f_max, low=f_min, low_open=True)  # above f_min
        gen = torch.Generator().manual_seed(validation.seed("seed", seed))
        directions = torch.randn(n_features, self.in_dim, generator=gen)
        directions = directions / directions.norm(dim=1, keepdim=True)
        lengths = f_min * (f_max / f_min) ** torch.rand(n_features, 1, generator=gen)
        self.register_buffer("B", directions * lengths)
        self.net = MLP(self.in_dim + 2 * n_features, 1, width, depth, act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = validation.tensor("x", x, ndim=2, size={1: self.in_dim}, finite=False)
        phase = x @ self.B.to(x.dtype).T
        return self.net(torch.cat([x, phase.sin(), phase.cos()], dim=1)).squeeze(-1)
