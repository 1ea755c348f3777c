"""Progressive growing (Karras, Aila, Laine and Lehtinen 2018, "ProGAN"): train G and D at 4x4 first, then add
a layer for 8x8, then for 16x16, ..., fading each new layer in.

When G grows from resolution r/2 to r, its new block would start as random weights that wreck what the smaller
model learned. So the new layer is *faded in*: with h the features at r/2,

    out = (1 - alpha) * upsample(toRGB_{r/2}(h)) + alpha * toRGB_r(block_r(h)),

with alpha rising from 0 to 1 over the fade. At alpha = 0 the grown model is exactly the smaller one, its image
upsampled (nearest neighbour: each pixel becomes a 2x2 square); at alpha = 1 only the new layer speaks. D grows
the mirror way, fading between the new block on the full image and the old input layer on the image downsampled
(2x2 average pooling), and the real images shown to D are faded the same way, so that D compares like with like.

    G, D = ProgressiveGenerator(z_dim=32, channels=32, max_size=16), ProgressiveDiscriminator(channels=32, max_size=16)
    G.set_stage(16, alpha=0.3); D.set_stage(16, alpha=0.3)      # the trainer does this every step
    schedule = GrowthSchedule(sizes=(4, 8, 16), stable=200, fade=200)
    schedule(250)                                               # (8, 0.25): a quarter into the 8x8 fade

Kept from the paper: nearest-neighbour upsampling and average-pool downsampling, 1x1 toRGB / fromRGB layers,
two 3x3 convolutions per resolution, pixel normalisation after every convolution of G, LeakyReLU(0.2), a linear
(not tanh) output. Left out to stay small: the equalised learning rate, the minibatch standard-deviation layer and
the WGAN-GP loss (any of the course's losses works; :class:`gancourse.trainers.ProgressiveGANTrainer`).
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .. import validation
from .style import PixelNorm

__all__ = ["ProgressiveGenerator", "ProgressiveDiscriminator", "GrowthSchedule", "fade", "downsample",
           "fade_in_reals"]


def fade(old: torch.Tensor, new: torch.Tensor, alpha: float) -> torch.Tensor:
    """The fade-in: (1 - alpha) * old + alpha * new. At alpha = 0 it is ``old`` exactly, at alpha = 1 ``new``
    exactly (0 * x = 0 and y + 0 = y in floating point, for finite x)."""
    old, new = validation.tensor("old", old, finite=False), validation.tensor("new", new, finite=False)
    validation.same_shape("old and new", old, new)
    alpha = validation.probability("alpha", alpha)
    return (1 - alpha) * old + alpha * new


def _square_images(name: str, x) -> torch.Tensor:
    """``x`` as square floating images (B, C, S, S), refused by name otherwise (no values read: no GPU sync)."""
    x = validation.tensor(name, x, ndim=4, finite=False)
    if x.shape[-1] != x.shape[-2]:
        raise validation.ArgumentError(f"{name} must be square images (B, C, S, S), got shape {tuple(x.shape)}")
    return x


def downsample(x: torch.Tensor, size: int) -> torch.Tensor:
    """Average-pool square images (B, C, S, S) down to (B, C, size, size); size must divide S."""
    x, size = _square_images("x", x), validation.positive_int("size", size)
    side = x.shape[-1]
    if side % size:
        raise validation.ArgumentError(f"size must divide the images' side {side} (they are pooled by a whole "
                                       f"factor), got {size}")
    return F.avg_pool2d(x, side // size) if side != size else x


def fade_in_reals(x: torch.Tensor, alpha: float) -> torch.Tensor:
    """Real images at the new resolution as G makes them during the fade: (1 - alpha) * upsample(pool(x)) + alpha * x."""
    x, alpha = _square_images("x", x), validation.probability("alpha", alpha)
    if x.shape[-1] % 2:
        raise validation.ArgumentError(f"x must have an even side (it is pooled 2x2), got shape {tuple(x.shape)}")
    if alpha >= 1:
        return x
    return fade(F.interpolate(F.avg_pool2d(x, 2), scale_factor=2, mode="nearest"), x, alpha)


def _sizes(max_size: int) -> list[int]:
    size = validation.power_of_two("max_size", max_size, low=4)
    return [4 * 2**i for i in range(int(math.log2(size)) - 1)]


class _Staged(nn.Module):
    """The current resolution and fade-in weight, set from outside (by the trainer, every step)."""

    def _init_stage(self, max_size: int):
        self.sizes = _sizes(max_size)
        self.max_size = self.sizes[-1]
        self.size, self.alpha = self.sizes[0], 1.0

    def set_stage(self, size: int, alpha: float = 1.0) -> None:
        """Work at ``size`` x ``size``, fading the layer of that resolution in with weight ``alpha`` in [0, 1]."""
        self.size = int(validation.choice("size", size, self.sizes))
        self.alpha = validation.probability("alpha", alpha)

    def _stage(self, size, alpha) -> tuple[int, float]:
        """(size, alpha) checked: a size this model is built for, a weight in [0, 1] (None: the current stage's)."""
        size = self.size if size is None else int(validation.choice("size", size, self.sizes))
        return size, self.alpha if alpha is None else validation.probability("alpha", alpha)


class ProgressiveGenerator(_Staged):
    """G: z (B, z_dim) -> images (B, out_channels, size, size) at the current stage's ``size`` (4, 8, ..., max_size).

    z -> pixel norm -> linear to 4x4 -> 3x3 conv: the 4x4 features; each later resolution: upsample x2 (nearest),
    two 3x3 convs. Every conv is followed by LeakyReLU(0.2) and pixel normalisation; ``to_rgb[k]`` (1x1 conv) turns
    the features at ``sizes[k]`` into an image. ``forward(z, size, alpha)`` overrides the stage for one call."""

    def __init__(self, z_dim: int = 32, channels: int = 32, max_size: int = 16, out_channels: int = 1):
        super().__init__()
        self._init_stage(max_size)
        self.z_dim = validation.positive_int("z_dim", z_dim)
        c = validation.positive_int("channels", channels)
        out_channels = validation.positive_int("out_channels", out_channels)
        act = lambda: nn.LeakyReLU(0.2)  # noqa: E731
        self.input = nn.Sequential(PixelNorm(), nn.Linear(self.z_dim, c * 16))
        self.base = nn.Sequential(act(), PixelNorm(), nn.Conv2d(c, c, 3, padding=1), act(), PixelNorm())
        self.blocks = nn.ModuleList([
            nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"),
                          nn.Conv2d(c, c, 3, padding=1), act(), PixelNorm(),
                          nn.Conv2d(c, c, 3, padding=1), act(), PixelNorm())
            for _ in self.sizes[1:]])  # blocks[k - 1]: sizes[k - 1] -> sizes[k]
        self.to_rgb = nn.ModuleList([nn.Conv2d(c, out_channels, 1) for _ in self.sizes])

    def features(self, z: torch.Tensor, size: int) -> torch.Tensor:
        """G's features at ``size`` x ``size`` (B, channels, size, size), through the blocks up to that resolution."""
        z = validation.tensor("z", z, ndim=2, size={1: self.z_dim}, finite=False)
        size = int(validation.choice("size", size, self.sizes))
        h = self.base(self.input(z).view(len(z), -1, 4, 4))  # (B, C, 4, 4)
        for block in self.blocks[:self.sizes.index(size)]:
            h = block(h)  # doubles the side
        return h

    def forward(self, z: torch.Tensor, size: int | None = None, alpha: float | None = None) -> torch.Tensor:
        size, alpha = self._stage(size, alpha)
        k = self.sizes.index(size)
        if k == 0:
            return self.to_rgb[0](self.features(z, size))
        h = self.features(z, self.sizes[k - 1])  # (B, C, size/2, size/2)
        new = self.to_rgb[k](self.blocks[k - 1](h))  # the new layer, (B, out, size, size)
        if alpha >= 1:
            return new
        old = F.interpolate(self.to_rgb[k - 1](h), scale_factor=2, mode="nearest")  # the smaller model, upsampled
        return fade(old, new, alpha)


