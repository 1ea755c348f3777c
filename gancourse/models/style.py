"""Style-based generators: AdaIN (StyleGAN 1), weight modulation/demodulation (StyleGAN 2), a mapping network.

A style-based generator does not feed the noise in at the bottom. A *mapping network* turns z into an
intermediate latent w; every layer gets its own affine "style" s = A(w) that scales its feature maps:

- AdaIN (Huang & Belongie 2017; StyleGAN, Karras et al. 2019) normalises each channel of each sample,
  then sets its mean and standard deviation to the style's:
  ``AdaIN(x, y_s, y_b) = y_s * (x - mean(x)) / std(x) + y_b``   (statistics over H, W per sample and channel).
- StyleGAN 2 (Karras et al. 2020) moves the scaling into the convolution's weights. *Modulation*
  ``w'_{oik} = s_i w_{oik}`` scales input channel i; *demodulation*
  ``w''_{oik} = w'_{oik} / sqrt(sum_{i,k} w'_{oik}^2 + eps)`` rescales each output channel so that, for
  inputs with independent unit-variance entries, every output has unit variance again.

Because each layer reads its own w, two latents can be mixed: the first layers (coarse, 4x4-8x8) from one
sample and the rest (fine) from another: *style mixing*.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .. import validation

__all__ = [
    "adain", "AdaIN", "PixelNorm", "MappingNetwork", "modulated_conv2d", "ModulatedConv2d", "NoiseInjection",
    "StyleBlock", "ToImage", "StyleGenerator", "mix_styles", "truncate",
]


# ---------------------------------------------------------------------------------------------- AdaIN (StyleGAN 1)
def adain(x: torch.Tensor, y_scale: torch.Tensor, y_bias: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Adaptive instance normalisation: every (sample, channel) map of ``x`` gets mean ``y_bias`` and std ``y_scale``.

    x: (B, C, H, W); y_scale, y_bias: (B, C).  out = y_scale * (x - mu(x)) / sigma(x) + y_bias,
    with mu, sigma over (H, W) (sigma = sqrt(biased variance + eps)).
    """
    x = validation.tensor("x (B, C, H, W)", x, ndim=4, finite=False)
    y_scale = validation.tensor("y_scale", y_scale, finite=False)
    y_bias = validation.tensor("y_bias", y_bias, finite=False)
    eps = validation.nonneg("eps", eps)
    if y_scale.shape != x.shape[:2] or y_bias.shape != x.shape[:2]:
        raise validation.ArgumentError(f"y_scale and y_bias must be (B, C) = {tuple(x.shape[:2])}, got "
                         f"{tuple(y_scale.shape)} and {tuple(y_bias.shape)}")
    mu = x.mean(dim=(2, 3), keepdim=True)
    sigma = (x.var(dim=(2, 3), keepdim=True, unbiased=False) + eps).sqrt()
    return y_scale[:, :, None, None] * (x - mu) / sigma + y_bias[:, :, None, None]


class AdaIN(nn.Module):
    """AdaIN with a learned affine map A: w (B, w_dim) -> (y_scale, y_bias), each (B, C); A's bias starts at
    (1, 0), so the styles start around scale 1 and shift 0."""

    def __init__(self, channels: int, w_dim: int):
        super().__init__()
        self.channels = validation.positive_int("channels", channels)
        self.affine = nn.Linear(validation.positive_int("w_dim", w_dim), 2 * self.channels)
        with torch.no_grad():
            self.affine.bias[: self.channels].fill_(1.0)
            self.affine.bias[self.channels:].zero_()

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        y_scale, y_bias = self.affine(w).chunk(2, dim=1)  # (B, C) each
        return adain(x, y_scale, y_bias)


# ---------------------------------------------------------------------------------------------- mapping network
class PixelNorm(nn.Module):
    """Normalise each vector to unit root-mean-square: z / sqrt(mean(z^2) + eps) (StyleGAN's input to the mapping)."""

    def __init__(self, eps: float = 1e-8):
        super().__init__()
        self.eps = validation.nonneg("eps", eps)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return z * torch.rsqrt(z.pow(2).mean(dim=1, keepdim=True) + self.eps)


