"""Exact quantities on a grid: V(G, D), the optimal discriminator D*, KL and Jensen-Shannon divergences.

Densities are passed as *log*-densities evaluated on the grid, and D as *logits*, so nothing underflows:

    D*(x)        = p_data / (p_data + p_g) = sigmoid(log p_data - log p_g)
    V(G, D)      = E_{p_data}[log D] + E_{p_g}[log(1 - D)]
    V(G, D*)     = -log 4 + 2 JSD(p_data || p_g)
    JSD(p || q)  = KL(p || m)/2 + KL(q || m)/2,  log m = logaddexp(log p, log q) - log 2
    W_1(p, q)    = integral |F_p(x) - F_q(x)| dx   (in 1-D, F the cumulative distribution functions)

Integrals use the trapezoid rule on a 1-D grid ``x``, or a Riemann sum with cell volume ``dx`` on any grid.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .contexts import eval_mode

__all__ = [
    "LOG4", "grid_1d", "grid_2d", "gaussian_log_pdf", "integrate", "optimal_d", "optimal_d_logit",
    "value", "value_optimal", "value_mc", "kl", "jsd", "wasserstein_1d", "wasserstein_1d_samples", "d_logits_on",
]

LOG4 = math.log(4.0)


def _t(a) -> torch.Tensor:
    return torch.as_tensor(a, dtype=torch.float64)


def grid_1d(lo: float, hi: float, n: int = 4001) -> torch.Tensor:
    """An evenly spaced float64 grid on [lo, hi] with n points."""
    if not hi > lo:
        raise ValueError(f"grid needs lo < hi, got lo={lo}, hi={hi}")
    if n < 2:
        raise ValueError(f"grid needs at least 2 points, got n={n}")
    return torch.linspace(lo, hi, n, dtype=torch.float64)


def grid_2d(lo: float, hi: float, n: int = 201) -> tuple[torch.Tensor, float]:
    """Points (n*n, 2) of a square grid on [lo, hi]^2 and the area of one cell."""
    axis = grid_1d(lo, hi, n)
    xs, ys = torch.meshgrid(axis, axis, indexing="ij")
    step = float(axis[1] - axis[0])
    return torch.stack([xs.flatten(), ys.flatten()], 1), step * step


def gaussian_log_pdf(x, mu: float = 0.0, sigma: float = 1.0) -> torch.Tensor:
    """log N(x; mu, sigma^2), elementwise."""
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma}")
    x = _t(x)
    return -0.5 * ((x - mu) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)


def integrate(values, x=None, dx: float | None = None) -> float:
    """Integral of ``values`` over the grid: trapezoid rule on a 1-D ``x``, else sum * ``dx``."""
    values = _t(values)
    if (x is None) == (dx is None):
        raise ValueError("pass exactly one of x (a 1-D grid) or dx (the cell volume)")
    if x is not None:
        x = _t(x)
        if x.ndim != 1 or x.shape != values.shape:
            raise ValueError(f"x must be 1-D and match values, got {tuple(x.shape)} and {tuple(values.shape)}")
        return float(torch.trapezoid(values, x))
    return float(values.sum() * dx)


def optimal_d_logit(log_p_data, log_p_g) -> torch.Tensor:
    """The logit of D*: log p_data - log p_g."""
    return _t(log_p_data) - _t(log_p_g)


def optimal_d(log_p_data, log_p_g) -> torch.Tensor:
    """D*(x) = p_data / (p_data + p_g), computed as sigmoid(log p_data - log p_g)."""
    return torch.sigmoid(optimal_d_logit(log_p_data, log_p_g))


def _expect(log_p, f, x, dx):
    """E_p[f] = integral of exp(log_p) * f, with 0 * anything = 0 where the density underflows."""
    p = torch.exp(_t(log_p))
    f = _t(f)
    return integrate(torch.where(p > 0, p * f, torch.zeros_like(p)), x, dx)


def value(d_logit, log_p_data, log_p_g, x=None, dx=None) -> float:
    """V(G, D) = E_{p_data}[log D(x)] + E_{p_g}[log(1 - D(x))] for D given by its logits on the grid."""
    d_logit = _t(d_logit)
    return _expect(log_p_data, -F.softplus(-d_logit), x, dx) + _expect(log_p_g, -F.softplus(d_logit), x, dx)


def value_optimal(log_p_data, log_p_g, x=None, dx=None) -> float:
    """V(G, D*): the value function at the optimal discriminator."""
    return value(optimal_d_logit(log_p_data, log_p_g), log_p_data, log_p_g, x, dx)


def value_mc(d_real: torch.Tensor, d_fake: torch.Tensor) -> float:
    """The Monte-Carlo estimate of V(G, D) from D's logits on real samples and on G's samples."""
    return float(-F.softplus(-d_real.double()).mean() - F.softplus(d_fake.double()).mean())


def kl(log_p, log_q, x=None, dx=None) -> float:
    """KL(p || q) = E_p[log p - log q]."""
    return _expect(log_p, _t(log_p) - _t(log_q), x, dx)


def jsd(log_p, log_q, x=None, dx=None) -> float:
    """JSD(p || q) = KL(p || m)/2 + KL(q || m)/2 with m = (p + q)/2; it is at most log 2."""
    log_p, log_q = _t(log_p), _t(log_q)
    log_m = torch.logaddexp(log_p, log_q) - math.log(2.0)
    return 0.5 * kl(log_p, log_m, x, dx) + 0.5 * kl(log_q, log_m, x, dx)


def wasserstein_1d(log_p, log_q, x) -> float:
    """W_1(p, q) of two 1-D densities on the grid ``x``: the area between their CDFs, integral |F_p - F_q| dx.

    The CDFs are cumulative trapezoid sums of exp(log density), each normalised to 1 on the grid, so the grid
    must hold (almost) all of both masses.
    """
    x = _t(x)
    log_p, log_q = _t(log_p), _t(log_q)
    if x.ndim != 1 or x.shape != log_p.shape or x.shape != log_q.shape:
        raise ValueError(f"x, log_p and log_q must be 1-D and of one shape, got {tuple(x.shape)}, "
                         f"{tuple(log_p.shape)} and {tuple(log_q.shape)}")

    def cdf(log_d):
        d = torch.exp(log_d)
        cells = 0.5 * (d[1:] + d[:-1]) * (x[1:] - x[:-1])
        total = cells.sum()
        if not total > 0:
            raise ValueError("a density has no mass on the grid; widen the grid")
        return torch.cat([cells.new_zeros(1), torch.cumsum(cells, 0)]) / total

    return integrate((cdf(log_p) - cdf(log_q)).abs(), x)


def wasserstein_1d_samples(a, b) -> float:
    """W_1 between the empirical distributions of two equal-sized 1-D samples: mean |sort(a) - sort(b)|.

    In 1-D the optimal transport plan matches the i-th smallest of ``a`` with the i-th smallest of ``b``.
    """
    a, b = _t(a).flatten(), _t(b).flatten()
    if a.numel() == 0 or a.numel() != b.numel():
        raise ValueError(f"a and b must be non-empty and of equal size, got {a.numel()} and {b.numel()}")
    return float((torch.sort(a).values - torch.sort(b).values).abs().mean())


@torch.no_grad()
def d_logits_on(D: torch.nn.Module, x) -> torch.Tensor:
    """Evaluate a discriminator's logits on grid points (1-D grids become (N, 1)); returns float64 on the CPU."""
    x = _t(x)
    if x.ndim == 1:
        x = x[:, None]
    param = next(D.parameters(), None)
    dev = param.device if param is not None else torch.device("cpu")
    with eval_mode(D):
        return D(x.to(dev, torch.float32)).double().cpu().reshape(-1)
