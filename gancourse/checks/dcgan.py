"""Checkers of lesson 06: DCGAN's generator block and its weight initialisation."""
from __future__ import annotations

import math

import torch
from torch import nn

from .. import validation
from .core import fail, keeps_global_rng, name_of, passed, raised

__all__ = ["check_generator_block", "check_dcgan_init"]

ORDER = "ConvTranspose2d -> BatchNorm2d -> ReLU"


def _leaves(module: nn.Module) -> list[nn.Module]:
    return [m for m in module.modules() if not list(m.children())]


def _transposed_conv(x, w, stride: int, padding: int):
    """A transposed convolution written as what it is, a scatter: input pixel (i, j) of channel c adds
    x[c, i, j] * w[c, o] into output channel o at rows i*stride - padding + (0..k-1), same for columns. Plain
    Python on nested lists (independent of torch's implementation). x: [N][C][H][W], w: [C][O][k][k]."""
    n, c_in, h = len(x), len(x[0]), len(x[0][0])
    c_out, k = len(w[0]), len(w[0][0])
    side = (h - 1) * stride - 2 * padding + k
    out = [[[[0.0] * side for _ in range(side)] for _ in range(c_out)] for _ in range(n)]
    for b in range(n):
        for c in range(c_in):
            for i in range(h):
                for j in range(h):
                    v = x[b][c][i][j]
                    for o in range(c_out):
                        for ki in range(k):
                            r = i * stride - padding + ki
                            if not 0 <= r < side:
                                continue
                            for kj in range(k):
                                q = j * stride - padding + kj
                                if 0 <= q < side:
                                    out[b][o][r][q] += v * w[c][o][ki][kj]
    return out


def _batchnorm_relu(y, gamma, beta, eps=1e-5):
    """Training-mode BatchNorm (per channel, over batch and pixels, biased variance), then ReLU, on nested lists."""
    n, c_out, side = len(y), len(y[0]), len(y[0][0])
    out = [[[[0.0] * side for _ in range(side)] for _ in range(c_out)] for _ in range(n)]
    for o in range(c_out):
        vals = [y[b][o][r][q] for b in range(n) for r in range(side) for q in range(side)]
        mu = sum(vals) / len(vals)
        sd = math.sqrt(sum((v - mu) ** 2 for v in vals) / len(vals) + eps)
        for b in range(n):
            for r in range(side):
                for q in range(side):
                    out[b][o][r][q] = max(0.0, gamma[o] * (y[b][o][r][q] - mu) / sd + beta[o])
    return out


