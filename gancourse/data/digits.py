"""The handwritten digits that ship with scikit-learn: the course's offline image set.

1,797 grey images of 8x8 pixels (values 0..16, ink bright), 10 classes, about 180 per class. They are
upsampled to the size a DCGAN wants (a power of two such as 16 or 32) and scaled to [-1, 1]::

    images, labels = gc.data.load_digits(size=16)   # (1797, 1, 16, 16) float32 in [-1, 1], (1797,) int64
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

from .. import validation
from ..images import RESIZE_MODES, resize, to_signed

__all__ = ["load_digits", "train_test_split"]


def load_digits(size: int = 16, mode: str = "bilinear", classes=None) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 8x8 digits, resized to ``size`` x ``size``.

    Args:
        size: output side in pixels (>= 8; 8 keeps the originals).
        mode: ``bilinear`` (smooth strokes) or ``nearest`` (blocky, exact pixel copies); see
            :func:`gancourse.images.resize`.
        classes: optional iterable of digits to keep, e.g. ``[0, 1]``.

    Returns:
        ``(images, labels)``: float32 (N, 1, size, size) in [-1, 1] (-1 = background, 1 = full ink) and
        int64 (N,) labels in 0..9.
    """
    from sklearn.datasets import load_digits as _sk_load_digits

    size = validation.integer("size (the digits are 8x8)", size, low=8)
    validation.lookup("resize mode", mode, RESIZE_MODES)
    bunch = _sk_load_digits()
    x = torch.from_numpy(bunch.images.astype(np.float32) / 16.0)[:, None]  # (N, 1, 8, 8) in [0, 1]
    y = torch.from_numpy(bunch.target.astype(np.int64))
    if classes is not None:
        what = "a non-empty set of digits 0..9, e.g. [0, 1]"
        if isinstance(classes, (str, bytes)) or not isinstance(classes, Iterable):
            raise validation.ArgumentError(f"classes must be {what}, got {classes!r}")
        keep = sorted({validation.integer("classes", c, low=0, high=9) for c in classes})
        if not keep:
            raise validation.ArgumentError(f"classes must be {what}, got {classes!r}")
        mask = torch.isin(y, torch.tensor(keep))
        x, y = x[mask], y[mask]
    x = resize(x, int(size), mode=mode).clamp(0, 1)
    return to_signed(x).contiguous(), y


def train_test_split(images: torch.Tensor, labels: torch.Tensor, test_fraction: float = 0.2, seed: int = 0):
    """Split into (train_images, train_labels, test_images, test_labels), stratified by label, reproducibly."""
    test_fraction = validation.number("test_fraction", test_fraction, low=0, high=1, low_open=True, high_open=True)
    images = validation.tensor("images", images, floating=False, finite=False)
    labels = validation.tensor("labels", labels, ndim=1, floating=False, finite=False)
    if len(images) != len(labels):
        raise validation.ArgumentError(f"images and labels differ in length: {len(images)} vs {len(labels)}")
    gen = torch.Generator().manual_seed(validation.seed("seed", seed))
    test = torch.zeros(len(labels), dtype=torch.bool)
    for c in torch.unique(labels):
        idx = torch.nonzero(labels == c).flatten()
        idx = idx[torch.randperm(len(idx), generator=gen)]
        test[idx[: max(1, round(test_fraction * len(idx)))]] = True
    return images[~test], labels[~test], images[test], labels[test]
