"""Checkers of lessons 01-03: D's minimax loss, G's minimax and non-saturating losses (from logits), one D step,
the norm of G's gradient."""
from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F

from .. import validation
from .core import FixedLinear, check_loss, diagnose, fail, mean, name_of, passed, raised, sigmoid

__all__ = ["check_d_loss", "check_g_loss_minimax", "check_g_loss_nonsaturating", "check_d_step", "check_g_grad_norm"]

# Hand-picked logits: a confident real, a confident fake, and values around 0; the batches have different sizes
# so that a sum, or a mean over both batches together, gives a different number.
_REAL = [2.0, -1.0, 0.5, 0.0]
_FAKE = [-1.5, 0.3, 1.0]
_EXTREME = [-200.0, 200.0]


def check_d_loss(fn, stable: bool = True) -> None:
    """Check ``fn(d_real, d_fake)``: D's minimax loss -E[log D(x)] - E[log(1 - D(G(z)))] from logits.

    ``stable=False`` skips the extreme-logit test (for a first, direct log(sigmoid) version).
    """
    name = name_of(fn)
    real = -mean([math.log(sigmoid(r)) for r in _REAL])
    fake = -mean([math.log(1 - sigmoid(f)) for f in _FAKE])
    expected = real + fake
    p_real, p_fake = [sigmoid(r) for r in _REAL], [sigmoid(f) for f in _FAKE]
    candidates = {
        "the sign is flipped (D maximises V, so its loss is -V)": -expected,
        "you sum over the batch instead of averaging": -sum(math.log(p) for p in p_real)
        - sum(math.log(1 - p) for p in p_fake),
        "you average real and fake logits together as one batch (the two expectations are separate means)":
            (-sum(math.log(p) for p in p_real) - sum(math.log(1 - p) for p in p_fake)) / (len(_REAL) + len(_FAKE)),
        "real and fake are swapped (D should call the real data real: D(x) -> 1)":
            -mean([math.log(sigmoid(f)) for f in _FAKE]) - mean([math.log(1 - sigmoid(r)) for r in _REAL]),
        "only the real term is there (add -E[log(1 - D(G(z)))])": real,
        "only the fake term is there (add -E[log D(x)])": fake,
        "the sigmoid is applied twice": -mean([math.log(sigmoid(p)) for p in p_real])
        - mean([math.log(1 - sigmoid(p)) for p in p_fake]),
    }
    grads = [[-(1 - p) / len(_REAL) for p in p_real], [p / len(_FAKE) for p in p_fake]]
    check_loss(name, fn, [_REAL, _FAKE], expected, grads, candidates, ([_EXTREME, _EXTREME], 200.0), stable)


def check_g_loss_minimax(fn, stable: bool = True) -> None:
    """Check ``fn(d_fake)``: G's loss in the minimax game, E[log(1 - D(G(z)))], from logits."""
    name = name_of(fn)
    p = [sigmoid(f) for f in _FAKE]
    expected = mean([math.log(1 - q) for q in p])
    candidates = {
        "the sign is flipped (G minimises V; its loss is +E[log(1 - D(G(z)))], a negative number)": -expected,
        "you wrote the non-saturating loss -E[log D(G(z))] instead of the minimax one":
            -mean([math.log(q) for q in p]),
        "you sum over the batch instead of averaging": sum(math.log(1 - q) for q in p),
        "the sigmoid is applied twice": mean([math.log(1 - sigmoid(q)) for q in p]),
    }
    grads = [[-q / len(p) for q in p]]
    check_loss(name, fn, [_FAKE], expected, grads, candidates, ([_EXTREME], -100.0), stable)


def check_g_loss_nonsaturating(fn, stable: bool = True) -> None:
    """Check ``fn(d_fake)``: G's non-saturating loss -E[log D(G(z))], from logits."""
    name = name_of(fn)
    p = [sigmoid(f) for f in _FAKE]
    expected = -mean([math.log(q) for q in p])
    candidates = {
        "the sign is flipped (G minimises -E[log D(G(z))], a positive number)": -expected,
        "you wrote the minimax (saturating) loss E[log(1 - D(G(z)))]": mean([math.log(1 - q) for q in p]),
        "you wrote -E[log(1 - D(G(z)))], which G would have to maximise": -mean([math.log(1 - q) for q in p]),
        "you sum over the batch instead of averaging": -sum(math.log(q) for q in p),
        "the sigmoid is applied twice": -mean([math.log(sigmoid(q)) for q in p]),
    }
    grads = [[(q - 1) / len(p) for q in p]]
    check_loss(name, fn, [_FAKE], expected, grads, candidates, ([_EXTREME], 100.0), stable)


