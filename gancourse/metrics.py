"""Metrics of a generator's samples: how well they cover the modes of a toy mixture (the PacGAN / VEEGAN protocol),
and the binned divergences the live lab plots.

**Mode coverage.** Each generated sample is assigned to its nearest mode centre. It is *high quality* (HQ) when it
lies within ``threshold`` standard deviations of that centre. A mode is *covered* when at least one HQ sample is
assigned to it. The KL term compares the histogram of HQ samples over the K modes with the uniform distribution:

    KL(h || uniform) = sum_k h_k log(h_k K) = log K - H(h)

so 0 means the HQ samples are spread evenly and log K means they all sit on one mode. The published tables
evaluate 2,500 samples on the ring of 8 (std 0.01) and the grid of 25 (std 0.05), with threshold 3.

**Binned JS and KL.** Two sample sets are binned on one grid (1-D or 2-D), both histograms blurred with the *same*
Gaussian kernel (a binned kernel density estimate, :func:`blurred_histogram`), and
:func:`gancourse.theory.jsd` / :func:`gancourse.theory.kl` applied to the two blurred densities. These are
*estimates*, not bounds: blurring both with one kernel can only shrink a divergence (data processing), while
finite samples push it up (two samples of one distribution never bin identically, so matching sets score a few
hundredths above 0). They stay finite where the supports do not overlap and are cheap enough for every frame of
the lab: read them for the trend.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from . import theory, validation

__all__ = ["mode_coverage", "nearest_mode_fractions", "blurred_histogram", "js_kl_binned"]


def _as_2d(name: str, a) -> torch.Tensor:
    a = validation.array(name, a, nonempty=False, finite=True)  # NaN or inf centres or samples match no mode
    if a.ndim != 2:
        raise validation.ArgumentError(f"{name} must be a 2-D array of shape (N, dim), got shape {tuple(a.shape)}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise validation.ArgumentError(f"{name} must not be empty, got shape {tuple(a.shape)}")
    return a


def _same_dim(samples: torch.Tensor, centers: torch.Tensor) -> None:
    if samples.shape[1] != centers.shape[1]:
        raise validation.ArgumentError(
            f"samples have dimension {samples.shape[1]} but centers have dimension {centers.shape[1]}; they must match"
        )


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
    _same_dim(samples, centers)
    std, threshold = validation.positive("std", std), validation.positive("threshold", threshold)
    if not torch.isfinite(samples).all():
        raise validation.ArgumentError("samples contain NaN or infinite values")
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
    _same_dim(samples, centers)
    nearest = torch.cdist(samples, centers).argmin(dim=1)
    return torch.bincount(nearest, minlength=centers.shape[0]).double() / samples.shape[0]


# ---------------------------------------------------------------------------------------------- binned JS and KL
def _gauss_matrix(bins: int, sigma_bins: float) -> np.ndarray:
    i = np.arange(bins)
    return np.exp(-0.5 * ((i[:, None] - i[None, :]) / sigma_bins) ** 2)


def _window(dim: int, lo, hi) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = (validation.array(k, v, ndim=(0, 1), finite=True).numpy() for k, v in (("lo", lo), ("hi", hi)))
    if lo.size not in (1, dim) or hi.size not in (1, dim):
        raise validation.ArgumentError(f"lo and hi must be one number or {dim} each, got {lo} and {hi}")
    lo, hi = np.broadcast_to(lo, (dim,)), np.broadcast_to(hi, (dim,))
    if not np.all(hi > lo):
        raise validation.ArgumentError(f"the window needs lo < hi, got lo={lo}, hi={hi}")
    return lo, hi


def blurred_histogram(points, lo, hi, bins: int = 64, sigma: float | None = None) -> np.ndarray:
    """The counts of ``points`` ((n, 1) or (n, 2)) on a grid of ``bins`` cells per axis over [lo, hi], blurred by a
    Gaussian of standard deviation ``sigma`` (data units; default 4% of the window's widest side), as K H K^T.

    Points outside the window are clamped onto its border (they count, at the edge). Not normalised: shape (bins,)
    or (bins, bins), rows along the first coordinate.
    """
    points = _as_2d("points", points).numpy()
    dim = points.shape[1]
    if dim not in (1, 2):
        raise validation.ArgumentError(f"points must be (n, 1) or (n, 2), got shape {points.shape}")
    bins = validation.positive_int("bins", bins)
    lo, hi = _window(dim, lo, hi)
    sigma = 0.04 * float(np.max(hi - lo)) if sigma is None else validation.positive("sigma", sigma)
    pts = np.clip(points, lo, hi)
    if dim == 1:
        h, _ = np.histogram(pts[:, 0], bins=bins, range=(lo[0], hi[0]))
    else:
        h, _, _ = np.histogram2d(pts[:, 0], pts[:, 1], bins=bins, range=[(lo[0], hi[0]), (lo[1], hi[1])])
    ks = [_gauss_matrix(bins, sigma / ((hi[d] - lo[d]) / bins)) for d in range(dim)]
    return ks[0] @ h if dim == 1 else ks[0] @ h @ ks[1].T


def js_kl_binned(real, fake, lo, hi, bins: int = 64, sigma: float | None = None) -> tuple[float, float]:
    """(JSD, KL(p_data || p_g)) of two sample sets, each a :func:`blurred_histogram` over one window.

    The blurred histograms are normalised (plus a floor of 1e-12, so KL stays finite) and passed to
    :func:`gancourse.theory.jsd` and :func:`gancourse.theory.kl` as discrete densities (cell volume 1). 1-D or 2-D.
    """
    real, fake = (validation.array(k, v, nonempty=False, finite=True).numpy() for k, v in (("real", real),
                                                                                        ("fake", fake)))
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1] or real.shape[1] not in (1, 2):
        raise validation.ArgumentError(f"real and fake must be (n, 1) or (n, 2) arrays of one dimension, got "
                                       f"{real.shape} and {fake.shape}")
    if len(real) == 0 or len(fake) == 0:
        raise validation.ArgumentError("real and fake need at least one sample each")
    dens = []
    for pts in (real, fake):
        h = blurred_histogram(pts, lo, hi, bins, sigma)
        h = h / h.sum() + 1e-12
        dens.append(np.log(h / h.sum()))
    log_p, log_q = (torch.from_numpy(d) for d in dens)
    return theory.jsd(log_p, log_q, dx=1.0), theory.kl(log_p, log_q, dx=1.0)