class ProgressiveDiscriminator(_Staged):
    """D: images (B, in_channels, size, size) at any stage's size -> logits (B,). The mirror of the generator:
    ``from_rgb[k]`` (1x1 conv) reads an image at ``sizes[k]``; each block runs two 3x3 convs and halves the side
    (2x2 average pooling); at 4x4 a 3x3 conv and a linear layer give the logit. The fade-in weight is the stage's
    ``alpha`` (the resolution is read off the input)."""

    def __init__(self, channels: int = 32, max_size: int = 16, in_channels: int = 1):
        super().__init__()
        self._init_stage(max_size)
        c = validation.positive_int("channels", channels)
        self.in_channels = in_channels = validation.positive_int("in_channels", in_channels)
        act = lambda: nn.LeakyReLU(0.2)  # noqa: E731
        self.from_rgb = nn.ModuleList([nn.Sequential(nn.Conv2d(in_channels, c, 1), act()) for _ in self.sizes])
        self.blocks = nn.ModuleList([
            nn.Sequential(nn.Conv2d(c, c, 3, padding=1), act(), nn.Conv2d(c, c, 3, padding=1), act(),
                          nn.AvgPool2d(2))
            for _ in self.sizes[1:]])  # blocks[k - 1]: sizes[k] -> sizes[k - 1]
        self.head = nn.Sequential(nn.Conv2d(c, c, 3, padding=1), act(), nn.Flatten(), nn.Linear(c * 16, 1))

    def forward(self, x: torch.Tensor, alpha: float | None = None) -> torch.Tensor:
        _, alpha = self._stage(None, alpha)
        x = validation.tensor("x", x, ndim=4, finite=False)
        if x.shape[1] != self.in_channels or x.shape[-1] not in self.sizes or x.shape[-2] != x.shape[-1]:
            raise validation.ArgumentError(f"x must be (B, {self.in_channels}, s, s) images with s in {self.sizes}, "
                                           f"got shape {tuple(x.shape)}")
        k = self.sizes.index(x.shape[-1])
        h = self.from_rgb[k](x)
        if k > 0:
            h = self.blocks[k - 1](h)  # the new block: (B, C, size/2, size/2)
            if alpha < 1:
                h = fade(self.from_rgb[k - 1](F.avg_pool2d(x, 2)), h, alpha)  # the smaller D's input layer
            for block in reversed(self.blocks[:k - 1]):
                h = block(h)
        return self.head(h).flatten()  # (B,)


