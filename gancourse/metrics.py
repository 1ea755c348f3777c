"""How well a generator covers the modes of a toy mixture (the PacGAN / VEEGAN protocol).

Each generated sample is assigned to its nearest mode centre. It is *high quality* (HQ) when it lies within
``threshold`` standard deviations of that centre. A mode is *covered* when at least one HQ sample is assigned
to it. The KL term compares the histogram of HQ samples over the K modes with the uniform distribution:

    KL(h || uniform) = sum_k h_k log(h_k K) = log K - H(h)

so 0 means the HQ samples are spread evenly and log K means they all sit on one mode. The published tables
evaluate 2,500 samples on the ring of 8 (std 0.01) and the grid of 25 (std 0.05), with threshold 3.
"""
from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["mode_coverage", "nearest_mode_fractions"]


def _as_2d(name: str, a) -> torch.Tensor:
    if isinstance(a, np.ndarray):
        a = torch.from_numpy(a)
    a = torch.as_tensor(a).detach().to("cpu", torch.float64)
    if a.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (N, dim), got shape {tuple(a.shape)}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(a.shape)}")
    return a


def mode_coverage(samples, centers, std: float, threshold: float = 3.0) -> dict:
    """Modes covered, fraction of high-quality samples and KL to uniform, for samples of a Gaussian mixture.

    Args:
        samples: (N, dim) generated points (tensor or array).
        centers: (K, dim) mode centres, e.g. ``gc.data.ring().centers``.
        std: the modes' standard deviation (0.01 for the ring, 0.05 for the grid).
        threshold: a sample is high quality within ``threshold * std`` of its nearest centre.

    Returns a dict with
        ``modes``: number of modes with at least one HQ sample (int, 0..K);
        ``n_modes``: K;
        ``hq``: fraction of samples that are high quality (float in [0, 1]);
        ``kl``: KL(histogram of HQ samples over modes || uniform) = log K - entropy, in nats
        (``inf`` when no sample is high quality: the histogram is undefined);
        ``counts``: HQ samples per mode (list of K ints).
    """
    samples, centers = _as_2d("samples", samples), _as_2d("centers", centers)
    if samples.shape[1] != centers.shape[1]:
        raise ValueError(
            f"samples have dimension {samples.shape[1]} but centers have dimension {centers.shape[1]}; they must match"
        )
    for name, value in (("std", std), ("threshold", threshold)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
                or not math.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    if not torch.isfinite(samples).all():
        raise ValueError("samples contain NaN or infinite values")
    k = centers.shape[0]
    dist = torch.cdist(samples, centers)  # (N, K)
    nearest_dist, nearest = dist.min(dim=1)
    hq = nearest_dist <= threshold * std
    counts = torch.bincount(nearest[hq], minlength=k)
    n_hq = int(counts.sum())
    if n_hq == 0:
        kl = math.inf
    else:
        h = counts[counts > 0].double() / n_hq
        kl = max(math.log(k) + float((h * h.log()).sum()), 0.0)  # log K - entropy; clamp rounding below 0
    return {
        "modes": int((counts > 0).sum()),
        "n_modes": k,
        "hq": n_hq / samples.shape[0],
        "kl": kl,
        "counts": counts.tolist(),
    }


def nearest_mode_fractions(samples, centers) -> torch.Tensor:
    """Fraction of *all* samples whose nearest centre is each mode, shape (K,), summing to 1.

    Unlike the HQ histogram of :func:`mode_coverage`, far-away samples count too: this shows where G's mass
    sits (e.g. which mode a collapsed generator is sitting on) even before its samples are sharp.
    """
    samples, centers = _as_2d("samples", samples), _as_2d("centers", centers)
    if samples.shape[1] != centers.shape[1]:
        raise ValueError(
            f"samples have dimension {samples.shape[1]} but centers have dimension {centers.shape[1]}; they must match"
        )
    nearest = torch.cdist(samples, centers).argmin(dim=1)
    return torch.bincount(nearest, minlength=centers.shape[0]).double() / samples.shape[0]
