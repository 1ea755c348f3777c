"""Checkers for the course's exercises: they test *your* function against mocks and exact values.

Each checker calls your function on hand-picked inputs whose right answer is computed here independently (by
hand-written formulas, never by the course's own solution), prints a friendly verdict and raises
``AssertionError`` when something is wrong, so a notebook run stops at the first wrong exercise::

    def d_loss(d_real, d_fake):
        ...                                    # your code
    gc.checks.check_d_loss(d_loss)             # ✅ d_loss: 5 checks passed

When the value is wrong, the checker also tries to say *how*: the usual slips (probabilities instead of logits,
a flipped sign, a sum instead of a mean, the other player's loss) each give a recognisable number.
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

__all__ = [
    "ExerciseFailed", "check_d_loss", "check_g_loss_minimax", "check_g_loss_nonsaturating", "check_d_step",
    "check_gradient_penalty", "check_unrolled_step", "check_adain", "check_info_loss",
]


class ExerciseFailed(AssertionError):
    """A checker found a mistake; the message says what was expected and, when it can, what went wrong."""


def _fail(name: str, message: str):
    text = f"❌ {name}: {message}"
    print(text)
    raise ExerciseFailed(text)


def _raised(name: str, exc: Exception, call: str):
    if isinstance(exc, NotImplementedError):
        _fail(name, f"not written yet ({exc}): fill in the exercise cell above, run it, then run this cell again.")
    _fail(name, f"raised {type(exc).__name__}: {exc} ({call})")


def _passed(name: str, n: int):
    print(f"✅ {name}: {n} checks passed")


def _name(fn) -> str:
    return getattr(fn, "__name__", "your function")


def _sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _mean(xs) -> float:
    return sum(xs) / len(xs)


def _scalar(name, out):
    """The learner's return value as a float, or a failure that says why it is not a scalar tensor."""
    if not isinstance(out, torch.Tensor):
        _fail(name, f"return a torch tensor (so that it can be back-propagated), got {type(out).__name__} {out!r}")
    if out.numel() != 1:
        _fail(name, f"return a scalar (one number: average over the batch), got shape {tuple(out.shape)}")
    return float(out.detach().reshape(()))


def _diagnose(value: float, expected: float, candidates: dict) -> str:
    """Say which known slip (if any) produces ``value``."""
    if math.isnan(value):
        return ("got NaN. The inputs are logits (any real number), not probabilities: log of a negative number "
                "is NaN. Turn logits into log-probabilities with F.logsigmoid(l) = -F.softplus(-l).")
    for slip, v in candidates.items():
        if v is not None and math.isfinite(v) and math.isclose(value, v, rel_tol=1e-4, abs_tol=1e-6):
            return f"got {value:.6g}, expected {expected:.6g}: that is the value you get when {slip}."
    return f"got {value:.6g}, expected {expected:.6g}."


