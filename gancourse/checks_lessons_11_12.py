"""Checkers for the exercises of lessons 11 (training dynamics) and 12 (evaluation).

Each checker calls *your* function on hand-picked inputs whose right answer is computed here independently (from
the formulas, never from the course's own solution), prints a verdict and raises ``AssertionError`` when something
is wrong. When the value is wrong it tries to say *how*: each usual slip gives a recognisable number::

    gc.checks_lessons_11_12.check_d_loss_r1(d_loss_r1)              # lesson 11: D's loss with the R1 penalty
    gc.checks_lessons_11_12.check_dirac_jacobian(dirac_jacobian)    # lesson 11: the Dirac-GAN's Jacobian at 0
    gc.checks_lessons_11_12.check_frechet_distance(frechet)         # lesson 12: d^2 between two Gaussians
    gc.checks_lessons_11_12.check_acceptance_probability(accept)    # lesson 12: DRS's acceptance rule
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from scipy import linalg
from torch import nn

__all__ = ["ExerciseFailed", "check_d_loss_r1", "check_dirac_jacobian", "check_frechet_distance",
           "check_acceptance_probability"]


class ExerciseFailed(AssertionError):
    """A checker found a mistake; the message says what was expected and, when it can, what went wrong."""


def _fail(name: str, message: str):
    text = f"❌ {name}: {message}"
    print(text)
    raise ExerciseFailed(text)


def _call(name: str, fn, args: tuple, how: str):
    try:
        return fn(*args)
    except NotImplementedError:
        _fail(name, "not written yet: see the hint in the exercise cell, fill it in, run it, then run this cell again.")
    except OverflowError as exc:
        _fail(name, f"raised OverflowError ({exc}) when called as {how}: exp of a large number overflows; "
                    "subtract first and exponentiate the difference.")
    except Exception as exc:  # the learner's code raised: say where
        _fail(name, f"raised {type(exc).__name__}: {exc} (called as {how})")


def _passed(name: str, n: int):
    print(f"✅ {name}: {n} checks passed")


def _name(fn) -> str:
    return getattr(fn, "__name__", "your function")


def _number(name: str, out) -> float:
    """A scalar return value (tensor, NumPy or Python number) as a float, or a failure saying why it is not one."""
    if isinstance(out, torch.Tensor):
        if out.numel() != 1:
            _fail(name, f"return one number, got a tensor of shape {tuple(out.shape)}")
        out = out.detach().reshape(())
        if out.is_complex():
            _fail(name, "the result is complex: a matrix square root of a product of covariances can carry tiny "
                        "imaginary parts from rounding; take the real part (.real) at the end")
        return float(out)
    if isinstance(out, (complex, np.complexfloating)) or (isinstance(out, np.ndarray) and np.iscomplexobj(out)):
        _fail(name, "the result is complex: scipy.linalg.sqrtm can return tiny imaginary parts from rounding; "
                    "take the real part (.real) of the square root")
    try:
        value = float(np.asarray(out).reshape(()))
    except Exception:
        _fail(name, f"return one number, got {type(out).__name__} {out!r}")
    return value


def _match(value: float, candidates: dict, expected: float, rel: float = 1e-4) -> str:
    if math.isnan(value):
        return f"got NaN, expected {expected:.6g}."
    for slip, v in candidates.items():
        if v is not None and math.isfinite(v) and math.isclose(value, v, rel_tol=rel, abs_tol=1e-7):
            return f"got {value:.6g}, expected {expected:.6g}: that is the value you get when {slip}."
    return f"got {value:.6g}, expected {expected:.6g}."


# ---------------------------------------------------------------------------------------------- R1 (lesson 11)
class _QuadraticD(nn.Module):
    """D(x) = sum(0.5 a x^2 + b x) per sample: grad_x D = a x + b in closed form. Records where it was called."""

    def __init__(self, shape):
        super().__init__()
        gen = torch.Generator().manual_seed(11)
        self.a = nn.Parameter(torch.tensor(0.8))
        self.b = nn.Parameter(0.5 * torch.randn(shape, generator=gen))
        self.calls = []

    def forward(self, x):
        self.calls.append((x.detach().clone(), x.requires_grad))
        return (0.5 * self.a * x.pow(2) + self.b * x).flatten(1).sum(1)


def check_d_loss_r1(fn, gamma: float = 3.0) -> None:
    """Check ``fn(D, real, fake, gamma)``: the minimax D loss plus R1 = (gamma/2) E_real ||grad_x D(x)||^2.

    D is a mock with a known input gradient (a x + b), the batches are tiny images, so the value is exact; the
    penalty must also carry a gradient to D's weights (``create_graph=True``), since D is trained on it."""
    name = _name(fn)
    gen = torch.Generator().manual_seed(12)
    real = torch.randn(5, 1, 2, 2, generator=gen) + 0.5
    fake = torch.randn(5, 1, 2, 2, generator=gen) - 0.5
    D = _QuadraticD(real.shape[1:])
    out = _call(name, fn, (D, real, fake, gamma), f"{name}(D, real, fake, gamma={gamma}) on images (5, 1, 2, 2)")
    if not isinstance(out, torch.Tensor):
        _fail(name, f"return a torch tensor (D is trained on it), got {type(out).__name__}")
    value = _number(name, out)
    checks = 1
    with torch.enable_grad():
        a, b = D.a.detach().requires_grad_(True), D.b.detach().requires_grad_(True)

        def logits(x):
            return (0.5 * a * x.pow(2) + b * x).flatten(1).sum(1)

        def sq_norms(x):
            return (a * x + b).flatten(1).pow(2).sum(1)

        gan = F.softplus(-logits(real)).mean() + F.softplus(logits(fake)).mean()
        penalty = 0.5 * gamma * sq_norms(real).mean()
        expected_t = gan + penalty
        grads = torch.autograd.grad(expected_t, [a, b])
    expected = float(expected_t.detach())
    if not math.isclose(value, expected, rel_tol=1e-4, abs_tol=1e-6):
        g, p = float(gan.detach()), float(penalty.detach())
        norms_real = sq_norms(real).detach().sqrt()
        candidates = {
            "the penalty uses the fakes, not the real data (R1 is taken on real samples only)":
                g + 0.5 * gamma * float(sq_norms(fake).detach().mean()),
            "the penalty is taken on both real and fake samples (R1 uses the real data only)":
                g + 0.5 * gamma * float(sq_norms(torch.cat([real, fake])).detach().mean()),
            "gamma multiplies the penalty without the 1/2 (R1 = (gamma/2) E||grad||^2)": g + 2 * p,
            "the gradient's norm is not squared": g + 0.5 * gamma * float(norms_real.mean()),
            "the penalty is WGAN-GP's (||grad|| - 1)^2 instead of R1's ||grad||^2":
                g + 0.5 * gamma * float(((norms_real - 1) ** 2).mean()),
            "the squared norms are summed over the batch instead of averaged": g + p * len(real),
            "the penalty is subtracted (D minimises its loss plus the penalty)": g - p,
            "the GAN loss is missing (return the minimax D loss plus the penalty)": p,
            "the penalty is missing": g,
            "the norm is taken over one image axis only (flatten each sample: grad.flatten(1))":
                g + 0.5 * gamma * float(((a * real + b).detach().pow(2).sum(-1)).mean()),
        }
        interpolated = [x for x, req in D.calls if req and not (torch.allclose(x, real) or torch.allclose(x, fake))]
        if interpolated and interpolated[-1].shape == real.shape:
            _fail(name, "D's input gradient was taken at points between real and fake samples (WGAN-GP's "
                        "interpolates); R1 takes it at the real samples themselves.")
        _fail(name, _match(value, candidates, expected))
    checks += 1
    D.zero_grad(set_to_none=True)
    if not out.requires_grad:
        _fail(name, "the loss carries no gradient to D's weights: take the input gradient with "
                    "torch.autograd.grad(..., create_graph=True) so that D can be trained on the penalty.")
    try:
        out.backward()
    except RuntimeError as exc:
        _fail(name, f"backward() through your loss failed ({exc}); use create_graph=True in torch.autograd.grad.")
    if D.a.grad is None or D.b.grad is None or not (
            torch.allclose(D.a.grad, grads[0], rtol=1e-4, atol=1e-6)
            and torch.allclose(D.b.grad, grads[1], rtol=1e-4, atol=1e-6)):
        _fail(name, "the value is right but its gradient with respect to D's weights is not: the penalty's part is "
                    "missing from it. Use create_graph=True in torch.autograd.grad and do not detach the gradient.")
    checks += 1
    _passed(name, checks)


