"""Small fully connected generators and discriminators for the toy lessons.

D's width and depth are the capacity knob of lesson 03. D returns logits, shape (B,).
"""
from __future__ import annotations

import torch
from torch import nn

from .. import validation

__all__ = ["MLP", "MLPGenerator", "MLPDiscriminator", "ACTIVATIONS"]

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
