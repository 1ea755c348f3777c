"""Generators and discriminators (all discriminators return logits)."""
from . import style
from .mlp import MLP, MLPDiscriminator, MLPGenerator
from . import dcgan
from .dcgan import DCGANDiscriminator, DCGANGenerator
from . import conditional
from .conditional import ConditionalGenerator, InfoDiscriminator, InfoGenerator, ProjectionDiscriminator
from .style import MappingNetwork, ModulatedConv2d, StyleGenerator
from . import cyclegan, pix2pix
from .cyclegan import ResNetGenerator
from .pix2pix import PatchGAN, UNetGenerator, receptive_field

__all__ = ["MLP", "MLPDiscriminator", "MLPGenerator", "style", "MappingNetwork", "ModulatedConv2d", "StyleGenerator"]
__all__ += ["cyclegan", "pix2pix", "ResNetGenerator", "PatchGAN", "UNetGenerator", "receptive_field"]
__all__ += ["dcgan", "DCGANDiscriminator", "DCGANGenerator"]
__all__ += ["conditional", "ConditionalGenerator", "InfoDiscriminator", "InfoGenerator", "ProjectionDiscriminator"]
