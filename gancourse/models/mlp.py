"""Small fully connected generators and discriminators for the toy lessons.

D's width and depth are the capacity knob of lesson 03. D returns logits, shape (B,).
"""
from __future__ import annotations

import torch
from torch import nn

__all__ = ["MLP", "MLPGenerator", "MLPDiscriminator", "ACTIVATIONS"]

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "tanh": nn.Tanh,
    "elu": nn.ELU,
    "gelu": nn.GELU,
}


def _check(name, value, low):
    if isinstance(value, bool) or int(value) != value or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


class MLP(nn.Sequential):
    """in_dim -> [Linear(width) -> act] x depth -> Linear(out_dim)."""

    def __init__(self, in_dim: int, out_dim: int, width: int = 128, depth: int = 2, act: str = "relu"):
        in_dim, out_dim = _check("in_dim", in_dim, 1), _check("out_dim", out_dim, 1)
        width, depth = _check("width", width, 1), _check("depth", depth, 0)
        if act not in ACTIVATIONS:
            raise ValueError(f"unknown activation {act!r}; choose from {', '.join(ACTIVATIONS)}")
        layers, d = [], in_dim
        for _ in range(depth):
            layers += [nn.Linear(d, width), ACTIVATIONS[act]()]
            d = width
        layers.append(nn.Linear(d, out_dim))
        super().__init__(*layers)


class MLPGenerator(nn.Module):
    """G: z (B, z_dim) -> x (B, out_dim)."""

    def __init__(self, z_dim: int = 2, out_dim: int = 2, width: int = 128, depth: int = 2, act: str = "relu"):
        super().__init__()
        self.z_dim = _check("z_dim", z_dim, 1)
        self.net = MLP(z_dim, out_dim, width, depth, act)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """D: x (B, in_dim) -> logits (B,). No sigmoid: losses take logits."""

    def __init__(self, in_dim: int = 2, width: int = 128, depth: int = 2, act: str = "relu"):
        super().__init__()
        self.net = MLP(in_dim, 1, width, depth, act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)
