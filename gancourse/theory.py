"""Exact quantities on a grid: V(G, D), the optimal discriminator D*, KL and Jensen-Shannon divergences.

Densities are passed as *log*-densities evaluated on the grid, and D as *logits*, so nothing underflows:

    D*(x)        = p_data / (p_data + p_g) = sigmoid(log p_data - log p_g)
    V(G, D)      = E_{p_data}[log D] + E_{p_g}[log(1 - D)]
    V(G, D*)     = -log 4 + 2 JSD(p_data || p_g)
    JSD(p || q)  = KL(p || m)/2 + KL(q || m)/2,  log m = logaddexp(log p, log q) - log 2
    W_1(p, q)    = integral |F_p(x) - F_q(x)| dx   (in 1-D, F the cumulative distribution functions)

Integrals use the trapezoid rule on a 1-D grid ``x``, or a Riemann sum with cell volume ``dx`` on any grid.

Every function takes tensors, NumPy arrays or lists and checks them (:func:`gancourse.validation.array`): numbers,
not empty, no NaN, and the shapes that must agree do; log-densities may hold -inf (a zero density).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import validation
from .contexts import eval_mode

__all__ = [
    "LOG4", "grid_1d", "grid_2d", "gaussian_log_pdf", "integrate", "optimal_d", "optimal_d_logit",
    "value", "value_optimal", "value_mc", "kl", "jsd", "wasserstein_1d", "wasserstein_1d_samples", "d_logits_on",
    "soft_penalty_critic_1d",
]

LOG4 = math.log(4.0)


def _t(a, name: str = "values") -> torch.Tensor:
    return validation.array(name, a)


def _grid(**named) -> list[torch.Tensor]:
    """The named arrays, checked, as float64 tensors of one shape."""
    out = [_t(v, k) for k, v in named.items()]
    validation.same_shape(" and ".join(named), *out)
    return out


def grid_1d(lo: float, hi: float, n: int = 4001) -> torch.Tensor:
    """An evenly spaced float64 grid on [lo, hi] with n points."""
    lo, hi = validation.number("lo", lo), validation.number("hi", hi)
    if not hi > lo:
        raise validation.ArgumentError(f"the grid needs lo < hi, got lo={lo}, hi={hi}")
    n = validation.integer("n (grid points)", n, low=2)
    return torch.linspace(lo, hi, n, dtype=torch.float64)


def grid_2d(lo: float, hi: float, n: int = 201) -> tuple[torch.Tensor, float]:
    """Points (n*n, 2) of a square grid on [lo, hi]^2 and the area of one cell."""
    axis = grid_1d(lo, hi, n)
    xs, ys = torch.meshgrid(axis, axis, indexing="ij")
    step = float(axis[1] - axis[0])
    return torch.stack([xs.flatten(), ys.flatten()], 1), step * step


def gaussian_log_pdf(x, mu: float = 0.0, sigma: float = 1.0) -> torch.Tensor:
    """log N(x; mu, sigma^2), elementwise."""
    mu, sigma = validation.number("mu", mu), validation.positive("sigma", sigma)
    x = validation.array("x", x, nonempty=False)
    return -0.5 * ((x - mu) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)


def integrate(values, x=None, dx: float | None = None) -> float:
    """Integral of ``values`` over the grid: trapezoid rule on a 1-D ``x``, else sum * ``dx``."""
    values = _t(values)
    if (x is None) == (dx is None):
        raise validation.ArgumentError("pass exactly one of x (a 1-D grid) or dx (the cell volume)")
    if x is not None:
        x = validation.array("x", x, ndim=1, finite=True)
        if x.shape != values.shape:
            raise validation.ArgumentError(f"x must match the values' shape, got {tuple(x.shape)} and "
                                           f"{tuple(values.shape)}")
        return float(torch.trapezoid(values, x))
    return float(values.sum() * validation.positive("dx", dx))


def optimal_d_logit(log_p_data, log_p_g) -> torch.Tensor:
    """The logit of D*: log p_data - log p_g."""
    log_p_data, log_p_g = _grid(log_p_data=log_p_data, log_p_g=log_p_g)
    return log_p_data - log_p_g


def optimal_d(log_p_data, log_p_g) -> torch.Tensor:
    """D*(x) = p_data / (p_data + p_g), computed as sigmoid(log p_data - log p_g)."""
    return torch.sigmoid(optimal_d_logit(log_p_data, log_p_g))


def _expect(log_p, f, x, dx):
    """E_p[f] = integral of exp(log_p) * f, with 0 * anything = 0 where the density underflows."""
    p = torch.exp(log_p)  # both checked by the caller; f may hold NaN where p = 0 (-inf - -inf)
    return integrate(torch.where(p > 0, p * f, torch.zeros_like(p)), x, dx)


def value(d_logit, log_p_data, log_p_g, x=None, dx=None) -> float:
    """V(G, D) = E_{p_data}[log D(x)] + E_{p_g}[log(1 - D(x))] for D given by its logits on the grid."""
    d_logit, log_p_data, log_p_g = _grid(d_logit=d_logit, log_p_data=log_p_data, log_p_g=log_p_g)
    return _expect(log_p_data, -F.softplus(-d_logit), x, dx) + _expect(log_p_g, -F.softplus(d_logit), x, dx)


def value_optimal(log_p_data, log_p_g, x=None, dx=None) -> float:
    """V(G, D*): the value function at the optimal discriminator."""
    return value(optimal_d_logit(log_p_data, log_p_g), log_p_data, log_p_g, x, dx)


def value_mc(d_real: torch.Tensor, d_fake: torch.Tensor) -> float:
    """The Monte-Carlo estimate of V(G, D) from D's logits on real samples and on G's samples."""
    d_real, d_fake = validation.array("d_real", d_real), validation.array("d_fake", d_fake)
    return float(-F.softplus(-d_real.double()).mean() - F.softplus(d_fake.double()).mean())


def kl(log_p, log_q, x=None, dx=None) -> float:
    """KL(p || q) = E_p[log p - log q]."""
    log_p, log_q = _grid(log_p=log_p, log_q=log_q)
    return _expect(log_p, log_p - log_q, x, dx)


def jsd(log_p, log_q, x=None, dx=None) -> float:
    """JSD(p || q) = KL(p || m)/2 + KL(q || m)/2 with m = (p + q)/2; it is at most log 2."""
    log_p, log_q = _grid(log_p=log_p, log_q=log_q)
    log_m = torch.logaddexp(log_p, log_q) - math.log(2.0)
    return 0.5 * kl(log_p, log_m, x, dx) + 0.5 * kl(log_q, log_m, x, dx)


def wasserstein_1d(log_p, log_q, x) -> float:
    """W_1(p, q) of two 1-D densities on the grid ``x``: the area between their CDFs, integral |F_p - F_q| dx.

    The CDFs are cumulative trapezoid sums of exp(log density), each normalised to 1 on the grid, so the grid
    must hold (almost) all of both masses.
    """
    x = validation.array("x", x, ndim=1, finite=True)
    log_p, log_q = _t(log_p, "log_p"), _t(log_q, "log_q")
    if not x.shape == log_p.shape == log_q.shape:
        raise validation.ArgumentError(f"x, log_p and log_q must be 1-D and of one shape, got {tuple(x.shape)}, "
                                       f"{tuple(log_p.shape)} and {tuple(log_q.shape)}")

    def cdf(log_d):
        d = torch.exp(log_d)
        cells = 0.5 * (d[1:] + d[:-1]) * (x[1:] - x[:-1])
        total = cells.sum()
        if not total > 0:
            raise validation.ArgumentError("log_p or log_q has no mass on the grid x; widen the grid")
        return torch.cat([cells.new_zeros(1), torch.cumsum(cells, 0)]) / total

    return integrate((cdf(log_p) - cdf(log_q)).abs(), x)


def wasserstein_1d_samples(a, b) -> float:
    """W_1 between the empirical distributions of two equal-sized 1-D samples: mean |sort(a) - sort(b)|.

    In 1-D the optimal transport plan matches the i-th smallest of ``a`` with the i-th smallest of ``b``.
    """
    a = validation.array("a", a, finite=True).flatten()
    b = validation.array("b", b, finite=True).flatten()
    if a.numel() != b.numel():
        raise validation.ArgumentError(f"a and b must be of equal size, got {a.numel()} and {b.numel()}")
    return float((torch.sort(a).values - torch.sort(b).values).abs().mean())


def soft_penalty_critic_1d(mu_real: float, std_real: float, mu_fake: float, std_fake: float, lam: float,
                           n: int = 4001, n_eps: int = 1000, width: float = 12.0) -> dict:
    """The best critic under WGAN-GP's soft penalty, exactly, for two 1-D Gaussians (real p, fake q).

    The critic f maximises J(f) = E_p f - E_q f - lam * E_xhat (|f'(xhat)| - 1)^2, where xhat = eps x + (1 - eps) y
    with x ~ p, y ~ q, eps ~ U[0, 1]. In 1-D, integrating by parts, E_p f - E_q f = int f'(x) Delta(x) dx with
    Delta = F_q - F_p (the CDFs), and the penalty is lam * int rho(x) (|f'(x)| - 1)^2 dx with rho the density of
    xhat. Both are integrals over x of a function of the slope g = f'(x) alone, so the best slope is chosen pointwise:

        g*(x) = sign(Delta) * (1 + |Delta| / (2 lam rho)),
        J*    = int |Delta| + Delta^2 / (4 lam rho) dx,        E* = E_p f* - E_q f* = int |Delta| + Delta^2 / (2 lam rho) dx,

    where int |Delta| dx = W_1(p, q). rho is a mixture over eps of N(eps mu_p + (1 - eps) mu_q,
    eps^2 std_p^2 + (1 - eps)^2 std_q^2), integrated with the midpoint rule on ``n_eps`` points; x runs over
    ``n`` points, ``width`` standard deviations beyond both means. Everything is in float64, the ratio
    Delta^2 / rho in log space (both vanish in the tails).

    Returns ``{"w1", "estimate", "objective", "x", "slope"}``: W_1, E*, J*, the grid and g* on it.
    Note: with a two-sided penalty, slopes of the wrong sign are a second, worse local maximum
    (|g| = 1 - |Delta| / (2 lam rho) where that is positive): a critic that starts there stays there.
    """
    mu_real, mu_fake = validation.number("mu_real", mu_real), validation.number("mu_fake", mu_fake)
    std_real, std_fake = validation.positive("std_real", std_real), validation.positive("std_fake", std_fake)
    lam, width = validation.positive("lam", lam), validation.positive("width", width)
    n, n_eps = validation.integer("n (grid points)", n, low=2), validation.positive_int("n_eps", n_eps)
    s_max = max(std_real, std_fake)
    x = torch.linspace(min(mu_real, mu_fake) - width * s_max, max(mu_real, mu_fake) + width * s_max, n,
                       dtype=torch.float64)
    a, b = (x - mu_fake) / std_fake, (x - mu_real) / std_real
    mid = 0.5 * (mu_real + mu_fake)
    ndtr = torch.special.ndtr
    delta = torch.where(x < mid, ndtr(a) - ndtr(b), ndtr(-b) - ndtr(-a))  # F_q - F_p, with tails kept accurate
    eps = (torch.arange(n_eps, dtype=torch.float64) + 0.5) / n_eps
    log_rho = torch.full_like(x, -math.inf)
    for chunk in eps.split(250):
        m = chunk * mu_real + (1 - chunk) * mu_fake
        sd = torch.sqrt(chunk**2 * std_real**2 + (1 - chunk) ** 2 * std_fake**2)
        log_pdf = -0.5 * ((x[None] - m[:, None]) / sd[:, None]) ** 2 - torch.log(sd[:, None] * math.sqrt(2 * math.pi))
        log_rho = torch.logaddexp(log_rho, torch.logsumexp(log_pdf, 0))
    log_rho = log_rho - math.log(n_eps)
    ratio = torch.exp(2 * torch.log(delta.abs()) - log_rho)  # Delta^2 / rho; 0 where Delta = 0
    w1 = integrate(delta.abs(), x)
    return {"w1": w1, "estimate": w1 + integrate(ratio, x) / (2 * lam), "objective": w1 + integrate(ratio, x) / (4 * lam),
            "x": x, "slope": torch.sign(delta) * (1 + delta.abs() * torch.exp(-log_rho) / (2 * lam))}


@torch.no_grad()
def d_logits_on(D: torch.nn.Module, x) -> torch.Tensor:
    """Evaluate a discriminator's logits on grid points (1-D grids become (N, 1)); returns float64 on the CPU."""
    D = validation.module("D", D)
    x = validation.array("x", x, ndim=(1, 2))
    if x.ndim == 1:
        x = x[:, None]
    param = next(D.parameters(), None)
    dev = param.device if param is not None else torch.device("cpu")
    with eval_mode(D):
        try:
            out = D(x.to(dev, torch.float32))
        except RuntimeError as e:
            raise validation.ArgumentError(f"x of shape {tuple(x.shape)} does not fit D: {e}") from e
        return out.double().cpu().reshape(-1)
