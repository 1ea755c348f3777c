"""Checkers of lesson 07: the U-Net's skip connection and the PatchGAN's receptive field."""
from __future__ import annotations

import torch

from .core import fail, keeps_global_rng, name_of, passed, raised

__all__ = ["check_unet_skip", "check_receptive_field"]


@keeps_global_rng
def check_unet_skip(fn) -> None:
    """Check ``fn(up, skip)``: the U-Net's skip connection. ``up`` (B, C_up, H, W) is the decoder's output at one
    resolution and ``skip`` (B, C_skip, H, W) the encoder's output at the same resolution; the result joins them
    along the channels, decoder features first: (B, C_up + C_skip, H, W), with gradients reaching both."""
    name = name_of(fn)
    checks = 0
    for shape_up, shape_skip in (((2, 3, 2, 2), (2, 3, 2, 2)), ((1, 2, 4, 4), (1, 5, 4, 4))):
        n_up, n_skip = torch.Size(shape_up).numel(), torch.Size(shape_skip).numel()
        up = (torch.arange(n_up, dtype=torch.float32) + 1).reshape(shape_up).requires_grad_(True)
        skip = (-100.0 - torch.arange(n_skip, dtype=torch.float32)).reshape(shape_skip).requires_grad_(True)
        try:
            out = fn(up, skip)
        except Exception as exc:
            raised(name, exc, f"called with up {shape_up} and skip {shape_skip}")
        if not isinstance(out, torch.Tensor):
            fail(name, f"return a tensor, got {type(out).__name__}")
        b, c_up, h, w = shape_up
        expected_shape = (b, c_up + shape_skip[1], h, w)
        got = tuple(out.shape)
        if got != expected_shape:
            if got == shape_up and shape_up == shape_skip and torch.allclose(out.detach(), up.detach() + skip.detach()):
                hint = ("the skip connection concatenates along channels (dim=1), you added the two features (that "
                        "is a ResNet's skip; the U-Net keeps both and lets the next layer combine them)")
            elif len(got) == 5:
                hint = "torch.stack adds a new dimension; torch.cat joins along the existing channel dimension, dim=1"
            elif got == (2 * b, c_up, h, w) or (shape_up != shape_skip and got[0] != b):
                hint = "you joined along dim=0, the batch; the features go side by side along the channels, dim=1"
            elif got in ((b, c_up, 2 * h, w), (b, c_up, h, 2 * w)):
                hint = "you joined along a spatial dimension; the features go side by side along the channels, dim=1"
            else:
                hint = "join along the channels: torch.cat([up, skip], dim=1)"
            fail(name, f"with up {shape_up} and skip {shape_skip} the output should be {expected_shape}, got {got}: "
                       f"{hint}.")
        checks += 1
        expected = torch.cat([up.detach(), skip.detach()], dim=1)
        if not torch.equal(out.detach(), expected):
            if shape_up == shape_skip and torch.equal(out.detach(), torch.cat([skip.detach(), up.detach()], 1)):
                fail(name, "the decoder's features come first, then the encoder's skip (torch.cat([up, skip], dim=1)): "
                           "the next layer's weights expect the channels in that order.")
            fail(name, "the output has the right shape but not the values of up and skip side by side along the "
                       "channels: return torch.cat([up, skip], dim=1) unchanged.")
        checks += 1
        weights = torch.arange(out.numel(), dtype=torch.float32).reshape(out.shape) % 7 - 3
        (out * weights).sum().backward()
        for label, t, part in (("up (the decoder)", up, weights[:, :c_up]), ("skip (the encoder)", skip,
                                                                             weights[:, c_up:])):
            if t.grad is None or not torch.equal(t.grad, part):
                fail(name, f"the gradient does not reach {label} unchanged: do not detach either input (the skip is "
                           "how the encoder's early layers get a short path for their gradient).")
        checks += 1
    passed(name, checks)


# ---------------------------------------------------------------------------------------------- receptive field
PATCHGAN = {1: [(4, 2), (4, 1), (4, 1)], 2: [(4, 2), (4, 2), (4, 1), (4, 1)],
            3: [(4, 2), (4, 2), (4, 2), (4, 1), (4, 1)]}


def _back(layers, r=1, minus=1):
    for k, s in reversed(layers):
        r = (r - minus) * s + k
    return r


@keeps_global_rng
def check_receptive_field(fn) -> None:
    """Check ``fn(layers)``: the receptive field (pixels, one side) of a chain of convolutions given as a list of
    ``(kernel, stride)`` pairs from the input to the output. Walking back from one output pixel (r = 1), a layer
    with kernel k and stride s turns a field of r pixels into (r - 1) s + k.

    Hand values: the PatchGANs with 1, 2, 3 strided layers (16, 34, 70), no layer at all (1), three 3x3
    stride-1 convolutions (7), and mixed strides where the order of the layers matters."""
    name = name_of(fn)
    cases = [
        (PATCHGAN[1], 16, "the PatchGAN with n_layers=1"),
        (PATCHGAN[2], 34, "the PatchGAN with n_layers=2"),
        (PATCHGAN[3], 70, "the paper's 70x70 PatchGAN"),
        ([], 1, "no layers: each output is one input pixel"),
        ([(3, 1), (3, 1), (3, 1)], 7, "three 3x3 stride-1 convolutions"),
        ([(7, 2), (3, 2), (3, 1)], 19, "kernel 7 stride 2, then 3/2, then 3/1"),
        ([(11, 4), (5, 1), (3, 2)], 35, "kernel 11 stride 4, then 5/1, then 3/2"),
    ]
    results = []
    for layers, _, _ in cases:
        try:
            got = fn(list(layers))
        except Exception as exc:
            raised(name, exc, f"called with {layers}")
        results.append(got.item() if isinstance(got, torch.Tensor) and got.numel() == 1 else got)
    wrong = [(case, got) for case, got in zip(cases, results)
             if not isinstance(got, (int, float)) or isinstance(got, bool) or got != case[1]]
    if wrong:
        slips = {  # each slip as the function it computes; one that explains every case names the mistake
            "you walked the layers from the input; start at the output (r = 1) and go back through reversed(layers)":
                lambda layers: _back(list(reversed(layers))),
            "the recursion is r -> (r - 1) * s + k; you left out the - 1": lambda layers: _back(layers, minus=0),
            "strides multiply the field of every layer before them: r -> (r - 1) * s + k, not r + k - 1":
                lambda layers: 1 + sum(k - 1 for k, _ in layers),
            "start from one output pixel, r = 1, not 0": lambda layers: _back(layers, r=0),
        }
        hint = next((slip for slip, f in slips.items() if all(f(case[0]) == got for case, got in zip(cases, results))),
                    "")
        (layers, expected, what), got = wrong[0]
        fail(name, f"for {layers} ({what}) the receptive field is {expected}, got {got!r}"
                   f"{': ' + hint if hint else ''}.")
    passed(name, len(cases))
