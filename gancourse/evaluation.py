"""Evaluating a GAN on features (lesson 12): :func:`precision_recall` (k-nearest-neighbour manifolds,
Kynkaanniemi et al. 2019) and :func:`frechet_distance` between Gaussian fits (the formula of FID, Heusel et al.
2017, on whatever features you pass). ``gc.metrics`` re-exports all three beside the mode-coverage protocol.
"""
from __future__ import annotations

import numpy as np
import torch

from . import validation

__all__ = ["precision_recall", "frechet_distance", "gaussian_frechet"]


def _features(name: str, a) -> torch.Tensor:
    """(N, d) features as a float64 CPU tensor; tensors, arrays and lists accepted, NaN/inf and empty sets refused."""
    return validation.array(name, a, ndim=2, finite=True)


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


def _covariance(name: str, c, d: int) -> np.ndarray:
    """A (d, d) covariance (a number when d = 1) as a float64 array: finite, symmetric, positive semi-definite."""
    c = np.atleast_2d(validation.array(name, c, ndim=(0, 2), finite=True).numpy())
    if c.shape != (d, d):
        raise validation.ArgumentError(f"{name} must be a ({d}, {d}) matrix like the means' d = {d}, got {c.shape}")
    scale = max(1.0, float(np.abs(c).max()))
    if not np.allclose(c, c.T, rtol=1e-8, atol=1e-10 * scale):
        raise validation.ArgumentError(f"{name} must be a symmetric matrix (a covariance)")
    if np.linalg.eigvalsh((c + c.T) / 2).min() < -1e-8 * scale:
        raise validation.ArgumentError(f"{name} must be positive semi-definite (a covariance), it has a negative "
                                       f"eigenvalue {np.linalg.eigvalsh((c + c.T) / 2).min():.3g}")
    return c


def gaussian_frechet(mu1, cov1, mu2, cov2) -> float:
    """The Frechet (2-Wasserstein squared) distance between N(mu1, cov1) and N(mu2, cov2), in closed form:

        d^2 = ||mu1 - mu2||^2 + tr(cov1 + cov2 - 2 (cov1 cov2)^(1/2))

    tr (cov1 cov2)^(1/2) is computed as the sum of the square roots of the eigenvalues of the symmetric
    positive semi-definite matrix cov1^(1/2) cov2 cov1^(1/2), which has the same eigenvalues as cov1 cov2
    (AB and BA share their non-zero eigenvalues): no complex parts from a general matrix square root, and
    singular covariances (fewer samples than features) are fine. Float64; rounding below 0 is clamped.
    """
    mu1 = validation.array("mu1", mu1, ndim=(0, 1), finite=True).reshape(-1).numpy()
    d = mu1.shape[0]
    mu2 = validation.array("mu2", mu2, ndim=(0, 1), finite=True).reshape(-1).numpy()
    if mu2.shape != (d,):
        raise validation.ArgumentError(f"mu2 must have shape ({d},) like mu1, got {mu2.shape}")
    cov1, cov2 = (_covariance(name, c, d) for name, c in (("cov1", cov1), ("cov2", cov2)))
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
