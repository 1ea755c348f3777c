"""Generators and discriminators (all discriminators return logits)."""
from . import style
from .mlp import MLP, MLPDiscriminator, MLPGenerator
from .style import MappingNetwork, ModulatedConv2d, StyleGenerator

__all__ = ["MLP", "MLPDiscriminator", "MLPGenerator", "style", "MappingNetwork", "ModulatedConv2d", "StyleGenerator"]