def _check_loss(name, fn, inputs, expected, grads, candidates, extreme=None, stable=True):
    """Shared logic of the loss checkers: value, slips, gradient and numerical stability."""
    checks = 0
    xs = [torch.tensor(v, dtype=torch.float32, requires_grad=True) for v in inputs]
    try:
        out = fn(*xs)
    except Exception as exc:  # the learner's error, shown with the inputs that caused it
        _raised(name, exc, f"called with logits {', '.join(str(v) for v in inputs)}")
    value = _scalar(name, out)
    checks += 1
    if not math.isclose(value, expected, rel_tol=1e-5, abs_tol=1e-6):
        _fail(name, _diagnose(value, expected, candidates))
    checks += 1
    if not out.requires_grad:
        _fail(name, "the value is right but it carries no gradient: keep everything in torch (no .item(), "
                    ".detach(), numpy or math on tensors), so that backward() reaches the logits.")
    out.backward()
    for x, g_expected, arg in zip(xs, grads, ("first", "second")):
        if x.grad is None or not torch.allclose(x.grad, torch.tensor(g_expected), rtol=1e-4, atol=1e-6):
            got = None if x.grad is None else [round(v, 5) for v in x.grad.tolist()]
            _fail(name, f"the gradient with respect to the {arg} argument is {got}, expected "
                        f"{[round(v, 5) for v in g_expected]}.")
        checks += 1
    if stable and extreme is not None:
        ext_inputs, ext_expected = extreme
        value = _scalar(name, fn(*[torch.tensor(v) for v in ext_inputs]))
        if not math.isfinite(value) or not math.isclose(value, ext_expected, rel_tol=1e-4):
            _fail(name, f"on extreme logits {', '.join(str(v) for v in ext_inputs)} it returns {value}, expected "
                        f"{ext_expected}: log(sigmoid(l)) underflows to log(0) = -inf. Use the stable forms "
                        "log D = -F.softplus(-l) and log(1 - D) = -F.softplus(l) (or F.logsigmoid).")
        checks += 1
    _passed(name, checks)


# Hand-picked logits: a confident real, a confident fake, and values around 0; the batches have different sizes
# so that a sum, or a mean over both batches together, gives a different number.
_REAL = [2.0, -1.0, 0.5, 0.0]
_FAKE = [-1.5, 0.3, 1.0]
_EXTREME = [-200.0, 200.0]


def check_d_loss(fn, stable: bool = True) -> None:
    """Check ``fn(d_real, d_fake)``: D's minimax loss -E[log D(x)] - E[log(1 - D(G(z)))] from logits.

    ``stable=False`` skips the extreme-logit test (for a first, direct log(sigmoid) version).
    """
    name = _name(fn)
    real = -_mean([math.log(_sig(r)) for r in _REAL])
    fake = -_mean([math.log(1 - _sig(f)) for f in _FAKE])
    expected = real + fake
    p_real, p_fake = [_sig(r) for r in _REAL], [_sig(f) for f in _FAKE]
    candidates = {
        "the sign is flipped (D maximises V, so its loss is -V)": -expected,
        "you sum over the batch instead of averaging": -sum(math.log(p) for p in p_real)
        - sum(math.log(1 - p) for p in p_fake),
        "you average real and fake logits together as one batch (the two expectations are separate means)":
            (-sum(math.log(p) for p in p_real) - sum(math.log(1 - p) for p in p_fake)) / (len(_REAL) + len(_FAKE)),
        "real and fake are swapped (D should call the real data real: D(x) -> 1)":
            -_mean([math.log(_sig(f)) for f in _FAKE]) - _mean([math.log(1 - _sig(r)) for r in _REAL]),
        "only the real term is there (add -E[log(1 - D(G(z)))])": real,
        "only the fake term is there (add -E[log D(x)])": fake,
        "the sigmoid is applied twice": -_mean([math.log(_sig(p)) for p in p_real])
        - _mean([math.log(1 - _sig(p)) for p in p_fake]),
    }
    grads = [[-(1 - p) / len(_REAL) for p in p_real], [p / len(_FAKE) for p in p_fake]]
    _check_loss(name, fn, [_REAL, _FAKE], expected, grads, candidates, ([_EXTREME, _EXTREME], 200.0), stable)


def check_g_loss_minimax(fn, stable: bool = True) -> None:
    """Check ``fn(d_fake)``: G's loss in the minimax game, E[log(1 - D(G(z)))], from logits."""
    name = _name(fn)
    p = [_sig(f) for f in _FAKE]
    expected = _mean([math.log(1 - q) for q in p])
    candidates = {
        "the sign is flipped (G minimises V; its loss is +E[log(1 - D(G(z)))], a negative number)": -expected,
        "you wrote the non-saturating loss -E[log D(G(z))] instead of the minimax one":
            -_mean([math.log(q) for q in p]),
        "you sum over the batch instead of averaging": sum(math.log(1 - q) for q in p),
        "the sigmoid is applied twice": _mean([math.log(1 - _sig(q)) for q in p]),
    }
    grads = [[-q / len(p) for q in p]]
    _check_loss(name, fn, [_FAKE], expected, grads, candidates, ([_EXTREME], -100.0), stable)


