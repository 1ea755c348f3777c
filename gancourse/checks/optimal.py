"""Checkers of lesson 02: the optimal discriminator's logit from log-densities, and the Jensen-Shannon divergence
on a grid. The references are written out here with numpy (log-sum-exp by hand, the trapezoid rule), not with
:mod:`gancourse.theory`."""
from __future__ import annotations

import math

import numpy as np
import torch

from .core import fail, name_of, number, passed, raised

__all__ = ["check_optimal_d_logit", "check_jsd_on_grid"]

LOG2 = math.log(2.0)


# ---------------------------------------------------------------------------------------------- D*'s logit
# log p_data and log p_g at seven points: ordinary values, densities far below float64's smallest number (-800:
# exp() gives exactly 0), and the boundary cases a = 0 (p_data = 0: log = -inf) and b = 0 (p_g = 0).
_LOG_A = [-1.0, -3.2, -0.3, -800.0, -830.0, -math.inf, -0.5]
_LOG_B = [-1.0, -0.7, -4.1, -850.0, -790.0, -2.0, -math.inf]


def check_optimal_d_logit(fn) -> None:
    """Check ``fn(log_p_data, log_p_g)``: the logit of D* = p_data / (p_data + p_g), elementwise, from log-densities.

    The right answer is log p_data - log p_g: finite wherever both densities are positive (however small: the
    densities themselves may underflow to 0), -inf where p_data = 0 < p_g (D* = 0) and +inf where p_g = 0 < p_data
    (D* = 1). Where both are 0, D does not matter and any value is accepted.
    """
    name = name_of(fn)
    a = torch.tensor(_LOG_A, dtype=torch.float64)
    b = torch.tensor(_LOG_B, dtype=torch.float64)
    try:
        out = fn(a.clone(), b.clone())
    except Exception as exc:
        raised(name, exc, f"called with log p_data = {_LOG_A} and log p_g = {_LOG_B} (float64)")
    if not isinstance(out, torch.Tensor) or out.shape != a.shape:
        fail(name, f"return a tensor of logits shaped like the inputs {tuple(a.shape)}, got "
                    f"{tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}")
    checks = 1
    got = [float(v) for v in out.detach().double()]
    want = [x - y for x, y in zip(_LOG_A, _LOG_B)]
    finite = [i for i, w in enumerate(want) if math.isfinite(w)]
    ordinary = [i for i in finite if _LOG_A[i] > -50 and _LOG_B[i] > -50]

    def close(values, index, ref=want):
        return all(math.isclose(values[i], ref[i], rel_tol=1e-6, abs_tol=1e-9) for i in index)

    if not close(got, ordinary):
        d_star = [1 / (1 + math.exp(_LOG_B[i] - _LOG_A[i])) for i in range(len(want))]
        slips = {
            "the sign is flipped: D* says 'real' where p_data is larger, so its logit is log p_data - log p_g":
                [-w for w in want],
            "this is D* itself (a probability); the exercise asks for its logit, log(D* / (1 - D*))": d_star,
            "this is log D* (a log-probability); the logit is log D* - log(1 - D*) = log p_data - log p_g":
                [math.log(d) if d > 0 else -math.inf for d in d_star],
            "this is the density ratio p_data / p_g; the logit is its log": [math.exp(w) for w in want],
        }
        for why, values in slips.items():
            if close(got, ordinary, values):
                fail(name, f"{why}.")
        fail(name, "at ordinary densities got " + ", ".join(f"{got[i]:.6g}" for i in ordinary) + "; expected "
             + ", ".join(f"{want[i]:.6g}" for i in ordinary) + " (log p_data - log p_g).")
    checks += 1
    tiny = [i for i in finite if i not in ordinary]
    if not close(got, tiny):
        bad = [i for i in tiny if not math.isclose(got[i], want[i], rel_tol=1e-6, abs_tol=1e-9)]
        shown = ", ".join(f"log p_data = {_LOG_A[i]:g}, log p_g = {_LOG_B[i]:g}: got {got[i]}, expected {want[i]:g}"
                          for i in bad)
        why = ""
        if any(math.isnan(got[i]) or math.isinf(got[i]) for i in bad):
            why = (" You went through the densities (exp, then p / (p + q)): both underflow to 0 here and D* = 0/0 "
                   "gives nan (or log 0 = -inf). Stay in log space: the logit needs no exp at all.")
        fail(name, f"where both densities are tiny but positive ({shown}).{why}")
    checks += 1
    for i in (i for i, w in enumerate(want) if math.isinf(w)):
        ok = got[i] == want[i] or (not math.isnan(got[i]) and (got[i] > 745 if want[i] > 0 else got[i] < -745))
        if not ok:
            side = "p_data = 0 < p_g there, so D* = 0" if want[i] < 0 else "p_g = 0 < p_data there, so D* = 1"
            fail(name, f"at log p_data = {_LOG_A[i]}, log p_g = {_LOG_B[i]} got {got[i]}: {side}, a limit that no "
                        f"finite logit reaches; log p_data - log p_g gives {want[i]} there.")
    checks += 1
    passed(name, checks)


# ---------------------------------------------------------------------------------------------- JSD on a grid
def _gauss(x, mu, sigma):
    return -0.5 * ((x - mu) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)


def _trapezoid(y, x):
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


def _xlogr(p, log_p, log_m):
    """p (log p - log m) with 0 where p = 0: the 0 log 0 = 0 convention."""
    out = np.zeros_like(p)
    keep = p > 0
    out[keep] = p[keep] * (log_p[keep] - log_m[keep])
    return out