# ---------------------------------------------------------------------------------------------- Dirac-GAN (lesson 11)
def _dirac_jacobian_autodiff(fp0: float, fpp0: float, gamma: float, sigma: float) -> torch.Tensor:
    """The Jacobian at 0 from first principles: f(t) = fp0 t + fpp0 t^2 / 2 (only f'(0), f''(0) matter at 0), noise
    e = +-sigma with probability 1/2 each (only E e = 0 and E e^2 = sigma^2 matter), autograd twice."""

    def field(x):
        theta, psi = x[0], x[1]
        f = lambda t: fp0 * t + 0.5 * fpp0 * t * t  # noqa: E731
        loss = sum(0.5 * (f(psi * (theta + e)) + f(-psi * e)) for e in (sigma, -sigma))
        objective_d = loss - 0.5 * gamma * psi**2
        d_theta = torch.autograd.grad(loss, theta, create_graph=True)[0]
        d_psi = torch.autograd.grad(objective_d, psi, create_graph=True)[0]
        return torch.stack([-d_theta, d_psi])

    return torch.autograd.functional.jacobian(field, torch.zeros(2, dtype=torch.float64), create_graph=False)


def check_dirac_jacobian(fn) -> None:
    """Check ``fn(fp0, fpp0, gamma, sigma)``: the 2 x 2 Jacobian of the Dirac-GAN's field at (theta, psi) = (0, 0),
    with v = (-dL/dtheta, d(L - (gamma/2) psi^2)/dpsi), L = E f(psi (theta + e)) + E f(-psi e), e ~ N(0, sigma^2),
    fp0 = f'(0), fpp0 = f''(0). Rows are the components of v, columns (theta, psi)."""
    name = _name(fn)
    cases = [(0.5, -0.25, 0.0, 0.0), (0.5, -0.25, 0.3, 0.0), (0.5, -0.25, 0.0, 0.7), (1.0, 0.0, 1.5, 0.4),
             (0.3, -0.7, 0.2, 0.5)]
    checks = 0
    for fp0, fpp0, gamma, sigma in cases:
        how = f"{name}(fp0={fp0}, fpp0={fpp0}, gamma={gamma}, sigma={sigma})"
        out = _call(name, fn, (fp0, fpp0, gamma, sigma), how)
        try:
            got = torch.as_tensor(out, dtype=torch.float64).detach()
        except Exception:
            _fail(name, f"return a 2 x 2 tensor, got {type(out).__name__} ({how})")
        if got.shape != (2, 2):
            _fail(name, f"return a 2 x 2 matrix, got shape {tuple(got.shape)} ({how})")
        expected = _dirac_jacobian_autodiff(fp0, fpp0, gamma, sigma)
        if torch.allclose(got, expected, atol=1e-8):
            checks += 1
            continue
        corner = 2 * sigma**2 * fpp0 - gamma
        slips = {
            "the matrix is transposed: row i holds the derivatives of v_i, and v_theta = -psi f'(psi theta) gives "
            "d v_theta / d psi = -f'(0)": expected.T,
            "G's row has the wrong sign: G descends on L, v_theta = -dL/dtheta": expected * torch.tensor([[-1.0], [1.0]],
                                                                                                          dtype=torch.float64),
            "the R1 term is missing: D maximises L - (gamma/2) psi^2, which adds -gamma to d v_psi / d psi":
                _with_corner(expected, corner + gamma),
            "the penalty has the wrong sign: D *subtracts* (gamma/2) psi^2 from what it maximises, so -gamma":
                _with_corner(expected, corner + 2 * gamma),
            "the R1 entry is -gamma/2: d/dpsi (gamma/2) psi^2 = gamma psi": _with_corner(expected, corner + gamma / 2),
            "the noise term is sigma^2 f''(0): the noise is added to the real *and* the fake sample, each giving "
            "sigma^2 f''(0)": _with_corner(expected, corner - sigma**2 * fpp0),
            "the noise term uses sigma instead of sigma^2 (E e^2 = sigma^2)": _with_corner(
                expected, -gamma + 2 * sigma * fpp0),
            "the noise term is missing: d^2/dpsi^2 E f(psi (theta + e)) at 0 is f''(0) E (theta + e)^2":
                _with_corner(expected, -gamma),
        }
        for slip, m in slips.items():
            if not torch.allclose(m, expected, atol=1e-12) and torch.allclose(got, m, atol=1e-8):
                _fail(name, f"{how} returned {got.tolist()}, expected {expected.tolist()}: {slip}.")
        _fail(name, f"{how} returned {got.tolist()}, expected {expected.tolist()}.")
    _passed(name, checks)


