"""Pix2Pix's networks (Isola et al. 2017): a U-Net generator and a PatchGAN discriminator.

    G = UNetGenerator(in_ch=3, out_ch=3, size=32, ngf=32)   # depth follows the image size: 32 -> 5 levels
    D = PatchGAN(in_ch=6, ndf=32, n_layers=3)               # a logit per 70 x 70 patch (conditional: A and B)
    receptive_field(D)                                      # 70

The U-Net halves the image at each level down to 1 x 1 and mirrors back up, concatenating each encoder
level's features onto the decoder at the same resolution (the skips carry the fine detail the bottleneck
cannot). As in the paper, G takes no z: dropout in the three innermost decoder levels is its only noise.
The PatchGAN is fully convolutional: it classifies every overlapping patch as real or fake, so it only judges
texture and local structure, and leaves the layout to the L1 term.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .. import validation

__all__ = ["UNetGenerator", "PatchGAN", "receptive_field", "patchgan_receptive_field", "make_norm", "init_weights"]

NORMS = ("batch", "instance", "none")


def make_norm(kind: str, channels: int) -> nn.Module:
    """A normalisation layer by name: ``batch`` (Pix2Pix), ``instance`` (CycleGAN) or ``none``."""
    channels = validation.positive_int("channels", channels)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "none":
        return nn.Identity()
    raise validation.ArgumentError(f"unknown norm {kind!r}; choose from {', '.join(NORMS)}")


def init_weights(module: nn.Module, std: float = 0.02) -> nn.Module:
    """The reference initialisation: conv weights ~ N(0, std), norm scales ~ N(1, std), biases 0."""
    module, std = validation.module("module", module), validation.positive("std", std)
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)
    return module


class UNetGenerator(nn.Module):
    """U-Net from ``in_ch`` to ``out_ch`` channels for ``size`` x ``size`` images (``size`` a power of 2, >= 4).

    Encoder level i: conv 4x4 stride 2 -> norm -> LeakyReLU(0.2), channels ngf * 2^i capped at ngf * 8
    (no norm on the first and the innermost level). Decoder level i mirrors it with a transposed conv, then
    concatenates encoder level i-1's output. ``depth`` (default log2(size)) levels take the image to 1 x 1;
    a smaller depth stops at size / 2^depth. Output: tanh, in [-1, 1].

    Args:
        dropout: dropout probability in the ``n_dropout`` innermost decoder levels (0.5 in the paper; keep it
            on at test time for stochastic outputs with :meth:`forward` in train mode).
    """

    def __init__(self, in_ch: int = 3, out_ch: int = 3, size: int = 32, ngf: int = 64, depth: int | None = None,
                 norm: str = "batch", dropout: float = 0.5, n_dropout: int = 3):
        super().__init__()
        in_ch, out_ch = validation.positive_int("in_ch", in_ch), validation.positive_int("out_ch", out_ch)
        ngf = validation.positive_int("ngf", ngf)
        size = validation.power_of_two("size (the U-Net halves it at each level)", size, low=4)
        max_depth = int(math.log2(size))
        depth = max_depth if depth is None else validation.integer("depth", depth, low=2)
        if depth > max_depth:
            raise validation.ArgumentError(
                f"depth {depth} would shrink a {size}x{size} image below 1x1; at most {max_depth}")
        n_dropout = validation.nonneg_int("n_dropout", n_dropout)
        dropout = validation.number("dropout", dropout, low=0, high=1, high_open=True)
        make_norm(norm, 1)  # validate the name
        self.size, self.depth = size, depth
        chans = [min(ngf * 2**i, ngf * 8) for i in range(depth)]  # encoder level i outputs chans[i]
        self.down = nn.ModuleList()
        for i in range(depth):
            c_in = in_ch if i == 0 else chans[i - 1]
            layers = [] if i == 0 else [nn.LeakyReLU(0.2, inplace=False)]
            layers.append(nn.Conv2d(c_in, chans[i], 4, 2, 1, bias=norm != "batch" or i in (0, depth - 1)))
            if 0 < i < depth - 1:
                layers.append(make_norm(norm, chans[i]))
            self.down.append(nn.Sequential(*layers))
        self.up = nn.ModuleList()
        for i in reversed(range(depth)):  # built innermost first, applied in that order
            c_in = chans[i] if i == depth - 1 else 2 * chans[i]  # after the innermost level, inputs are concatenated
            if i == 0:
                layers = [nn.ReLU(), nn.ConvTranspose2d(c_in, out_ch, 4, 2, 1), nn.Tanh()]
            else:
                layers = [nn.ReLU(), nn.ConvTranspose2d(c_in, chans[i - 1], 4, 2, 1, bias=norm != "batch"),
                          make_norm(norm, chans[i - 1])]
                if depth - 1 - i < n_dropout and dropout > 0:
                    layers.append(nn.Dropout(dropout))
            self.up.append(nn.Sequential(*layers))
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % 2**self.depth or x.shape[-2] % 2**self.depth:
            raise validation.ArgumentError(f"input size {tuple(x.shape[-2:])} must be divisible by 2^depth = {2**self.depth}")
        skips = []
        for down in self.down:  # (B, C_i, H / 2^(i+1), W / 2^(i+1))
            x = down(x)
            skips.append(x)
        skips.pop()  # the innermost output is x itself
        for up in self.up:
            x = up(x)
            if skips:
                x = torch.cat([x, skips.pop()], dim=1)  # the skip connection
        return x


class PatchGAN(nn.Module):
    """The PatchGAN discriminator: a grid of logits, one per overlapping input patch.

    conv 4x4/2 (ndf) -> LReLU, then ``n_layers - 1`` x [conv 4x4/2 -> norm -> LReLU] with channels doubling
    (capped at 8 ndf), then conv 4x4/1 -> norm -> LReLU and a final conv 4x4/1 to one logit per patch.
    With ``n_layers=3`` each logit sees a 70 x 70 patch (:func:`receptive_field`). For Pix2Pix, feed the
    condition and the image concatenated (``in_ch = 6``); for CycleGAN just the image.
    """

    def __init__(self, in_ch: int = 6, ndf: int = 64, n_layers: int = 3, norm: str = "batch"):
        super().__init__()
        in_ch, ndf = validation.positive_int("in_ch", in_ch), validation.positive_int("ndf", ndf)
        self.n_layers = validation.positive_int("n_layers", n_layers)
        make_norm(norm, 1)
        bias = norm != "batch"
        layers = [nn.Conv2d(in_ch, ndf, 4, 2, 1), nn.LeakyReLU(0.2)]
        c = ndf
        for i in range(1, self.n_layers):
            c_next = ndf * min(2**i, 8)
            layers += [nn.Conv2d(c, c_next, 4, 2, 1, bias=bias), make_norm(norm, c_next), nn.LeakyReLU(0.2)]
            c = c_next
        c_next = ndf * min(2**self.n_layers, 8)
        layers += [nn.Conv2d(c, c_next, 4, 1, 1, bias=bias), make_norm(norm, c_next), nn.LeakyReLU(0.2)]
        layers.append(nn.Conv2d(c_next, 1, 4, 1, 1))  # (B, 1, h, w) logits, one per patch
        self.net = nn.Sequential(*layers)
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def receptive_field(model: nn.Module) -> int:
    """The receptive field (pixels, one side) of a chain of convolutions, read off ``model``'s Conv2d layers in
    order: going from the output back to the input, r <- (r - 1) * stride + kernel, starting at r = 1."""
    convs = [m for m in validation.module("model", model).modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise validation.ArgumentError(f"model must hold Conv2d layers; {type(model).__name__} has none")
    r = 1
    for conv in reversed(convs):
        if conv.dilation[0] != 1:
            raise validation.ArgumentError("model must have undilated convolutions (receptive_field handles no "
                                           "others)")
        r = (r - 1) * conv.stride[0] + conv.kernel_size[0]
    return r


def patchgan_receptive_field(n_layers: int = 3) -> int:
    """The receptive field of :class:`PatchGAN` with ``n_layers`` strided layers, in closed form: the two
    stride-1 4x4 convs give 7, and each stride-2 4x4 conv maps r to 2r + 2, so r = 9 * 2^n_layers - 2
    (n_layers=1: 16, 2: 34, 3: 70, 4: 142)."""
    n_layers = validation.positive_int("n_layers", n_layers)
    return 9 * 2**n_layers - 2