class MappingNetwork(nn.Module):
    """f: z (B, z_dim) -> w (B, w_dim): PixelNorm, then ``depth`` Linear + LeakyReLU(0.2) layers (StyleGAN uses 8).

    ``lr_mul`` scales the learning rate of the mapping (StyleGAN: 0.01) through the equalised-learning-rate
    trick: weights are stored divided by lr_mul and multiplied back at run time.
    """

    def __init__(self, z_dim: int = 32, w_dim: int = 32, depth: int = 4, lr_mul: float = 0.01):
        super().__init__()
        self.z_dim, self.w_dim = validation.positive_int("z_dim", z_dim), validation.positive_int("w_dim", w_dim)
        self.depth = validation.positive_int("depth", depth)
        self.lr_mul = validation.positive("lr_mul", lr_mul)
        self.norm = PixelNorm()
        dims = [self.z_dim] + [self.w_dim] * self.depth
        self.weights = nn.ParameterList(
            [nn.Parameter(torch.randn(o, i) / self.lr_mul) for i, o in zip(dims[:-1], dims[1:])])
        self.biases = nn.ParameterList([nn.Parameter(torch.zeros(o)) for o in dims[1:]])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = validation.tensor("z", z, finite=False)
        if z.ndim != 2 or z.shape[1] != self.z_dim:
            raise validation.ArgumentError(f"z must be (B, {self.z_dim}), got shape {tuple(z.shape)}")
        x = self.norm(z)
        for weight, bias in zip(self.weights, self.biases):
            scale = self.lr_mul / math.sqrt(weight.shape[1])  # equalised learning rate
            x = F.leaky_relu(F.linear(x, weight * scale, bias * self.lr_mul), 0.2) * math.sqrt(2)
        return x


def truncate(w: torch.Tensor, w_avg: torch.Tensor, psi: float) -> torch.Tensor:
    """The truncation trick: w_avg + psi (w - w_avg). psi < 1 trades variety for typical-looking samples."""
    w, w_avg = validation.tensor("w", w, finite=False), validation.tensor("w_avg", w_avg, finite=False)
    if w_avg.shape != w.shape[-w_avg.ndim:]:
        raise validation.ArgumentError(f"w_avg must be (w_dim,) = ({w.shape[-1]},), got shape {tuple(w_avg.shape)}")
    psi = validation.number("psi", psi)
    return w_avg + psi * (w - w_avg)


# ---------------------------------------------------------------------------------------------- modulated conv (StyleGAN 2)
def modulated_conv2d(x: torch.Tensor, weight: torch.Tensor, style: torch.Tensor, demodulate: bool = True,
                     padding: int = 0, eps: float = 1e-8, fused: bool = True) -> torch.Tensor:
    """StyleGAN 2's convolution with per-sample weights.

    x: (B, I, H, W); weight: (O, I, k, k); style: (B, I).

        w'_{b,o,i,k}  = style_{b,i} * weight_{o,i,k}                           (modulation)
        w''_{b,o,i,k} = w'_{b,o,i,k} / sqrt(sum_{i,k} w'_{b,o,i,k}^2 + eps)      (demodulation, optional)

    ``fused=True`` builds the B weight tensors and runs one grouped convolution (groups = B); ``fused=False``
    scales the input by the style, convolves with the shared weight and scales the output by the
    demodulation factor, which is the same arithmetic (the scalings commute with the convolution).
    """
    x = validation.tensor("x (B, I, H, W)", x, ndim=4, finite=False)
    weight = validation.tensor("weight (O, I, k, k)", weight, ndim=4, finite=False)
    style = validation.tensor("style", style, finite=False)
    demodulate, fused = validation.boolean("demodulate", demodulate), validation.boolean("fused", fused)
    padding, eps = validation.nonneg_int("padding", padding), validation.nonneg("eps", eps)
    B, I = x.shape[:2]
    if weight.shape[1] != I or style.shape != (B, I):
        raise validation.ArgumentError(f"x has {I} channels, so weight must be (O, {I}, k, k) and style (B, I) = "
                                       f"({B}, {I}); got weight {tuple(weight.shape)} and style {tuple(style.shape)}")
    return _modulate(x, weight, style, demodulate, padding, eps, fused)


def _modulate(x, weight, style, demodulate, padding, eps, fused):
    """:func:`modulated_conv2d` without the checks (the layers call it with shapes they built)."""
    B, I = x.shape[:2]
    O = weight.shape[0]
    if fused:
        w = weight[None] * style[:, None, :, None, None]  # (B, O, I, k, k)
        if demodulate:
            w = w * torch.rsqrt(w.pow(2).sum(dim=(2, 3, 4), keepdim=True) + eps)
        out = F.conv2d(x.reshape(1, B * I, *x.shape[2:]), w.reshape(B * O, *weight.shape[1:]), padding=padding,
                       groups=B)
        return out.reshape(B, O, *out.shape[2:])
    out = F.conv2d(x * style[:, :, None, None], weight, padding=padding)
    if demodulate:
        # sum_{i,k} (s_i w_{oik})^2 = sum_i s_i^2 sum_k w_{oik}^2
        d = torch.rsqrt(style.pow(2) @ weight.pow(2).sum(dim=(2, 3)).t() + eps)  # (B, O)
        out = out * d[:, :, None, None]
    return out


