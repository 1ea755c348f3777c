"""Checkers of lesson 10: adaptive instance normalisation (AdaIN) and StyleGAN 2's weight (de)modulation."""
from __future__ import annotations

import math

import torch

from .core import fail, keeps_global_rng, mean, name_of, passed, raised

__all__ = ["check_adain", "check_modulate"]


def check_adain(fn) -> None:
    """Check ``fn(x, y_scale, y_bias)``: each (sample, channel) map of x (B, C, H, W) normalised over (H, W)
    (biased variance) and given mean y_bias and standard deviation y_scale, each (B, C)."""
    name = name_of(fn)
    x = torch.tensor([[[[1.0, 2.0], [3.0, 6.0]], [[0.0, 0.0], [4.0, 4.0]]],
                      [[[-2.0, 2.0], [0.0, 0.0]], [[5.0, 7.0], [9.0, 11.0]]]])  # (2, 2, 2, 2)
    y_scale = torch.tensor([[2.0, 0.5], [1.0, 3.0]])
    y_bias = torch.tensor([[10.0, -1.0], [0.0, 2.0]])
    try:
        out = fn(x, y_scale, y_bias)
    except Exception as exc:
        raised(name, exc, "called with x (2, 2, 2, 2), y_scale and y_bias (2, 2)")
    if not isinstance(out, torch.Tensor) or out.shape != x.shape:
        fail(name, f"return a tensor shaped like x {tuple(x.shape)}, got "
                    f"{tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}")
    checks = 1
    expected = torch.empty_like(x)
    for b in range(2):
        for ch in range(2):
            vals = x[b, ch].flatten().tolist()
            mu = mean(vals)
            sd = math.sqrt(mean([(v - mu) ** 2 for v in vals]) + 1e-5)
            expected[b, ch] = y_scale[b, ch] * (x[b, ch] - mu) / sd + y_bias[b, ch]
    if not torch.allclose(out, expected, atol=1e-3):
        got_mean, got_std = out.mean(dim=(2, 3)), out.var(dim=(2, 3), unbiased=False).sqrt()
        if torch.allclose(got_mean, y_bias, atol=1e-3) and torch.allclose(got_std / math.sqrt(3 / 4), y_scale,
                                                                          atol=1e-2):
            hint = " Use the biased variance (unbiased=False): the std is over the H*W values of one map."
        elif torch.allclose(got_mean, y_scale, atol=1e-3):
            hint = " y_scale and y_bias are swapped: the mean should become y_bias and the std y_scale."
        elif not torch.allclose(got_mean, y_bias, atol=1e-3):
            hint = (" The mean of each map should become y_bias: normalise each (sample, channel) map over its "
                    "own H, W (dim=(2, 3), keepdim=True), not over the batch.")
        else:
            hint = ""
        fail(name, f"the output differs from the definition by up to {float((out - expected).abs().max()):.3g}.{hint}")
    checks += 1
    passed(name, checks)


