"""Generators and discriminators (all discriminators return logits), one file per family."""
from . import mlp, dcgan, conditional, pix2pix, cyclegan, style, progressive
from .mlp import MLP, FourierDiscriminator, MLPDiscriminator, MLPGenerator
from .dcgan import DCGANDiscriminator, DCGANGenerator
from .conditional import ConditionalGenerator, InfoDiscriminator, InfoGenerator, ProjectionDiscriminator
from .pix2pix import PatchGAN, UNetGenerator, receptive_field
from .cyclegan import ResNetGenerator
from .style import MappingNetwork, ModulatedConv2d, StyleGenerator
from .progressive import GrowthSchedule, ProgressiveDiscriminator, ProgressiveGenerator

__all__ = [
    "mlp", "dcgan", "conditional", "pix2pix", "cyclegan", "style", "progressive",
    "MLP", "MLPDiscriminator", "MLPGenerator", "FourierDiscriminator", "DCGANDiscriminator", "DCGANGenerator",
    "ConditionalGenerator", "InfoDiscriminator", "InfoGenerator", "ProjectionDiscriminator",
    "PatchGAN", "UNetGenerator", "receptive_field", "ResNetGenerator",
    "MappingNetwork", "ModulatedConv2d", "StyleGenerator",
    "ProgressiveGenerator", "ProgressiveDiscriminator", "GrowthSchedule",
]