@dataclass
class GrowthSchedule:
    """Which resolution and fade-in weight each training step uses: ``stable`` steps at ``sizes[0]``, then for
    every later size ``fade`` steps with alpha rising linearly from 0 (at the first step of the fade) towards 1,
    then ``stable`` steps at alpha = 1. ``sizes`` are powers of two >= 4, each twice the one before."""

    sizes: tuple = (4, 8, 16)
    stable: int = 200
    fade: int = 200

    def __post_init__(self):
        sizes = self.sizes
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Iterable) or not (sizes := list(sizes)):
            raise validation.ArgumentError(f"sizes must be a non-empty sequence of image sizes such as (4, 8, 16), "
                                           f"got {validation.shown(self.sizes)}")
        self.sizes = tuple(validation.power_of_two("sizes", s, low=4) for s in sizes)
        if any(b != 2 * a for a, b in zip(self.sizes, self.sizes[1:])):
            raise validation.ArgumentError(f"sizes must double from one to the next (each new layer doubles the "
                                           f"side), such as (4, 8, 16); got {self.sizes}")
        self.stable = validation.positive_int("stable", self.stable)
        self.fade = validation.positive_int("fade", self.fade)

    @property
    def total_steps(self) -> int:
        return self.stable * len(self.sizes) + self.fade * (len(self.sizes) - 1)

    def __call__(self, step: int) -> tuple[int, float]:
        t = validation.nonneg_int("step", step)
        if t < self.stable:
            return self.sizes[0], 1.0
        t -= self.stable
        for size in self.sizes[1:]:
            if t < self.fade:
                return size, t / self.fade
            t -= self.fade
            if t < self.stable:
                return size, 1.0
            t -= self.stable
        return self.sizes[-1], 1.0  # after the schedule: stay at the last size