# ---------------------------------------------------------------------------------------------- one D step
def check_d_step(fn, lr: float = 0.1) -> None:
    """Check ``fn(G, D, opt_D, real, z)``: one update of D on the minimax loss, with the fakes G(z) detached.

    Mocks: linear G and D, ``opt_D`` plain SGD with learning rate ``lr``, so the right new weights are
    w - lr * dL_D/dw, computed here by hand. D's gradients start out holding garbage, so a missing
    ``opt_D.zero_grad()`` shows up; G's gradients must stay empty (the fakes carry no gradient to G).
    """
    name, lr = name_of(fn), validation.positive("lr", lr)
    G = FixedLinear([[1.0, 0.5], [-0.5, 1.0]], [0.2, -0.1])
    D = FixedLinear([[0.8, -0.3]], [0.1])
    real = torch.tensor([[1.0, 0.0], [0.5, 1.5], [-1.0, 2.0], [0.0, -0.5]])
    z = torch.tensor([[0.3, -0.2], [-1.0, 0.4], [0.6, 0.9], [0.0, 0.0]])
    # the reference, by hand: d_real = real @ a + c, fake = G(z) as constants
    with torch.no_grad():
        a, c = D.net.weight[0].clone(), D.net.bias[0].clone()
        fake = G(z)
        pr, pf = torch.sigmoid(real @ a + c), torch.sigmoid(fake @ a + c)
        loss = (F.softplus(-(real @ a + c)).mean() + F.softplus(fake @ a + c).mean()).item()
        grad_a = (-(1 - pr)[:, None] * real).mean(0) + (pf[:, None] * fake).mean(0)
        grad_c = (-(1 - pr)).mean() + pf.mean()
        new_a, new_c = a - lr * grad_a, c - lr * grad_c
    g_before = copy.deepcopy(G.state_dict())
    opt_D = torch.optim.SGD(D.parameters(), lr=lr)
    for p in D.parameters():
        p.grad = torch.full_like(p, 100.0)  # stale gradients from "a previous step"
    try:
        out = fn(G, D, opt_D, real, z)
    except Exception as exc:
        raised(name, exc, f"called as {name}(G, D, opt_D, real, z)")
    checks = 0
    if any(p.grad is not None and p.grad.abs().sum() > 0 for p in G.parameters()):
        fail(name, "G's parameters received gradients: the D step must not back-propagate into G. Make the "
                    "fakes with torch.no_grad() or pass fake.detach() to D.")
    checks += 1
    if any(not torch.equal(v, G.state_dict()[k]) for k, v in g_before.items()):
        fail(name, "G's weights changed: a D step updates D only.")
    checks += 1
    new = torch.cat([D.net.weight[0], D.net.bias]).detach()
    if torch.allclose(new, torch.cat([a, c[None]])):
        fail(name, "D's weights did not change: call loss.backward() and then opt_D.step().")
    checks += 1
    expected = torch.cat([new_a, new_c[None]])
    if not torch.allclose(new, expected, atol=1e-5):
        stale = torch.cat([new_a - lr * 100.0, new_c[None] - lr * 100.0])
        if torch.allclose(new, stale, atol=1e-4):
            fail(name, "D's update includes stale gradients: call opt_D.zero_grad() before loss.backward().")
        flipped = torch.cat([a + lr * grad_a, c[None] + lr * grad_c])
        if torch.allclose(new, flipped, atol=1e-5):
            fail(name, "D moved uphill on its loss: minimise -E[log D(x)] - E[log(1 - D(G(z)))] (check the sign).")
        fail(name, f"D's new weights are {new.tolist()}, expected {expected.tolist()} (one SGD step on the minimax "
                    "D loss -E[log D(x)] - E[log(1 - D(G(z)))] on this real batch and these fakes).")
    checks += 1
    if out is not None:
        value = float(torch.as_tensor(out).detach().reshape(()))
        if not math.isclose(value, loss, rel_tol=1e-5):
            fail(name, f"it returns {value:.6g}, expected D's loss before the update, {loss:.6g}.")
        checks += 1
    passed(name, checks)