def _with_corner(m: torch.Tensor, value: float) -> torch.Tensor:
    out = m.clone()
    out[1, 1] = value
    return out


# ---------------------------------------------------------------------------------------------- Frechet (lesson 12)
def _spd(d: int, seed: int) -> np.ndarray:
    a = np.random.default_rng(seed).normal(size=(d, d))
    return a @ a.T + 0.2 * np.eye(d)


def check_frechet_distance(fn) -> None:
    """Check ``fn(mu1, cov1, mu2, cov2)`` (NumPy arrays): ||mu1 - mu2||^2 + tr(cov1 + cov2 - 2 (cov1 cov2)^(1/2)).

    Cases: one dimension by hand ((m1 - m2)^2 + (s1 - s2)^2), diagonal covariances, and covariances that do not
    commute (where the shortcut cov1^(1/2) cov2^(1/2) is wrong). The expected values use scipy's sqrtm."""
    name = _name(fn)
    mu_a, mu_b = np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 1.0])
    cases = [
        ("1-D, N(1, 2^2) vs N(4, 0.5^2)", np.array([1.0]), np.array([[4.0]]), np.array([4.0]), np.array([[0.25]])),
        ("diagonal covariances", mu_a, np.diag([1.0, 4.0, 9.0]), mu_b, np.diag([4.0, 4.0, 0.25])),
        ("general covariances", mu_a, _spd(3, 1), mu_b, _spd(3, 2)),
        ("equal Gaussians", mu_a, _spd(3, 1), mu_a.copy(), _spd(3, 1)),
    ]
    checks = 0
    for label, m1, s1, m2, s2 in cases:
        how = f"{name}(mu1, cov1, mu2, cov2) with {label}"
        out = _call(name, fn, (m1.copy(), s1.copy(), m2.copy(), s2.copy()), how)
        value = _number(name, out)
        root = linalg.sqrtm(s1 @ s2).real
        mean_term = float(((m1 - m2) ** 2).sum())
        expected = mean_term + float(np.trace(s1 + s2 - 2 * root))
        if math.isclose(value, expected, rel_tol=1e-6, abs_tol=1e-8):
            checks += 1
            continue
        cov_term = expected - mean_term
        r1, r2 = linalg.sqrtm(s1).real, linalg.sqrtm(s2).real
        candidates = {
            "the square root of the product of covariances is missing: the cross term is 2 tr (cov1 cov2)^(1/2), "
            "not 2 tr(cov1 cov2)": mean_term + float(np.trace(s1 + s2 - 2 * s1 @ s2)),
            "(cov1 cov2)^(1/2) is replaced by cov1^(1/2) cov2^(1/2): equal only when the covariances commute":
                mean_term + float(np.trace(s1 + s2 - 2 * r1 @ r2)),
            "the square root is taken elementwise (np.sqrt) instead of as a matrix (scipy.linalg.sqrtm)":
                mean_term + float(np.trace(s1 + s2) - 2 * np.nansum(np.diag(np.sqrt(np.abs(s1 @ s2))))),
            "the cross term lacks its factor 2": mean_term + float(np.trace(s1 + s2 - root)),
            "the mean term is missing": cov_term,
            "the mean term is the distance, not the squared distance": math.sqrt(mean_term) + cov_term,
            "you return the square root of d^2 (FID is the squared distance)": math.sqrt(max(expected, 0.0)),
        }
        _fail(name, f"{label}: " + _match(value, candidates, expected, rel=1e-5))
    _passed(name, checks)


