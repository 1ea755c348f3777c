"""How well a generator covers the modes of a toy mixture (the PacGAN / VEEGAN protocol).

Each generated sample is assigned to its nearest mode centre. It is *high quality* (HQ) when it lies within
``threshold`` standard deviations of that centre. A mode is *covered* when at least one HQ sample is assigned
to it. The KL term compares the histogram of HQ samples over the K modes with the uniform distribution:

    KL(h || uniform) = sum_k h_k log(h_k K) = log K - H(h)

so 0 means the HQ samples are spread evenly and log K means they all sit on one mode. The published tables
evaluate 2,500 samples on the ring of 8 (std 0.01) and the grid of 25 (std 0.05), with threshold 3.

Two measures for any features (lesson 12): :func:`precision_recall` (k-nearest-neighbour manifolds,
Kynkaanniemi et al. 2019) and :func:`frechet_distance` between Gaussian fits (the formula of FID, Heusel et al.
2017, on whatever features you pass).
"""
from __future__ import annotations

import math

import numpy as np
import torch

from . import validation

__all__ = ["mode_coverage", "nearest_mode_fractions", "precision_recall", "frechet_distance", "gaussian_frechet"]


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


# ---------------------------------------------------------------------------------------------- lesson 12
def _features(name: str, a) -> torch.Tensor:
    """(N, d) features as a float64 CPU tensor; arrays and tensors accepted, NaN/inf and empty sets refused."""
    if isinstance(a, np.ndarray):
        a = torch.from_numpy(a)
    if not isinstance(a, torch.Tensor):
        a = torch.as_tensor(a)
    a = a.detach().to("cpu", torch.float64)
    return validation.tensor(name, a, ndim=2)


def _kth_neighbour_radius(x: torch.Tensor, k: int, chunk: int = 1024) -> torch.Tensor:
    """Distance from each row of ``x`` to its k-th nearest *other* row, shape (N,)."""
    out = []
    for i in range(0, len(x), chunk):
        d = torch.cdist(x[i:i + chunk], x)  # (c, N); each row's own distance 0 is its smallest
        out.append(d.kthvalue(k + 1, dim=1).values)
    return torch.cat(out)


def _inside_any_ball(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor, chunk: int = 1024):
    """For each point, whether it lies within radii[j] of some centre j, shape (N,) bool."""
    out = []
    for i in range(0, len(points), chunk):
        d = torch.cdist(points[i:i + chunk], centres)  # (c, M)
        out.append((d <= radii[None, :]).any(dim=1))
    return torch.cat(out)


def precision_recall(real, fake, k: int = 3) -> dict:
    """Improved precision and recall for generative models (Kynkaanniemi et al. 2019), on (N, d) features.

    Each real feature gets a ball reaching its k-th nearest real neighbour; their union estimates the data
    manifold. Each fake feature likewise, for the generator's manifold. Then

        precision = fraction of fakes that fall inside some real ball   (fidelity: are the samples realistic?)
        recall    = fraction of reals that fall inside some fake ball   (diversity: is the data covered?)

    A generator that reproduces half of the modes perfectly has precision about 1 and recall about 1/2; one that
    covers everything with blurry samples has high recall and low precision. The paper uses k = 3 and
    Inception/VGG features of 50k images; here any features (2-D points, a classifier's embeddings) will do.
    Distances in float64, computed in chunks (memory O(1024 x N)).

    Args:
        real, fake: (N, d) and (M, d) arrays or tensors, N and M > k.
        k: the neighbour that sets each ball's radius.

    Returns ``{"precision": float, "recall": float}``.
    """
    real, fake = _features("real", real), _features("fake", fake)
    k = validation.integer("k", k, low=1)
    if real.shape[1] != fake.shape[1]:
        raise validation.ArgumentError(
            f"real and fake must have the same number of features, got {real.shape[1]} and {fake.shape[1]}")
    for name, x in (("real", real), ("fake", fake)):
        if len(x) <= k:
            raise validation.ArgumentError(f"{name} needs more than k = {k} samples, got {len(x)}")
    precision = _inside_any_ball(fake, real, _kth_neighbour_radius(real, k)).double().mean()
    recall = _inside_any_ball(real, fake, _kth_neighbour_radius(fake, k)).double().mean()
    return {"precision": float(precision), "recall": float(recall)}


def _sqrt_psd(s: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(s)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def gaussian_frechet(mu1, cov1, mu2, cov2) -> float:
    """The Frechet (2-Wasserstein squared) distance between N(mu1, cov1) and N(mu2, cov2), in closed form:

        d^2 = ||mu1 - mu2||^2 + tr(cov1 + cov2 - 2 (cov1 cov2)^(1/2))

    tr (cov1 cov2)^(1/2) is computed as the sum of the square roots of the eigenvalues of the symmetric
    positive semi-definite matrix cov1^(1/2) cov2 cov1^(1/2), which has the same eigenvalues as cov1 cov2
    (AB and BA share their non-zero eigenvalues): no complex parts from a general matrix square root, and
    singular covariances (fewer samples than features) are fine. Float64; rounding below 0 is clamped.
    """
    mu1, mu2 = (np.asarray(m, dtype=np.float64).reshape(-1) for m in (mu1, mu2))
    cov1, cov2 = (np.atleast_2d(np.asarray(c, dtype=np.float64)) for c in (cov1, cov2))
    d = mu1.shape[0]
    if mu2.shape != (d,) or cov1.shape != (d, d) or cov2.shape != (d, d):
        raise validation.ArgumentError(
            f"need means of shape (d,) and covariances (d, d) with the same d; got {mu1.shape}, {cov1.shape}, "
            f"{mu2.shape}, {cov2.shape}")
    for name, c in (("cov1", cov1), ("cov2", cov2)):
        if not np.all(np.isfinite(c)) or not np.allclose(c, c.T, rtol=1e-8, atol=1e-10 * max(1.0, np.abs(c).max())):
            raise validation.ArgumentError(f"{name} must be a finite symmetric matrix")
    root1 = _sqrt_psd(cov1)
    middle = root1 @ cov2 @ root1
    eig = np.linalg.eigvalsh((middle + middle.T) / 2)
    tr_sqrt = float(np.sqrt(np.clip(eig, 0, None)).sum())
    value = float(((mu1 - mu2) ** 2).sum() + np.trace(cov1) + np.trace(cov2) - 2 * tr_sqrt)
    return max(value, 0.0)


def frechet_distance(a, b) -> float:
    """The Frechet distance between Gaussian fits of two sets of (N, d) features: the formula of FID.

    Each set is summarised by its mean and covariance (``np.cov``: divided by N - 1), then
    :func:`gaussian_frechet` gives ||mu_a - mu_b||^2 + tr(S_a + S_b - 2 (S_a S_b)^(1/2)).

    Fed with the 2048-d pool features of Inception-v3 on 50k images, this *is* FID (Heusel et al. 2017). With
    other features (the course uses its own digit classifier's) the number is a different, smaller-scale quantity:
    compare values computed with the same features and the same sample sizes only. The estimate is biased
    upwards by finite samples (two samples of one distribution give d^2 > 0, shrinking roughly as 1/N).
    """
    a, b = _features("a", a), _features("b", b)
    if a.shape[1] != b.shape[1]:
        raise validation.ArgumentError(f"a and b must have the same number of features, got {a.shape[1]} and {b.shape[1]}")
    for name, x in (("a", a), ("b", b)):
        if len(x) < 2:
            raise validation.ArgumentError(f"{name} needs at least 2 samples to fit a covariance, got {len(x)}")
    a, b = a.numpy(), b.numpy()
    return gaussian_frechet(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))
