"""Checkers for lesson 11's exercises: D's loss with the R1 penalty and the Dirac-GAN's Jacobian at the equilibrium."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .. import validation
from .core import QuadraticCritic, call, fail, match, name_of, number, passed

__all__ = ["check_d_loss_r1", "check_dirac_jacobian"]


def check_d_loss_r1(fn, gamma: float = 3.0) -> None:
    """Check ``fn(D, real, fake, gamma)``: the minimax D loss plus R1 = (gamma/2) E_real ||grad_x D(x)||^2.

    D is a mock with a known input gradient (a x + b), the batches are tiny images, so the value is exact; the
    penalty must also carry a gradient to D's weights (``create_graph=True``), since D is trained on it."""
    name = name_of(fn)
    gamma = validation.positive("gamma", gamma)  # gamma = 0 would leave the penalty unchecked
    gen = torch.Generator().manual_seed(12)
    real = torch.randn(5, 1, 2, 2, generator=gen) + 0.5
    fake = torch.randn(5, 1, 2, 2, generator=gen) - 0.5
    D = QuadraticCritic(real.shape[1:], a=0.8, scale=0.5, seed=11)
    out = call(name, fn, (D, real, fake, gamma), f"{name}(D, real, fake, gamma={gamma}) on images (5, 1, 2, 2)")
    if not isinstance(out, torch.Tensor):
        fail(name, f"return a torch tensor (D is trained on it), got {type(out).__name__}")
    value = number(name, out)
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
            fail(name, "D's input gradient was taken at points between real and fake samples (WGAN-GP's "
                        "interpolates); R1 takes it at the real samples themselves.")
        fail(name, match(value, candidates, expected))
    checks += 1
    D.zero_grad(set_to_none=True)
    if not out.requires_grad:
        fail(name, "the loss carries no gradient to D's weights: take the input gradient with "
                    "torch.autograd.grad(..., create_graph=True) so that D can be trained on the penalty.")
    try:
        out.backward()
    except RuntimeError as exc:
        fail(name, f"backward() through your loss failed ({exc}); use create_graph=True in torch.autograd.grad.")
    if D.a.grad is None or D.b.grad is None or not (
            torch.allclose(D.a.grad, grads[0], rtol=1e-4, atol=1e-6)
            and torch.allclose(D.b.grad, grads[1], rtol=1e-4, atol=1e-6)):
        fail(name, "the value is right but its gradient with respect to D's weights is not: the penalty's part is "
                    "missing from it. Use create_graph=True in torch.autograd.grad and do not detach the gradient.")
    checks += 1
    passed(name, checks)


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
    name = name_of(fn)
    cases = [(0.5, -0.25, 0.0, 0.0), (0.5, -0.25, 0.3, 0.0), (0.5, -0.25, 0.0, 0.7), (1.0, 0.0, 1.5, 0.4),
             (0.3, -0.7, 0.2, 0.5)]
    checks = 0
    for fp0, fpp0, gamma, sigma in cases:
        how = f"{name}(fp0={fp0}, fpp0={fpp0}, gamma={gamma}, sigma={sigma})"
        out = call(name, fn, (fp0, fpp0, gamma, sigma), how)
        try:
            got = torch.as_tensor(out, dtype=torch.float64).detach()
        except Exception:
            fail(name, f"return a 2 x 2 tensor, got {type(out).__name__} ({how})")
        if got.shape != (2, 2):
            fail(name, f"return a 2 x 2 matrix, got shape {tuple(got.shape)} ({how})")
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
                fail(name, f"{how} returned {got.tolist()}, expected {expected.tolist()}: {slip}.")
        fail(name, f"{how} returned {got.tolist()}, expected {expected.tolist()}.")
    passed(name, checks)


def _with_corner(m: torch.Tensor, value: float) -> torch.Tensor:
    out = m.clone()
    out[1, 1] = value
    return out