def _kl_to_mixture(log_p, log_q, x):
    """KL(p || m) and KL(q || m) on the grid x, written out with numpy: m = (p + q)/2 by log-sum-exp, 0 log 0 = 0,
    trapezoids."""
    log_p, log_q, x = (np.asarray(v, dtype=np.float64) for v in (log_p, log_q, x))
    hi = np.maximum(log_p, log_q)
    safe = np.where(np.isfinite(hi), hi, 0.0)
    with np.errstate(divide="ignore"):
        log_m = safe + np.log(np.exp(log_p - safe) + np.exp(log_q - safe)) - LOG2
    p, q = np.exp(log_p), np.exp(log_q)
    return _trapezoid(_xlogr(p, log_p, log_m), x), _trapezoid(_xlogr(q, log_q, log_m), x)


def reference_jsd(log_p, log_q, x):
    """JSD(p || q) = KL(p || m)/2 + KL(q || m)/2 on the grid x (see :func:`_kl_to_mixture`)."""
    kl_p, kl_q = _kl_to_mixture(log_p, log_q, x)
    return 0.5 * kl_p + 0.5 * kl_q


def _uniform(x, lo, hi):
    return np.where((x >= lo) & (x <= hi), -math.log(hi - lo), -math.inf)


def _cases():
    """(label, log_p, log_q, x): two Gaussians, the same on a grid wide enough for their densities to underflow to
    0, and two uniforms with disjoint supports (log-densities -inf off them; JSD = log 2)."""
    narrow = np.linspace(-8.0, 10.0, 3601)
    wide = np.linspace(-60.0, 60.0, 24001)
    shifted = np.linspace(-2.00125, 5.99875, 3201)  # steps of 0.0025; every jump of the uniforms falls mid-step
    return [
        ("N(0, 1) and N(1.5, 0.7^2) on [-8, 10]", _gauss(narrow, 0, 1), _gauss(narrow, 1.5, 0.7), narrow),
        ("the same Gaussians on [-60, 60], where both densities underflow to 0", _gauss(wide, 0, 1),
         _gauss(wide, 1.5, 0.7), wide),
        ("U[0, 1] and U[3, 4] (log-densities -inf off their supports)", _uniform(shifted, 0, 1),
         _uniform(shifted, 3, 4), shifted),
    ]


def check_jsd_on_grid(fn) -> None:
    """Check ``fn(log_p, log_q, x)``: JSD(p || q) = KL(p || m)/2 + KL(q || m)/2 with m = (p + q)/2, integrated over
    the 1-D grid ``x`` (float64 tensors), from log-densities.

    Three cases: two Gaussians (the value, and the usual slips: no dx, m = p + q, no 1/2, bits); the same on a
    wide grid where the densities underflow (m must come from log-sum-exp); disjoint uniforms, whose log-densities
    are -inf (0 log 0 must count as 0). The trapezoid rule and a sum times dx are both accepted: on these grids the
    densities vanish at both ends, where the two differ.
    """
    name = name_of(fn)
    checks = 0
    for case, (label, log_p, log_q, x) in enumerate(_cases()):
        args = [torch.tensor(v, dtype=torch.float64) for v in (log_p, log_q, x)]
        try:
            out = fn(*args)
        except Exception as exc:
            raised(name, exc, f"called with {label}")
        value = number(name, out)  # one number: the integral
        want = reference_jsd(log_p, log_q, x)
        if math.isclose(value, want, rel_tol=1e-7, abs_tol=1e-9):
            checks += 1
            continue
        if not math.isfinite(value):
            if case == 1:
                fail(name, f"{label}: got {value}. exp(log p) underflows to 0 here (or to a number so small that "
                            "(p + q)/2 rounds to 0), so log m = -inf and p (log p - log m) is 0 * inf = nan or "
                            "p * inf = inf. Compute log m without leaving log space: "
                            "log m = torch.logaddexp(log_p, log_q) - log 2.")
            if case == 2 and math.isnan(value):
                fail(name, f"{label}: got nan. Off its support a density is 0 and its log is -inf, so "
                            "p (log p - log m) is 0 * (-inf) = nan; such points add nothing to the integral: count "
                            "them as 0, e.g. torch.where(p > 0, p * (log_p - log_m), 0.0).")
            fail(name, f"{label}: got {value}, expected {want:.6g}.")
        dx = float(x[1] - x[0])
        kl_p, kl_q = _kl_to_mixture(log_p, log_q, x)
        slips = {
            "you summed the integrand without multiplying by dx (or use torch.trapezoid(y, x))": want / dx,
            "m is p + q; the mixture is m = (p + q)/2 (log m = logaddexp(log p, log q) - log 2)": want - LOG2,
            "the two KL terms are not halved: JSD = KL(p || m)/2 + KL(q || m)/2": 2 * want,
            "only KL(p || m)/2 is there; add KL(q || m)/2": 0.5 * kl_p,
            "only KL(p || m) is there; JSD = KL(p || m)/2 + KL(q || m)/2": kl_p,
            "the result is in bits (log base 2); use natural logs (nats)": want / LOG2,
        }
        for why, v in slips.items():
            if math.isclose(value, v, rel_tol=1e-6, abs_tol=1e-9):
                fail(name, f"{label}: got {value:.6g}, expected {want:.6g}: {why}.")
        fail(name, f"{label}: got {value:.6g}, expected {want:.6g}.")
    passed(name, checks)