# ---------------------------------------------------------------------------------------------- G's gradient norm
def _minimax_g(d_fake):  # E[log(1 - D(G(z)))] = -E[softplus(l)]
    return -F.softplus(d_fake).mean()


def _nonsaturating_g(d_fake):  # -E[log D(G(z))] = E[softplus(-l)]
    return F.softplus(-d_fake).mean()


def check_g_grad_norm(fn) -> None:
    """Check ``fn(G, D, z, g_loss)``: the norm ||dL_G/dtheta_G|| of the gradient of ``g_loss(D(G(z)))`` with respect
    to all of G's parameters together (the square root of the sum of every entry's square), as a number.

    Mocks: linear G (2 -> 2) and D (2 -> one logit), so the gradient is written out here for both G losses:
    dL/dW = mean_i phi'(l_i) w z_i^T and dL/db = mean_i phi'(l_i) w, with phi' = -D(G(z)) (minimax) or
    -(1 - D(G(z))) (non-saturating). G's gradients start out holding garbage, so a missing ``zero_grad`` shows up;
    neither network may change.
    """
    name = name_of(fn)
    z = torch.tensor([[0.3, -1.2], [1.5, 0.4], [-0.7, 0.9], [0.0, 2.0], [-1.8, -0.5]])
    checks = 0
    for label, g_loss, dphi in (("minimax", _minimax_g, lambda d: -d), ("non-saturating", _nonsaturating_g,
                                                                        lambda d: -(1 - d))):
        G = FixedLinear([[0.9, 0.2], [-0.3, 1.1]], [0.5, -0.2])
        D = FixedLinear([[1.2, -0.7]], [-0.3])
        stale = 0.25
        for p in G.parameters():
            p.grad = torch.full_like(p, stale)  # left over from "a previous step"
        before = [p.detach().clone() for p in [*G.parameters(), *D.parameters()]]
        # the reference, by hand
        W, b = G.net.weight.detach().double(), G.net.bias.detach().double()
        w, c = D.net.weight.detach().double()[0], D.net.bias.detach().double()[0]
        zd = z.double()
        x = zd @ W.T + b
        d = torch.sigmoid(x @ w + c)
        coef = dphi(d) / len(z)                                   # dL/dl_i
        g_W = (coef[:, None, None] * w[None, :, None] * zd[:, None, :]).sum(0)
        g_b = coef.sum() * w
        g_w, g_c = (coef[:, None] * x).sum(0), coef.sum()
        norm_sq = float(g_W.pow(2).sum() + g_b.pow(2).sum())
        want = math.sqrt(norm_sq)
        try:
            out = fn(G, D, z.clone(), g_loss)
        except Exception as exc:
            raised(name, exc, f"called as {name}(G, D, z, g_loss) with the {label} loss")
        try:
            value = float(torch.as_tensor(out).detach().reshape(()))
        except (TypeError, ValueError, RuntimeError):
            fail(name, f"return one number (the norm), got {type(out).__name__}")
        if any(not torch.equal(p0, p1.detach()) for p0, p1 in zip(before, [*G.parameters(), *D.parameters()])):
            fail(name, "a network's weights changed: measuring G's gradient takes no optimizer step.")
        checks += 1
        if not math.isclose(value, want, rel_tol=1e-4):
            loss_value = float(g_loss(D(G(z))).detach())
            candidates = {
                "you return the squared norm; take its square root": norm_sq,
                "you added the norms of G's parameters one by one; the norm of the whole gradient is the square "
                "root of the sum of all squares": float(g_W.norm() + g_b.norm()),
                "you included D's parameters in the norm (take the gradient with respect to G's parameters only)":
                    math.sqrt(norm_sq + float(g_w.pow(2).sum() + g_c ** 2)),
                "you left out G's bias (the norm covers every parameter of G)":
                    math.sqrt(float(g_W.pow(2).sum())),
                "your gradients were added to stale ones left in G's .grad (call G.zero_grad() before backward(), "
                "or use torch.autograd.grad, which leaves .grad alone)":
                    math.sqrt(float((g_W + stale).pow(2).sum() + (g_b + stale).pow(2).sum())),
                "you took the gradient with respect to the samples G(z), not G's parameters":
                    math.sqrt(float((coef[:, None] * w[None, :]).pow(2).sum())),
                "you return the size of the loss, not of its gradient": abs(loss_value),
            }
            fail(name, f"{label} loss: " + diagnose(value, want, candidates))
        checks += 1
    passed(name, checks)