# ---------------------------------------------------------------------------------------------- modulation
@keeps_global_rng
def check_modulate(fn) -> None:
    """Check ``fn(weight, style, demodulate=True, eps=1e-8)``: StyleGAN 2's per-sample weights (B, O, I, k, k).
    ``weight`` (O, I, k, k), ``style`` (B, I). Modulation w'_{boik} = s_{bi} w_{oik}; demodulation
    w''_{boik} = w'_{boik} / sqrt(sum_{i,k} w'^2_{boik} + eps), one norm per sample and output channel.

    Checked exactly (to float32 rounding) against values worked out here with plain loops, with and without
    demodulation, on a layer with as many input as output channels and on one with more."""
    name = name_of(fn)
    checks = 0
    for O, I in ((2, 2), (2, 3)):
        weight = [[[[((o + 1) * (i - 1) + 0.5 * a - 0.25 * b) / 2 for b in range(2)] for a in range(2)]
                   for i in range(I)] for o in range(O)]
        style = [[1.5, -0.5, 2.0][:I], [0.25, 1.0, -3.0][:I]]
        B, eps = 2, 1e-8

        def modulated(s_index):  # s_index(b, o, i) picks the style entry that scales w[o][i]
            return [[[[[style[b][s_index(o, i)] * weight[o][i][a][c] for c in range(2)] for a in range(2)]
                      for i in range(I)] for o in range(O)] for b in range(B)]

        def demod(w, over=("i", "k")):
            out = [[[[[0.0] * 2 for _ in range(2)] for _ in range(I)] for _ in range(O)] for _ in range(B)]
            for b in range(B):
                for o in range(O):
                    for i in range(I):
                        terms = [(b2, o2, i2) for b2 in range(B) for o2 in range(O) for i2 in range(I)
                                 if b2 == b and (o2 == o or "o" in over) and (i2 == i or "i" in over)]
                        norm = math.sqrt(sum(w[b2][o2][i2][a][c] ** 2 for b2, o2, i2 in terms
                                             for a in range(2) for c in range(2)) + eps)
                        for a in range(2):
                            for c in range(2):
                                out[b][o][i][a][c] = w[b][o][i][a][c] / norm
            return out

        mod = modulated(lambda o, i: i)
        right = {True: demod(mod), False: mod}
        w_t, s_t = torch.tensor(weight), torch.tensor(style)
        for flag in (True, False):
            try:
                out = fn(w_t.clone(), s_t.clone(), demodulate=flag)
            except Exception as exc:
                raised(name, exc, f"called with weight (O, I, k, k) = ({O}, {I}, 2, 2), style (B, I) = ({B}, {I}), "
                                  f"demodulate={flag}")
            want = (B, O, I, 2, 2)
            if not isinstance(out, torch.Tensor) or tuple(out.shape) != want:
                got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
                fail(name, f"return one weight tensor per sample, (B, O, I, k, k) = {want}, got {got}: "
                           "weight[None] * style[:, None, :, None, None]")
            expected = torch.tensor(right[flag])
            if torch.allclose(out, expected, rtol=1e-5, atol=1e-6):
                checks += 1
                continue
            slips = {}
            if O == I:  # with as many output as input channels, a style on the wrong axis still broadcasts
                wrong_axis = modulated(lambda o, i: o)
                slips["the style scales the input channels i (dim 2 of (B, O, I, k, k)), not the output channels: "
                      "style[:, None, :, None, None]"] = demod(wrong_axis) if flag else wrong_axis
            if flag:
                slips.update({
                    "demodulate: divide each output channel's modulated weights by sqrt(sum of their squares + eps)":
                        mod,
                    "demodulation normalises each sample's output channel o on its own: sum the squares over (I, k, k), "
                    "dims (2, 3, 4), not over all output channels too": demod(mod, over=("o", "i", "k")),
                    "sum the squares over the input channels too: dims (2, 3, 4) (I, k, k), not only the kernel":
                        demod(mod, over=("k",)),
                    "demodulation divides by the norm of the *modulated* weights s_i w_oik, not of the plain weights":
                        [[[[[mod[b][o][i][a][c] / math.sqrt(sum(weight[o][i2][a2][c2] ** 2 for i2 in range(I)
                                                                 for a2 in range(2) for c2 in range(2)) + eps)
                             for c in range(2)] for a in range(2)] for i in range(I)] for o in range(O)]
                         for b in range(B)],
                    "divide by the square root of the sum of squares (rsqrt), not by the sum itself":
                        [[[[[mod[b][o][i][a][c] / (sum(mod[b][o][i2][a2][c2] ** 2 for i2 in range(I)
                                                       for a2 in range(2) for c2 in range(2)) + eps)
                             for c in range(2)] for a in range(2)] for i in range(I)] for o in range(O)]
                         for b in range(B)],
                })
            else:
                slips["with demodulate=False return the modulated weights only (no normalisation)"] = right[True]
            hint = next((s for s, v in slips.items() if torch.allclose(out, torch.tensor(v), rtol=1e-5, atol=1e-6)), "")
            fail(name, f"with O = {O}, I = {I}, demodulate={flag} the weights differ from the definition by up to "
                       f"{float((out - expected).abs().max()):.3g}{': ' + hint if hint else '.'}")
    passed(name, checks)