def check_g_loss_nonsaturating(fn, stable: bool = True) -> None:
    """Check ``fn(d_fake)``: G's non-saturating loss -E[log D(G(z))], from logits."""
    name = _name(fn)
    p = [_sig(f) for f in _FAKE]
    expected = -_mean([math.log(q) for q in p])
    candidates = {
        "the sign is flipped (G minimises -E[log D(G(z))], a positive number)": -expected,
        "you wrote the minimax (saturating) loss E[log(1 - D(G(z)))]": _mean([math.log(1 - q) for q in p]),
        "you wrote -E[log(1 - D(G(z)))], which G would have to maximise": -_mean([math.log(1 - q) for q in p]),
        "you sum over the batch instead of averaging": -sum(math.log(q) for q in p),
        "the sigmoid is applied twice": -_mean([math.log(_sig(q)) for q in p]),
    }
    grads = [[(q - 1) / len(p) for q in p]]
    _check_loss(name, fn, [_FAKE], expected, grads, candidates, ([_EXTREME], 100.0), stable)


# ---------------------------------------------------------------------------------------------- one D step
class _MockG(nn.Module):
    z_dim = 2

    def __init__(self):
        super().__init__()
        self.net = nn.Linear(2, 2)
        with torch.no_grad():
            self.net.weight.copy_(torch.tensor([[1.0, 0.5], [-0.5, 1.0]]))
            self.net.bias.copy_(torch.tensor([0.2, -0.1]))

    def forward(self, z):
        return self.net(z)