@keeps_global_rng
def check_generator_block(fn) -> None:
    """Check ``fn(c_in, c_out)``: one DCGAN generator block that doubles the side of a (B, c_in, H, W) feature map
    and gives it c_out channels: ConvTranspose2d(c_in, c_out, kernel_size=4, stride=2, padding=1, bias=False),
    then BatchNorm2d(c_out), then ReLU.

    Checked: the layers' types and order, the transposed convolution's settings, the output shape, and a forward
    pass on a fixed input with hand-set weights against a scatter-and-normalise computation written out here.
    ``fn`` may also be an ``nn.Module`` subclass whose ``__init__`` takes (c_in, c_out).
    """
    name = name_of(fn, modules=True)
    try:
        block = fn(3, 2)
    except Exception as exc:
        raised(name, exc, f"called as {name}(3, 2)")
    if not isinstance(block, nn.Module):
        fail(name, f"return an nn.Module (for example nn.Sequential(...) of the three layers), got "
                   f"{type(block).__name__}")
    layers = _leaves(block)
    kinds = [type(m).__name__ for m in layers]
    checks = 1
    if any(type(m) is nn.Conv2d for m in layers):
        fail(name, "a generator block upsamples: use nn.ConvTranspose2d (a transposed convolution), not nn.Conv2d, "
                   f"which shrinks the image. Expected {ORDER}, got {' -> '.join(kinds)}.")
    if any(isinstance(m, nn.LeakyReLU) for m in layers):
        fail(name, "G's hidden blocks use ReLU; LeakyReLU(0.2) is D's activation.")
    if any(isinstance(m, nn.Tanh) for m in layers):
        fail(name, "tanh belongs only to G's output layer (it maps to [-1, 1]); a hidden block ends with ReLU.")
    convs = [m for m in layers if isinstance(m, nn.ConvTranspose2d)]
    norms = [m for m in layers if isinstance(m, nn.BatchNorm2d)]
    relus = [m for m in layers if isinstance(m, nn.ReLU)]
    if not convs:
        fail(name, f"no nn.ConvTranspose2d found. Expected {ORDER}, got {' -> '.join(kinds) or 'no layers'}.")
    if not norms:
        other = [k for k in kinds if "Norm" in k]
        fail(name, f"use nn.BatchNorm2d(c_out) (normalises each channel over the batch and the pixels)"
                   f"{', not ' + other[0] if other else ' after the transposed convolution'}. "
                   f"Expected {ORDER}, got {' -> '.join(kinds)}.")
    if not relus:
        fail(name, f"the block ends with nn.ReLU(). Expected {ORDER}, got {' -> '.join(kinds)}.")
    if len(layers) != 3 or len(convs) != 1 or len(norms) != 1 or len(relus) != 1:
        fail(name, f"expected exactly three layers, {ORDER}; got {' -> '.join(kinds)}.")
    pos = {type(m): i for i, m in enumerate(layers)}
    if pos[nn.BatchNorm2d] < pos[nn.ConvTranspose2d]:
        fail(name, "BatchNorm normalises the convolution's output, so it comes after it: " + ORDER + ".")
    if pos[nn.ReLU] < pos[nn.BatchNorm2d]:
        fail(name, "BatchNorm must come before the ReLU: normalise the pre-activations, then rectify (" + ORDER + ").")
    checks += 1
    conv, norm = convs[0], norms[0]
    if (conv.in_channels, conv.out_channels) != (3, 2):
        fail(name, f"{name}(3, 2)'s transposed convolution maps {conv.in_channels} to {conv.out_channels} channels, "
                   "expected 3 to 2: use c_in and c_out.")
    if norm.num_features != 2:
        fail(name, f"BatchNorm2d normalises the convolution's c_out = 2 channels, got BatchNorm2d({norm.num_features}).")
    k, s, p = conv.kernel_size[0], conv.stride[0], conv.padding[0]
    if (conv.kernel_size, conv.stride, conv.padding) != ((4, 4), (2, 2), (1, 1)):
        side = (4 - 1) * s - 2 * p + k + conv.output_padding[0]
        fail(name, f"use kernel_size=4, stride=2, padding=1: (H - 1) * 2 - 2 * 1 + 4 = 2H doubles the side. With "
                   f"kernel {conv.kernel_size}, stride {conv.stride}, padding {conv.padding} a 4x4 input becomes "
                   f"{side}x{side}.")
    if conv.output_padding != (0, 0) or conv.dilation != (1, 1) or conv.groups != 1:
        fail(name, "keep output_padding=0, dilation=1 and groups=1 (the defaults).")
    if conv.bias is not None:
        fail(name, "use bias=False in the transposed convolution: BatchNorm subtracts each channel's mean right "
                   "after it, which cancels any bias (BatchNorm's own shift beta takes its place).")
    if not norm.affine:
        fail(name, "keep BatchNorm2d's learned scale and shift (affine=True, the default).")
    checks += 1
    try:
        wide = fn(64, 32)
        wide_conv = [m for m in _leaves(wide) if isinstance(m, nn.ConvTranspose2d)][0]
    except Exception as exc:
        raised(name, exc, f"called as {name}(64, 32)")
    if (wide_conv.in_channels, wide_conv.out_channels) != (64, 32):
        fail(name, f"{name}(64, 32) maps {wide_conv.in_channels} to {wide_conv.out_channels} channels: use the "
                   "arguments c_in and c_out, not fixed numbers.")
    checks += 1
    # a forward pass with hand-set weights, in training mode (BatchNorm uses the batch's statistics)
    w = [[[[((c + 1) * (o + 2) + ki - 2 * kj) / 10 for kj in range(4)] for ki in range(4)] for o in range(2)]
         for c in range(3)]
    x = [[[[math.sin(1.0 + b + 2 * c + 3 * i + 5 * j) for j in range(4)] for i in range(4)] for c in range(3)]
         for b in range(2)]
    gamma, beta = [1.5, 0.5], [0.2, -0.1]
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(w))
        norm.weight.copy_(torch.tensor(gamma))
        norm.bias.copy_(torch.tensor(beta))
        norm.reset_running_stats()
    block.train()
    try:
        out = block(torch.tensor(x))
    except Exception as exc:
        raised(name, exc, f"{name}(3, 2) called on a (2, 3, 4, 4) batch")
    if not isinstance(out, torch.Tensor) or out.shape != (2, 2, 8, 8):
        fail(name, f"a (2, 3, 4, 4) batch should become (2, 2, 8, 8), got "
                   f"{tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}")
    expected = torch.tensor(_batchnorm_relu(_transposed_conv(x, w, 2, 1), gamma, beta))
    err = float((out.detach() - expected).abs().max())
    if err > 1e-4:
        fail(name, f"with hand-set weights the output differs from ConvTranspose2d -> BatchNorm2d (batch "
                   f"statistics) -> ReLU by up to {err:.3g}; does forward() run the layers in that order?")
    checks += 1
    passed(name, checks)


