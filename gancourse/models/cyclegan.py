"""CycleGAN's generator (Zhu et al. 2017, after Johnson et al. 2016): a ResNet that keeps the image's layout.

    G = ResNetGenerator(in_ch=3, out_ch=3, ngf=16, n_blocks=6)   # (B, 3, H, W) -> (B, 3, H, W), H % 4 == 0
    D = PatchGAN(in_ch=3, ndf=16, n_layers=3, norm="instance")    # from models.pix2pix

c7s1-ngf -> two stride-2 downsamplings (2 ngf, 4 ngf) -> n residual blocks at H/4 -> two stride-2
upsamplings -> c7s1-out -> tanh, with instance norm and reflection padding throughout. The residual blocks
make "change the style, keep the content" the easy thing to learn: each block starts as the identity.
"""
from __future__ import annotations

import torch
from torch import nn

from .. import validation

from .pix2pix import PatchGAN, init_weights, make_norm

__all__ = ["ResNetGenerator", "ResidualBlock", "PatchGAN"]


class ResidualBlock(nn.Module):
    """x + [reflect-pad, conv3x3, norm, ReLU, reflect-pad, conv3x3, norm](x)."""

    def __init__(self, channels: int, norm: str = "instance"):
        super().__init__()
        channels = validation.positive_int("channels", channels)
        bias = norm != "batch"
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=bias), make_norm(norm, channels), nn.ReLU(),
            nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=bias), make_norm(norm, channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResNetGenerator(nn.Module):
    """Image -> image of the same size (height and width divisible by 4, at least 8).

    Args:
        ngf: channels of the first layer (64 in the paper; 16 trains in seconds on a CPU at 32 x 32).
        n_blocks: residual blocks at 1/4 resolution (9 for 256 x 256 in the paper, 6 for 128 x 128).
        norm: ``instance`` (the paper), ``batch`` or ``none``.
    """

    def __init__(self, in_ch: int = 3, out_ch: int = 3, ngf: int = 64, n_blocks: int = 6, norm: str = "instance"):
        super().__init__()
        in_ch, out_ch = validation.positive_int("in_ch", in_ch), validation.positive_int("out_ch", out_ch)
        ngf, n_blocks = validation.positive_int("ngf", ngf), validation.nonneg_int("n_blocks", n_blocks)
        make_norm(norm, 1)
        bias = norm != "batch"
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(in_ch, ngf, 7, bias=bias), make_norm(norm, ngf), nn.ReLU()]
        c = ngf
        for _ in range(2):  # (B, 2c, H/2, W/2), then (B, 4 ngf, H/4, W/4)
            layers += [nn.Conv2d(c, 2 * c, 3, 2, 1, bias=bias), make_norm(norm, 2 * c), nn.ReLU()]
            c *= 2
        layers += [ResidualBlock(c, norm) for _ in range(int(n_blocks))]
        for _ in range(2):  # back up to (B, ngf, H, W)
            layers += [nn.ConvTranspose2d(c, c // 2, 3, 2, 1, output_padding=1, bias=bias), make_norm(norm, c // 2),
                       nn.ReLU()]
            c //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(c, out_ch, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.n_blocks = int(n_blocks)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % 4 or x.shape[-2] % 4 or min(x.shape[-2:]) < 8:
            raise validation.ArgumentError(f"image size {tuple(x.shape[-2:])} must be divisible by 4 and at least 8")
        return self.net(x)