class _MockD(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Linear(2, 1)
        with torch.no_grad():
            self.net.weight.copy_(torch.tensor([[0.8, -0.3]]))
            self.net.bias.copy_(torch.tensor([0.1]))

    def forward(self, x):
        return self.net(x).squeeze(-1)


def check_d_step(fn, lr: float = 0.1) -> None:
    """Check ``fn(G, D, opt_D, real, z)``: one update of D on the minimax loss, with the fakes G(z) detached.

    Mocks: linear G and D, ``opt_D`` plain SGD with learning rate ``lr``, so the right new weights are
    w - lr * dL_D/dw, computed here by hand. D's gradients start out holding garbage, so a missing
    ``opt_D.zero_grad()`` shows up; G's gradients must stay empty (the fakes carry no gradient to G).
    """
    name = _name(fn)
    G, D = _MockG(), _MockD()
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
        _raised(name, exc, f"called as {name}(G, D, opt_D, real, z)")
    checks = 0
    if any(p.grad is not None and p.grad.abs().sum() > 0 for p in G.parameters()):
        _fail(name, "G's parameters received gradients: the D step must not back-propagate into G. Make the "
                    "fakes with torch.no_grad() or pass fake.detach() to D.")
    checks += 1
    if any(not torch.equal(v, G.state_dict()[k]) for k, v in g_before.items()):
        _fail(name, "G's weights changed: a D step updates D only.")
    checks += 1
    new = torch.cat([D.net.weight[0], D.net.bias]).detach()
    if torch.allclose(new, torch.cat([a, c[None]])):
        _fail(name, "D's weights did not change: call loss.backward() and then opt_D.step().")
    checks += 1
    expected = torch.cat([new_a, new_c[None]])
    if not torch.allclose(new, expected, atol=1e-5):
        stale = torch.cat([new_a - lr * 100.0, new_c[None] - lr * 100.0])
        if torch.allclose(new, stale, atol=1e-4):
            _fail(name, "D's update includes stale gradients: call opt_D.zero_grad() before loss.backward().")
        flipped = torch.cat([a + lr * grad_a, c[None] + lr * grad_c])
        if torch.allclose(new, flipped, atol=1e-5):
            _fail(name, "D moved uphill on its loss: minimise -E[log D(x)] - E[log(1 - D(G(z)))] (check the sign).")
        _fail(name, f"D's new weights are {new.tolist()}, expected {expected.tolist()} (one SGD step on the minimax "
                    "D loss -E[log D(x)] - E[log(1 - D(G(z)))] on this real batch and these fakes).")
    checks += 1
    if out is not None:
        value = float(torch.as_tensor(out).detach().reshape(()))
        if not math.isclose(value, loss, rel_tol=1e-5):
            _fail(name, f"it returns {value:.6g}, expected D's loss before the update, {loss:.6g}.")
        checks += 1
    _passed(name, checks)


# ---------------------------------------------------------------------------------------------- gradient penalty
class _RecordingCritic(nn.Module):
    """f(x) = sum(0.5 a x^2 + b x) per sample: grad_x f = a x + b, known in closed form. Records its inputs."""

    def __init__(self, shape):
        super().__init__()
        gen = torch.Generator().manual_seed(7)
        self.a = nn.Parameter(torch.tensor(0.7))
        self.b = nn.Parameter(0.4 * torch.randn(shape, generator=gen))
        self.inputs = []

    def forward(self, x):
        self.inputs.append(x.detach().clone())
        return (0.5 * self.a * x.pow(2) + self.b * x).flatten(1).sum(1)


def check_gradient_penalty(fn) -> None:
    """Check ``fn(D, real, fake)``: WGAN-GP's E[(||grad_x D(x_hat)||_2 - 1)^2] at x_hat = eps real + (1 - eps) fake.

    The mock critic has a known gradient (a x + b) and records where it was evaluated, so the check is exact:
    x_hat must lie on the segment from fake to real with one eps per sample; the penalty must equal the formula
    at those points, with per-sample norms over all of (C, H, W); and it must be differentiable with respect to
    the critic's weights (``create_graph=True``), because it is part of D's loss.
    """
    name = _name(fn)
    gen = torch.Generator().manual_seed(3)
    real = torch.randn(6, 1, 2, 2, generator=gen) + 1.0
    fake = torch.randn(6, 1, 2, 2, generator=gen) - 1.0
    D = _RecordingCritic(real.shape[1:])
    try:
        out = fn(D, real, fake)
    except Exception as exc:
        _raised(name, exc, f"called as {name}(D, real, fake) on images (6, 1, 2, 2)")
    value = _scalar(name, out)
    checks = 1
    points = [x for x in D.inputs if x.shape == real.shape]
    if not points:
        _fail(name, f"D was never called on a batch shaped like real {tuple(real.shape)}.")
    x_hat = points[-1]
    diff = (real - fake).flatten(1)
    eps = ((x_hat - fake).flatten(1) * diff).sum(1) / diff.pow(2).sum(1)  # projection onto the segment
    on_segment = torch.allclose(x_hat, fake + eps[:, None, None, None] * (real - fake), atol=1e-5)
    if torch.allclose(x_hat, real) or torch.allclose(x_hat, fake):
        _fail(name, "D's gradient was taken at the real (or fake) points; take it at interpolates "
                    "x_hat = eps * real + (1 - eps) * fake.")
    if not on_segment:
        _fail(name, "the points where D was evaluated are not on the segments between real and fake with one eps "
                    "per sample: draw eps with shape (B, 1, 1, 1), e.g. torch.rand(B, 1, 1, 1), not one per pixel.")
    if not bool(((eps >= -1e-6) & (eps <= 1 + 1e-6)).all()):
        _fail(name, f"eps must lie in [0, 1] (uniform); found {eps.tolist()}.")
    if torch.allclose(eps, eps[0].expand_as(eps)):
        _fail(name, "every sample used the same eps: draw one eps per sample, shape (B, 1, 1, 1).")
    checks += 2
    with torch.enable_grad():
        a, b = D.a.detach().requires_grad_(True), D.b.detach().requires_grad_(True)
        g = (a * x_hat + b).flatten(1)  # grad_x f at x_hat, written out
        norms = g.norm(dim=1)
        expected_t = ((norms - 1) ** 2).mean()
        ga, gb = torch.autograd.grad(expected_t, [a, b])
    expected = float(expected_t.detach())
    if not math.isclose(value, expected, rel_tol=1e-4):
        n = norms.detach()
        candidates = {
            "you use the squared norm ||g||^2 instead of ||g||": float(((n**2 - 1) ** 2).mean()),
            "(norm - 1) is not squared": float((n - 1).mean()),
            "the norm is taken over the whole batch, not per sample": float((g.detach().norm() - 1) ** 2),
            "the norm is taken over one dimension only (flatten each sample first: grad.flatten(1).norm(dim=1))":
                float((((a * x_hat + b).detach().norm(dim=1) - 1) ** 2).mean()),
            "you sum over the batch instead of averaging": float(((n - 1) ** 2).sum()),
            "the penalty is one-sided, max(0, norm - 1)^2": float((F.relu(n - 1) ** 2).mean()),
        }
        _fail(name, _diagnose(value, expected, candidates))
    checks += 1
    D.zero_grad(set_to_none=True)
    if not out.requires_grad:
        _fail(name, "the penalty carries no gradient to D's weights: take the input gradient with "
                    "torch.autograd.grad(..., create_graph=True) so that D can be trained on the penalty.")
    try:
        out.backward()
    except RuntimeError as exc:
        _fail(name, f"backward() through the penalty failed ({exc}); use create_graph=True in torch.autograd.grad.")
    if D.a.grad is None or D.b.grad is None or not (
            torch.allclose(D.a.grad, ga, rtol=1e-4, atol=1e-6) and torch.allclose(D.b.grad, gb, rtol=1e-4, atol=1e-6)):
        _fail(name, "the penalty's gradient with respect to D's weights is wrong or missing: use "
                    "create_graph=True in torch.autograd.grad and do not detach the input gradient.")
    checks += 1
    _passed(name, checks)


# ---------------------------------------------------------------------------------------------- unrolled D update
class _LogisticD(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Linear(2, 1)
        with torch.no_grad():
            self.net.weight.copy_(torch.tensor([[0.6, -0.4]]))
            self.net.bias.copy_(torch.tensor([0.2]))

    def forward(self, x):
        return self.net(x).squeeze(-1)


def check_unrolled_step(fn, lr: float = 0.5) -> None:
    """Check ``fn(D, params, real, fake, lr)``: one differentiable SGD step on D's minimax loss, returning the new
    parameters as a dict (theta' = theta - lr * grad L_D(theta)) that G's gradient can flow through.

    Mock: a logistic D(x) = w.x + c whose gradient is written out here; the new parameters must match it, leave D
    untouched, and depend on ``fake`` exactly as the formula does (the term that makes unrolling work).
    """
    name = _name(fn)
    D = _LogisticD()
    before = copy.deepcopy(D.state_dict())
    real = torch.tensor([[1.0, 0.5], [0.0, 1.0], [-0.5, 0.5]])
    fake0 = torch.tensor([[0.5, -1.0], [1.5, 0.0], [-1.0, -1.0], [0.2, 0.3]])
    params = {k: p.detach().clone().requires_grad_(True) for k, p in D.named_parameters()}
    fake = fake0.clone().requires_grad_(True)
    try:
        new = fn(D, params, real, fake, lr)
    except Exception as exc:
        _raised(name, exc, f"called as {name}(D, params, real, fake, lr)")
    if not isinstance(new, dict) or set(new) != set(params):
        _fail(name, f"return a dict with the same keys as params ({', '.join(params)}), got {type(new).__name__}")
    checks = 1
    if any(not torch.equal(v, D.state_dict()[k]) for k, v in before.items()):
        _fail(name, "D's own weights changed: the unrolled update must produce new tensors (a functional update), "
                    "not step D in place.")
    checks += 1
    # the reference, written out: grad_w = mean(-(1 - s(r)) r) + mean(s(f) f), grad_c = mean(-(1 - s(r))) + mean(s(f))
    f_ref = fake0.clone().requires_grad_(True)
    w, c = params["net.weight"].detach()[0], params["net.bias"].detach()[0]
    pr, pf = torch.sigmoid(real @ w + c), torch.sigmoid(f_ref @ w + c)
    new_w = w - lr * ((-(1 - pr)[:, None] * real).mean(0) + (pf[:, None] * f_ref).mean(0))
    new_c = c - lr * ((-(1 - pr)).mean() + pf.mean())
    got_w, got_c = new["net.weight"].reshape(-1), new["net.bias"].reshape(())
    gw, gc_, ew, ec = got_w.detach(), got_c.detach(), new_w.detach(), new_c.detach()
    if not (torch.allclose(gw, ew, atol=1e-5) and torch.allclose(gc_, ec, atol=1e-5)):
        flipped = torch.allclose(gw, 2 * w - ew, atol=1e-5)
        hint = " D moved uphill: theta' = theta - lr * grad." if flipped else ""
        _fail(name, f"new parameters {gw.tolist()} / {float(gc_):.5g}, expected {ew.tolist()} / {float(ec):.5g} "
                    f"(one SGD step on the minimax D loss).{hint}")
    checks += 1
    probe = (new_w * torch.tensor([1.0, -2.0])).sum() + 3 * new_c  # any fixed function of theta'
    (expected_grad,) = torch.autograd.grad(probe, f_ref)
    if got_w.grad_fn is None and got_c.grad_fn is None:
        _fail(name, "the new parameters carry no gradient: compute the step with torch.autograd.grad(..., "
                    "create_graph=True) and without .detach(), so that G's gradient flows through it.")
    got_probe = (got_w * torch.tensor([1.0, -2.0])).sum() + 3 * got_c
    try:
        (got_grad,) = torch.autograd.grad(got_probe, fake, allow_unused=True)
    except RuntimeError as exc:
        _fail(name, f"could not differentiate the new parameters with respect to the fakes ({exc}).")
    if got_grad is None or not torch.allclose(got_grad, expected_grad, atol=1e-5):
        _fail(name, "the new parameters do not depend on the fakes as they should: keep the fakes' graph (no "
                    ".detach()) and use create_graph=True, so that G sees how D would react to its move.")
    checks += 1
    _passed(name, checks)


# ---------------------------------------------------------------------------------------------- AdaIN (lesson 10)
def check_adain(fn) -> None:
    """Check ``fn(x, y_scale, y_bias)``: each (sample, channel) map of x (B, C, H, W) normalised over (H, W)
    (biased variance) and given mean y_bias and standard deviation y_scale, each (B, C)."""
    name = _name(fn)
    x = torch.tensor([[[[1.0, 2.0], [3.0, 6.0]], [[0.0, 0.0], [4.0, 4.0]]],
                      [[[-2.0, 2.0], [0.0, 0.0]], [[5.0, 7.0], [9.0, 11.0]]]])  # (2, 2, 2, 2)
    y_scale = torch.tensor([[2.0, 0.5], [1.0, 3.0]])
    y_bias = torch.tensor([[10.0, -1.0], [0.0, 2.0]])
    try:
        out = fn(x, y_scale, y_bias)
    except Exception as exc:
        _raised(name, exc, "called with x (2, 2, 2, 2), y_scale and y_bias (2, 2)")
    if not isinstance(out, torch.Tensor) or out.shape != x.shape:
        _fail(name, f"return a tensor shaped like x {tuple(x.shape)}, got "
                    f"{tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}")
    checks = 1
    expected = torch.empty_like(x)
    for b in range(2):
        for ch in range(2):
            vals = x[b, ch].flatten().tolist()
            mu = _mean(vals)
            sd = math.sqrt(_mean([(v - mu) ** 2 for v in vals]) + 1e-5)
            expected[b, ch] = y_scale[b, ch] * (x[b, ch] - mu) / sd + y_bias[b, ch]
    if not torch.allclose(out, expected, atol=1e-3):
        mean, std = out.mean(dim=(2, 3)), out.var(dim=(2, 3), unbiased=False).sqrt()
        if torch.allclose(mean, y_bias, atol=1e-3) and torch.allclose(std / math.sqrt(3 / 4), y_scale, atol=1e-2):
            hint = " Use the biased variance (unbiased=False): the std is over the H*W values of one map."
        elif torch.allclose(mean, y_scale, atol=1e-3):
            hint = " y_scale and y_bias are swapped: the mean should become y_bias and the std y_scale."
        elif not torch.allclose(mean, y_bias, atol=1e-3):
            hint = (" The mean of each map should become y_bias: normalise each (sample, channel) map over its "
                    "own H, W (dim=(2, 3), keepdim=True), not over the batch.")
        else:
            hint = ""
        _fail(name, f"the output differs from the definition by up to {float((out - expected).abs().max()):.3g}.{hint}")
    checks += 1
    _passed(name, checks)


# ---------------------------------------------------------------------------------------------- InfoGAN (lesson 09)
def check_info_loss(fn) -> None:
    """Check ``fn(cat_logits, cat_code, cont_pred, cont_code)``: InfoGAN's mutual-information loss, the
    cross-entropy of Q's categorical logits (B, K) against the sampled class indices (B,) plus the mean squared
    error (a fixed-variance Gaussian's NLL, up to constants and a factor 1/2) of Q's continuous prediction
    (B, L) against the sampled continuous code (B, L): CE + 0.5 * mean((pred - code)^2) summed over L."""
    name = _name(fn)
    logits = [[2.0, 0.0, -1.0], [0.5, 0.5, 1.5]]
    target = [0, 2]
    pred, code = [[0.5, -1.0], [0.0, 2.0]], [[1.0, -1.0], [0.5, 0.0]]
    ce = _mean([-(row[t] - math.log(sum(math.exp(v) for v in row))) for row, t in zip(logits, target)])
    mse = _mean([sum(0.5 * (p - c) ** 2 for p, c in zip(pr, co)) for pr, co in zip(pred, code)])
    expected = ce + mse
    args = [torch.tensor(logits, requires_grad=True), torch.tensor(target), torch.tensor(pred, requires_grad=True),
            torch.tensor(code)]
    try:
        out = fn(*args)
    except Exception as exc:
        _raised(name, exc, "called with logits (2, 3), classes (2,), pred and code (2, 2)")
    value = _scalar(name, out)
    if not math.isclose(value, expected, rel_tol=1e-5):
        candidates = {
            "the continuous term is missing": ce,
            "the categorical term is missing": mse,
            "the squared error has no factor 1/2": ce + 2 * mse,
            "the squared error is averaged over the code's dimensions instead of summed": ce + mse / 2,
            "the cross-entropy is taken of probabilities (softmax applied twice)": _mean([
                -(math.exp(row[t]) / sum(math.exp(v) for v in row)
                  - math.log(sum(math.exp(math.exp(v) / sum(math.exp(u) for u in row)) for v in row)))
                for row, t in zip(logits, target)]) + mse,
        }
        _fail(name, _diagnose(value, expected, candidates))
    if not out.requires_grad:
        _fail(name, "the loss carries no gradient: keep it in torch.")
    _passed(name, 2)
