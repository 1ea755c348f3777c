"""DCGAN (Radford, Metz and Chintala 2016): all-convolutional G and D for images whose side is a power of two.

The paper's guidelines, each an argument here so that a lesson can switch it off and watch what happens:

- no pooling: D downsamples with strided convolutions, G upsamples with strided transposed convolutions;
- BatchNorm in both networks, except G's output layer and D's input layer (``batchnorm``);
- ReLU in G with tanh at the output; LeakyReLU(0.2) in D (``leak``: 0 gives plain ReLU);
- no fully connected hidden layers; weights drawn from N(0, 0.02) (:func:`dcgan_init`);
- Adam with lr 2e-4 and beta1 0.5 (the trainer's defaults).

For a 64 x 64 image (nz 100, ngf = ndf = 64), G goes z (100) -> 4x4x512 -> 8x8x256 -> 16x16x128 -> 32x32x64
-> 64x64x3 and D mirrors it down to one logit. Each doubling adds a layer, so ``image_size`` sets the depth.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .. import validation
from ..contexts import eval_mode

__all__ = ["DCGANGenerator", "DCGANDiscriminator", "dcgan_init", "conv_layers"]


def _doublings(image_size) -> int:
    """log2(image_size) - 2: the number of stride-2 layers between 4x4 and the image."""
    size = validation.power_of_two("image_size", image_size, low=8)
    return int(math.log2(size)) - 2


def dcgan_init(module: nn.Module) -> None:
    """The paper's initialisation: conv weights ~ N(0, 0.02); BatchNorm gamma ~ N(1, 0.02), beta = 0; biases 0.

    Use with ``model.apply(dcgan_init)``; draws from the global torch RNG (seed it first).
    """
    validation.module("module", module)
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    """G: z (B, nz) or (B, nz, 1, 1) -> images (B, channels, image_size, image_size) in [-1, 1].

    Args:
        image_size: side of the output, a power of two >= 8.
        nz: size of the noise (also ``self.z_dim`` for the trainer).
        ngf: channels of the last hidden layer; each layer towards z doubles them (4x4 has ngf * size/8).
        channels: 1 for grey, 3 for colour.
        batchnorm: BatchNorm after every layer but the output (the paper); False removes it (an ablation).
    """

    def __init__(self, image_size: int = 64, nz: int = 100, ngf: int = 64, channels: int = 3,
                 batchnorm: bool = True):
        super().__init__()
        n = _doublings(image_size)
        self.image_size, self.z_dim = int(image_size), validation.positive_int("nz", nz)
        ngf, channels = validation.positive_int("ngf", ngf), validation.positive_int("channels", channels)
        batchnorm = validation.boolean("batchnorm", batchnorm)
        width = ngf * 2 ** (n - 1)  # channels at 4x4

        def block(cin, cout, stride, padding):
            return [nn.ConvTranspose2d(cin, cout, 4, stride, padding, bias=not batchnorm),
                    *([nn.BatchNorm2d(cout)] if batchnorm else []), nn.ReLU(inplace=True)]

        layers = block(self.z_dim, width, 1, 0)  # (B, nz, 1, 1) -> (B, width, 4, 4): a "project and reshape"
        for _ in range(n - 1):
            layers += block(width, width // 2, 2, 1)  # doubles the side, halves the channels
            width //= 2
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh()]  # (B, channels, size, size)
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = validation.tensor("z", z, finite=False)
        if z.ndim == 2:
            z = z[:, :, None, None]  # (B, nz) -> (B, nz, 1, 1)
        if z.ndim != 4 or z.shape[1] != self.z_dim or z.shape[2:] != (1, 1):
            raise validation.ArgumentError(f"z must be (B, {self.z_dim}) or (B, {self.z_dim}, 1, 1), got "
                                           f"{tuple(z.shape)}")
        return self.net(z)


class DCGANDiscriminator(nn.Module):
    """D: images (B, channels, image_size, image_size) -> logits (B,). No sigmoid: losses take logits.

    Args:
        image_size: side of the input, a power of two >= 8.
        ndf: channels of the first layer; each stride-2 layer doubles them.
        channels: 1 for grey, 3 for colour.
        batchnorm: BatchNorm after every conv but the first and the last (the paper).
        leak: slope of the LeakyReLU for negative inputs (0.2 in the paper; 0 gives ReLU).
    """

    def __init__(self, image_size: int = 64, ndf: int = 64, channels: int = 3, batchnorm: bool = True,
                 leak: float = 0.2):
        super().__init__()
        n = _doublings(image_size)
        self.image_size = int(image_size)
        ndf, channels = validation.positive_int("ndf", ndf), validation.positive_int("channels", channels)
        self.channels, batchnorm = channels, validation.boolean("batchnorm", batchnorm)
        leak = validation.number("leak", leak, low=0, high=1, high_open=True)
        act = (lambda: nn.LeakyReLU(leak, inplace=True)) if leak > 0 else (lambda: nn.ReLU(inplace=True))
        layers = [nn.Conv2d(channels, ndf, 4, 2, 1), act()]  # no BatchNorm on the input layer
        width = ndf
        for _ in range(n - 1):
            layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=not batchnorm),
                       *([nn.BatchNorm2d(width * 2)] if batchnorm else []), act()]
            width *= 2
        layers += [nn.Conv2d(width, 1, 4, 1, 0)]  # (B, width, 4, 4) -> (B, 1, 1, 1)
        self.net = nn.Sequential(*layers)
        self.apply(dcgan_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = validation.tensor("x", x, finite=False)
        if x.ndim != 4 or x.shape[1:] != (self.channels, self.image_size, self.image_size):
            raise validation.ArgumentError(f"D expects (B, {self.channels}, {self.image_size}, {self.image_size}) "
                                           f"images, got {tuple(x.shape)}")
        return self.net(x).flatten()  # (B,)


def conv_layers(model: nn.Module, input_shape) -> list[dict]:
    """Each Conv2d / ConvTranspose2d of ``model`` with its input and output shapes and multiply-adds, found by
    running one input of ``input_shape`` (batch included) through the model with forward hooks.

    Multiply-adds: Conv2d = C_in * C_out * k^2 * H_out * W_out; ConvTranspose2d = C_in * C_out * k^2 * H_in * W_in
    (each input pixel is scattered through the whole kernel), per image, times the batch. FLOPs = 2 x MACs.
    """
    model = validation.module("model", model)
    shape = input_shape
    if not isinstance(shape, (tuple, list, torch.Size)) or not shape:
        raise validation.ArgumentError(f"input_shape must be a shape such as (B, C, H, W), got "
                                       f"{validation.shown(shape)}")
    input_shape = tuple(validation.positive_int("input_shape", v) for v in shape)
    records, hooks = [], []

    def hook(mod, inp, out):
        x = inp[0]
        b, cin, hin, win = x.shape
        kh, kw = mod.kernel_size
        if isinstance(mod, nn.ConvTranspose2d):
            macs = b * cin * (mod.out_channels // mod.groups) * kh * kw * hin * win
        else:
            macs = b * out.shape[2] * out.shape[3] * mod.out_channels * (cin // mod.groups) * kh * kw
        records.append({"layer": type(mod).__name__, "in": tuple(x.shape), "out": tuple(out.shape), "macs": macs})

    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            hooks.append(m.register_forward_hook(hook))
    try:
        with eval_mode(model), torch.no_grad():
            model(torch.zeros(input_shape, device=next(model.parameters()).device))
    except (RuntimeError, validation.ArgumentError) as e:
        raise validation.ArgumentError(f"input_shape {input_shape} does not fit the model: {e}") from e
    finally:
        for h in hooks:
            h.remove()
    return records