# ---------------------------------------------------------------------------------------------- initialisation
def _sd(t: torch.Tensor) -> float:
    return float(t.double().std())


@keeps_global_rng
def check_dcgan_init(fn, std: float = 0.02) -> None:
    """Check ``fn(module)``, used as ``model.apply(fn)``: DCGAN's initialisation. Weights of Conv2d and
    ConvTranspose2d ~ N(0, 0.02) and their biases (when present) 0; BatchNorm2d's scale gamma ~ N(1, 0.02) and
    shift beta 0; layers without weights left alone.

    The mock model has 32,768 weights per convolution and 8,192 BatchNorm channels, every parameter first set to
    the sentinel 7 so that an untouched layer is recognised. The draws are tested statistically: the sample mean
    of n draws from N(m, s) has standard error s / sqrt(n) and the sample standard deviation about
    s / sqrt(2 (n - 1)); both must lie within 6 standard errors (a right solution fails with probability below
    1e-8 whatever the seed; the draws are seeded here, so the verdict is also reproducible). The tails must look
    Gaussian: a fraction 0.0455 of N(m, s) lies beyond 2s (binomial standard error sqrt(p (1 - p) / n)).
    """
    name = name_of(fn)
    std = validation.positive("std", std)
    model = nn.Sequential(
        nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False),  # 32,768 weights
        nn.BatchNorm2d(8192),
        nn.ReLU(),
        nn.Conv2d(32, 64, 4, 2, 1),                       # 32,768 weights and a bias
        nn.LeakyReLU(0.2),
        nn.Tanh(),
    )
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(7.0)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(20160107)
            model.apply(fn)
    except Exception as exc:
        raised(name, exc, "applied with model.apply(...) to ConvTranspose2d, BatchNorm2d, ReLU, Conv2d, LeakyReLU "
                          "and Tanh layers; test each layer's type (isinstance) before touching its weights")
    tconv, bn, conv = model[0], model[1], model[3]
    checks = 0

    def normal(label, t, mean_expected, slips):
        n = t.numel()
        mean, sd = float(t.double().mean()), _sd(t)
        se_mean, se_sd = std / math.sqrt(n), std / math.sqrt(2 * (n - 1))
        if abs(mean - mean_expected) <= 6 * se_mean and abs(sd - std) <= 6 * se_sd:
            p = 2 * 0.5 * math.erfc(2 / math.sqrt(2))  # P(|X - m| > 2s) = 0.0455
            tail = float(((t.double() - mean_expected).abs() > 2 * std).double().mean())
            if abs(tail - p) > 6 * math.sqrt(p * (1 - p) / n):
                fail(name, f"{label}: mean and std are right but the values are not Gaussian ({tail:.2%} lie more "
                           f"than 2 std from the mean, {p:.2%} for a normal distribution): use nn.init.normal_, "
                           "not a uniform draw.")
            return
        for slip, (m, s) in slips.items():
            if abs(mean - m) <= 6 * max(s, 1e-9) / math.sqrt(n) + 1e-9 and abs(sd - s) <= 6 * s / math.sqrt(2 * n) + 1e-12:
                fail(name, f"{label}: mean {mean:.4g}, std {sd:.4g}, expected N({mean_expected:g}, {std:g}): {slip}.")
        fail(name, f"{label}: mean {mean:.4g}, std {sd:.4g}, expected N({mean_expected:g}, {std:g}) (mean within "
                   f"{6 * se_mean:.2g}, std within {6 * se_sd:.2g}).")

    conv_slips = {
        "a std of 1 is nn.init.normal_'s default: normal_(tensor, mean, std) takes the mean first, then the "
        "std, so write normal_(w, 0.0, 0.02)": (0.0, 1.0),
        "0.02 is the standard deviation, not the variance": (0.0, std ** 2),
        "conv weights are centred at 0; N(1, 0.02) is the rule for BatchNorm's scale": (1.0, std),
    }
    for label, layer in (("ConvTranspose2d weight", tconv), ("Conv2d weight", conv)):
        if torch.all(layer.weight == 7.0):
            kind = type(layer).__name__
            fail(name, f"the {kind}'s weights were left untouched: your type test must include nn.{kind} "
                       "(isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)))")
        normal(label, layer.weight.detach(), 0.0, conv_slips)
        checks += 1
    if torch.all(conv.bias == 7.0):
        fail(name, "the Conv2d's bias was left untouched: set it to 0 when the layer has one (if m.bias is not None: "
                   "nn.init.zeros_(m.bias)).")
    if not torch.all(conv.bias == 0):
        fail(name, f"a convolution's bias starts at exactly 0, got values from {float(conv.bias.detach().min()):.3g} to "
                   f"{float(conv.bias.detach().max()):.3g}.")
    checks += 1
    if torch.all(bn.weight == 7.0):
        fail(name, "the BatchNorm2d layer was left untouched: its scale gamma (m.weight) ~ N(1, 0.02) and its "
                   "shift beta (m.bias) = 0.")
    if torch.all(bn.weight == 1.0):
        fail(name, "BatchNorm's scale gamma is exactly 1: the paper draws it from N(1, 0.02) "
                   "(nn.init.normal_(m.weight, 1.0, 0.02)).")
    normal("BatchNorm2d weight (gamma)", bn.weight.detach(), 1.0, {
        "BatchNorm's scale gamma is centred at 1 (N(1, 0.02)); you drew it around 0 like a conv weight": (0.0, std),
        "that is nn.init.normal_'s default std of 1 around 1; pass std=0.02": (1.0, 1.0),
    })
    checks += 1
    if torch.all(bn.bias == 7.0):
        fail(name, "BatchNorm's shift beta (m.bias) was left untouched: set it to 0.")
    if not torch.all(bn.bias == 0):
        fail(name, "BatchNorm's shift beta (m.bias) starts at exactly 0 (nn.init.zeros_), not drawn at random.")
    checks += 1
    passed(name, checks)