# ---------------------------------------------------------------------------------------------- DRS (lesson 12)
def check_acceptance_probability(fn) -> None:
    """Check ``fn(logits, log_m)``: DRS's acceptance probability min(1, exp(l - log M)) for D's logits l, without
    overflow for large logits (the ratio p_data / (M p_g) = exp(l) / M, computed in log space)."""
    name = _name(fn)
    logits = torch.tensor([-3.0, 0.0, 1.5, 2.0, 2.5])
    log_m = 2.0
    expected = torch.tensor([math.exp(-5.0), math.exp(-2.0), math.exp(-0.5), 1.0, 1.0])
    out = _call(name, fn, (logits.clone(), log_m), f"{name}(logits, log_m=2.0) with logits {logits.tolist()}")
    if not isinstance(out, torch.Tensor) or out.shape != logits.shape:
        _fail(name, f"return a tensor of probabilities shaped like the logits {tuple(logits.shape)}, got "
                    f"{type(out).__name__} {getattr(out, 'shape', '')}")
    got = out.detach().double()
    checks = 1
    if not torch.allclose(got, expected.double(), rtol=1e-5, atol=1e-7):
        slips = {
            "you used D(x) = sigmoid(l) itself; the acceptance probability is the density ratio exp(l) = D/(1 - D) "
            "divided by M": torch.sigmoid(logits),
            "the ratio exp(l) is not divided by M = exp(log_m)": logits.exp(),
            "the probability is not capped at 1: samples with l > log M (a ratio above the bound seen so far) are "
            "always kept": (logits - log_m).exp(),
            "the exponent has the wrong sign: keep x with probability exp(l - log M), high where D says real":
                (log_m - logits).exp().clamp(max=1),
            "the exponential is missing: l - log M is the log of the probability": (logits - log_m).clamp(max=0),
        }
        for slip, v in slips.items():
            if torch.allclose(got, v.double(), rtol=1e-5, atol=1e-7):
                _fail(name, f"got {got.tolist()}, expected {expected.tolist()}: {slip}.")
        _fail(name, f"got {got.tolist()}, expected {expected.tolist()} (min(1, exp(l - log_m))).")
    if bool(((got < 0) | (got > 1)).any()):
        _fail(name, "probabilities must lie in [0, 1]")
    big = torch.tensor([1000.0, 995.0, 1010.0])
    out = _call(name, fn, (big, 1000.0), f"{name}(torch.tensor([1000., 995., 1010.]), log_m=1000.)")
    want = torch.tensor([1.0, math.exp(-5.0), 1.0], dtype=torch.float64)
    got = torch.as_tensor(out).detach().double()
    if not torch.isfinite(got).all() or not torch.allclose(got, want, rtol=1e-5):
        _fail(name, f"with logits near 1000 you return {got.tolist()}, expected {want.tolist()}: exp(1000) overflows. "
                    "Compute exp(l - log_m) (the difference first), never exp(l) / exp(log_m).")
    checks += 1
    _passed(name, checks)
