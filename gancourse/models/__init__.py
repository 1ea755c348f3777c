"""Generators and discriminators (all discriminators return logits)."""
from .mlp import MLP, MLPDiscriminator, MLPGenerator

__all__ = ["MLP", "MLPDiscriminator", "MLPGenerator"]