class ModulatedConv2d(nn.Module):
    """A k x k modulated convolution; its style is an affine map of w whose bias starts at 1 (no change at init)."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, kernel_size: int = 3,
                 demodulate: bool = True, fused: bool = False):
        super().__init__()
        self.in_channels = validation.positive_int("in_channels", in_channels)
        self.out_channels = validation.positive_int("out_channels", out_channels)
        self.demodulate, self.fused = validation.boolean("demodulate", demodulate), validation.boolean("fused", fused)
        self.kernel_size = validation.positive_int("kernel_size", kernel_size)
        if self.kernel_size % 2 == 0:
            raise validation.ArgumentError(f"kernel_size must be odd (same-size output), got {kernel_size}")
        self.weight = nn.Parameter(torch.randn(self.out_channels, self.in_channels, self.kernel_size, self.kernel_size))
        self.affine = nn.Linear(validation.positive_int("w_dim", w_dim), self.in_channels)
        nn.init.ones_(self.affine.bias)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        style = self.affine(w)  # (B, I)
        fan_in = self.in_channels * self.kernel_size**2
        weight = self.weight / math.sqrt(fan_in)  # equalised learning rate (a no-op after demodulation)
        return _modulate(x, weight.to(x.dtype), style.to(x.dtype), self.demodulate, self.kernel_size // 2, 1e-8,
                         self.fused)


class NoiseInjection(nn.Module):
    """Add per-pixel Gaussian noise, scaled by a learned per-channel strength (starts at 0)."""

    def __init__(self, channels: int):
        super().__init__()
        self.strength = nn.Parameter(torch.zeros(validation.positive_int("channels", channels)))

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        if noise is None:
            noise = torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype)
        return x + self.strength.to(x.dtype)[None, :, None, None] * noise


class StyleBlock(nn.Module):
    """[upsample x2] -> modulated 3x3 conv -> noise -> bias -> LeakyReLU(0.2)."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, upsample: bool = False, fused: bool = False):
        super().__init__()
        self.upsample = validation.boolean("upsample", upsample)
        self.conv = ModulatedConv2d(in_channels, out_channels, w_dim, 3, demodulate=True, fused=fused)
        self.noise = NoiseInjection(out_channels)
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x, w, noise=None):
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        x = self.noise(self.conv(x, w), noise)
        return F.leaky_relu(x + self.bias.to(x.dtype)[None, :, None, None], 0.2) * math.sqrt(2)


class ToImage(nn.Module):
    """A modulated 1x1 convolution to image channels, without demodulation (StyleGAN 2's tRGB)."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, fused: bool = False):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, out_channels, w_dim, 1, demodulate=False, fused=fused)
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x, w):
        return self.conv(x, w) + self.bias.to(x.dtype)[None, :, None, None]


# ---------------------------------------------------------------------------------------------- the generator
class StyleGenerator(nn.Module):
    """A small StyleGAN-2-like generator: z -> mapping -> w; learned 4x4 constant -> style blocks -> image.

    Resolutions 4, 8, ..., ``size``; two style blocks per resolution (one at 4x4) and StyleGAN 2's skip
    architecture (each resolution adds its ToImage output to the upsampled image so far). Every modulated layer
    reads its own row of ``ws`` (B, num_ws, w_dim), which is what makes style mixing possible.

    ``forward(z)`` behaves like any other G of the course (z (B, z_dim) -> images (B, C, size, size)), so it
    plugs into :class:`gancourse.GANTrainer`; ``mixing_prob`` > 0 mixes two latents at a random crossover during
    training (StyleGAN's mixing regularisation), and ``synthesis(ws)`` renders given per-layer latents.
    """

    def __init__(self, z_dim: int = 32, w_dim: int = 32, size: int = 16, channels: int = 32, out_channels: int = 1,
                 mapping_depth: int = 4, mixing_prob: float = 0.0, fused: bool = False):
        super().__init__()
        self.z_dim, self.w_dim = validation.positive_int("z_dim", z_dim), validation.positive_int("w_dim", w_dim)
        size = validation.power_of_two("size", size, low=4)
        self.size, self.mixing_prob = size, validation.probability("mixing_prob", mixing_prob)
        channels = validation.positive_int("channels", channels)
        self.mapping = MappingNetwork(z_dim, w_dim, validation.positive_int("mapping_depth", mapping_depth))
        fused = validation.boolean("fused", fused)
        self.const = nn.Parameter(torch.randn(1, channels, 4, 4))
        self.blocks = nn.ModuleList([StyleBlock(channels, channels, w_dim, fused=fused)])
        self.to_images = nn.ModuleList([ToImage(channels, out_channels, w_dim, fused=fused)])
        self.resolutions = [4]
        res = 4
        while res < size:
            res *= 2
            self.blocks.append(StyleBlock(channels, channels, w_dim, upsample=True, fused=fused))
            self.blocks.append(StyleBlock(channels, channels, w_dim, fused=fused))
            self.to_images.append(ToImage(channels, out_channels, w_dim, fused=fused))
            self.resolutions.append(res)
        # which row of ws each layer reads: the blocks in order, each ToImage shares the row of the next block
        self.num_ws = len(self.blocks) + 1
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def layer_resolutions(self) -> list[int]:
        """The lowest resolution that each row of ``ws`` acts on (len ``num_ws``), e.g. [4, 4, 8, 8, 16, 16].

        Row 0 drives the 4x4 block; row 2r-1 drives the ToImage of resolution r-1 *and* the first block of
        resolution r (StyleGAN 2 shares them), row 2r the second block of resolution r; the last row the final
        ToImage. Style mixing at crossover c = ``layer_resolutions().index(16)`` takes exactly the layers that
        act only at 16x16 from the second latent.
        """
        res = self.resolutions
        return [res[0]] + [res[(j + 1) // 2 - 1] if j % 2 else res[j // 2] for j in range(1, self.num_ws)]

    def synthesis(self, ws: torch.Tensor, noise: list | None = None) -> torch.Tensor:
        """Render per-layer latents ws (B, num_ws, w_dim) into images (B, C, size, size)."""
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise validation.ArgumentError(f"ws must be (B, {self.num_ws}, {self.w_dim}), got shape {tuple(ws.shape)}")
        noise = noise if noise is not None else [None] * len(self.blocks)
        x = self.const.expand(ws.shape[0], -1, -1, -1).to(ws.dtype)
        x = self.blocks[0](x, ws[:, 0], noise[0])
        img = self.to_images[0](x, ws[:, 1])
        layer = 1
        for r in range(1, len(self.resolutions)):
            x = self.blocks[layer](x, ws[:, layer], noise[layer])
            x = self.blocks[layer + 1](x, ws[:, layer + 1], noise[layer + 1])
            img = F.interpolate(img, scale_factor=2, mode="bilinear", align_corners=False)
            img = img + self.to_images[r](x, ws[:, layer + 2])
            layer += 2
        return img

    def ws(self, z: torch.Tensor, psi: float = 1.0) -> torch.Tensor:
        """z (B, z_dim) -> w broadcast to every layer, (B, num_ws, w_dim), optionally truncated towards w_avg."""
        psi = validation.number("psi", psi)
        w = self.mapping(z)
        if psi != 1.0:
            w = truncate(w, self.w_avg, psi)
        return w[:, None].expand(-1, self.num_ws, -1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        w = self.mapping(z)
        if self.training:
            with torch.no_grad():  # running mean of w for the truncation trick
                self.w_avg.lerp_(w.detach().float().mean(0).to(self.w_avg.dtype), 0.01)
        ws = w[:, None].expand(-1, self.num_ws, -1)
        if self.training and self.mixing_prob > 0:
            ws = self._mixing_regularisation(z, ws)
        return self.synthesis(ws)

    def _mixing_regularisation(self, z, ws):
        B = z.shape[0]
        z2 = torch.randn(z.shape, device=z.device, dtype=z.dtype)
        w2 = self.mapping(z2)[:, None].expand(-1, self.num_ws, -1)
        cross = torch.randint(1, self.num_ws, (B, 1, 1), device=z.device)
        use = torch.rand(B, 1, 1, device=z.device) < self.mixing_prob
        layer = torch.arange(self.num_ws, device=z.device)[None, :, None]
        return torch.where(use & (layer >= cross), w2, ws)


def mix_styles(ws_a: torch.Tensor, ws_b: torch.Tensor, crossover: int) -> torch.Tensor:
    """Style mixing: rows [0, crossover) of ws_a (coarse layers) and rows [crossover, num_ws) of ws_b (fine layers)."""
    ws_a, ws_b = validation.tensor("ws_a", ws_a, finite=False), validation.tensor("ws_b", ws_b, finite=False)
    if ws_a.shape != ws_b.shape or ws_a.ndim != 3:
        raise validation.ArgumentError(f"ws_a and ws_b must both be (B, num_ws, w_dim), got {tuple(ws_a.shape)} "
                                       f"and {tuple(ws_b.shape)}")
    crossover = validation.integer("crossover", crossover, low=0, high=ws_a.shape[1])
    return torch.cat([ws_a[:, :crossover], ws_b[:, crossover:]], dim=1)
