"""Checkers of lesson 04: the mode-collapse protocol's scores, and one differentiable (unrolled) D update."""
from __future__ import annotations

import copy
import math

import torch

from .. import validation
from .core import FixedLinear, diagnose, fail, name_of, passed, raised

__all__ = ["check_unrolled_step", "check_mode_scores"]


def check_unrolled_step(fn, lr: float = 0.5) -> None:
    """Check ``fn(D, params, real, fake, lr)``: one differentiable SGD step on D's minimax loss, returning the new
    parameters as a dict (theta' = theta - lr * grad L_D(theta)) that G's gradient can flow through.

    Mock: a logistic D(x) = w.x + c whose gradient is written out here; the new parameters must match it, leave D
    untouched, and depend on ``fake`` exactly as the formula does (the term that makes unrolling work).
    """
    name, lr = name_of(fn), validation.positive("lr", lr)
    D = FixedLinear([[0.6, -0.4]], [0.2])  # a logistic D(x) = w.x + c
    before = copy.deepcopy(D.state_dict())
    real = torch.tensor([[1.0, 0.5], [0.0, 1.0], [-0.5, 0.5]])
    fake0 = torch.tensor([[0.5, -1.0], [1.5, 0.0], [-1.0, -1.0], [0.2, 0.3]])
    params = {k: p.detach().clone().requires_grad_(True) for k, p in D.named_parameters()}
    fake = fake0.clone().requires_grad_(True)
    try:
        new = fn(D, params, real, fake, lr)
    except Exception as exc:
        raised(name, exc, f"called as {name}(D, params, real, fake, lr)")
    if not isinstance(new, dict) or set(new) != set(params):
        fail(name, f"return a dict with the same keys as params ({', '.join(params)}), got {type(new).__name__}")
    checks = 1
    if any(not torch.equal(v, D.state_dict()[k]) for k, v in before.items()):
        fail(name, "D's own weights changed: the unrolled update must produce new tensors (a functional update), "
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
        fail(name, f"new parameters {gw.tolist()} / {float(gc_):.5g}, expected {ew.tolist()} / {float(ec):.5g} "
                    f"(one SGD step on the minimax D loss).{hint}")
    checks += 1
    probe = (new_w * torch.tensor([1.0, -2.0])).sum() + 3 * new_c  # any fixed function of theta'
    (expected_grad,) = torch.autograd.grad(probe, f_ref)
    if got_w.grad_fn is None and got_c.grad_fn is None:
        fail(name, "the new parameters carry no gradient: compute the step with torch.autograd.grad(..., "
                    "create_graph=True) and without .detach(), so that G's gradient flows through it.")
    got_probe = (got_w * torch.tensor([1.0, -2.0])).sum() + 3 * got_c
    try:
        (got_grad,) = torch.autograd.grad(got_probe, fake, allow_unused=True)
    except RuntimeError as exc:
        fail(name, f"could not differentiate the new parameters with respect to the fakes ({exc}).")
    if got_grad is None or not torch.allclose(got_grad, expected_grad, atol=1e-5):
        fail(name, "the new parameters do not depend on the fakes as they should: keep the fakes' graph (no "
                    ".detach()) and use create_graph=True, so that G sees how D would react to its move.")
    checks += 1
    passed(name, checks)


# ---------------------------------------------------------------------------------------------- coverage scores
_CENTERS = [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]]
_STD = 0.1  # high quality: within 3 std = 0.3 of the nearest centre
# Hand-placed samples, with each one's nearest centre and whether it is high quality (distance <= 0.3):
_SAMPLES = [
    ([1.05, 0.0], 0, True), ([0.9, 0.1], 0, True), ([1.2, 0.2], 0, True), ([0.72, 0.0], 0, True),
    ([1.25, 0.25], 0, False),   # 0.354 from the centre, though each coordinate is within 0.3
    ([0.1, 0.05], 0, False),    # in the middle: nearest to mode 0, far from it
    ([0.0, 1.12], 1, True), ([0.1, 0.85], 1, True),
    ([-1.0, 0.29], 2, True), ([-0.8, -0.1], 2, True), ([-0.3, -0.2], 2, False),
    ([0.0, -0.55], 3, False),   # mode 3 is the nearest of one sample, but of no high-quality one
]


def _scores_by_hand(counts, n):
    """modes, hq, kl from the high-quality counts per mode (KL to uniform = log K - entropy; inf without HQ)."""
    k, n_hq = len(counts), sum(counts)
    kl = math.inf if n_hq == 0 else math.log(k) + sum(c / n_hq * math.log(c / n_hq) for c in counts if c > 0)
    return {"modes": sum(c > 0 for c in counts), "hq": n_hq / n, "kl": kl}


def _as_number(name, out, key):
    if not isinstance(out, dict) or key not in out:
        fail(name, "return a dict with the keys 'modes', 'hq' and 'kl', got "
                    f"{sorted(out) if isinstance(out, dict) else type(out).__name__}")
    value = out[key]
    try:
        return float(value.reshape(())) if isinstance(value, torch.Tensor) else float(value)
    except (TypeError, ValueError, RuntimeError):
        fail(name, f"out[{key!r}] should be a number, got {out[key]!r}")


def check_mode_scores(fn) -> None:
    """Check ``fn(samples, centers, std)``: the mode-collapse protocol's scores as a dict ``modes`` (modes with at
    least one high-quality sample), ``hq`` (fraction of samples within 3 std of their nearest centre) and ``kl``
    (KL(h || uniform) = log K - entropy(h), h the histogram of the high-quality samples over the K modes, in nats;
    inf when no sample is high quality).

    Hand-placed samples around four centres, whose right scores are counted here; they tell apart the usual
    slips (a square instead of a disc, counting far samples, the reverse KL, bits, 0 log 0). Two more cases: no
    high-quality sample at all, and a perfectly even spread (kl = 0).
    """
    name = name_of(fn)
    centers = torch.tensor(_CENTERS)
    samples = torch.tensor([s for s, _, _ in _SAMPLES])
    n, k = len(_SAMPLES), len(_CENTERS)
    hq_counts = [sum(1 for _, m, hq in _SAMPLES if hq and m == j) for j in range(k)]
    all_counts = [sum(1 for _, m, _ in _SAMPLES if m == j) for j in range(k)]
    square = [sum(1 for s, m, _ in _SAMPLES if m == j and all(abs(a - b) <= 3 * _STD for a, b in zip(s, _CENTERS[j])))
              for j in range(k)]
    one_std = [sum(1 for s, m, _ in _SAMPLES if m == j and math.dist(s, _CENTERS[j]) <= _STD) for j in range(k)]
    want = _scores_by_hand(hq_counts, n)
    try:
        out = fn(samples.clone(), centers.clone(), _STD)
    except Exception as exc:
        raised(name, exc, f"called with {n} samples, {k} centres and std {_STD}")
    got = {key: _as_number(name, out, key) for key in ("modes", "hq", "kl")}
    checks = 1
    if got["modes"] != want["modes"] or not math.isclose(got["hq"], want["hq"], rel_tol=1e-6):
        square_scores, std_scores = _scores_by_hand(square, n), _scores_by_hand(one_std, n)
        if got["modes"] == k:
            why = ("mode 3 counts, though it is the nearest centre of no high-quality sample: a mode counts only when "
                   "a sample lies within 3 std of it")
        elif math.isclose(got["hq"], square_scores["hq"]):
            why = ("a sample is high quality when its *distance* to the centre is at most 3 std (a disc), not when "
                   "each coordinate is (a square): use the Euclidean norm, e.g. torch.cdist(samples, centers)")
        elif math.isclose(got["hq"], std_scores["hq"]):
            why = "the threshold is 3 std (3 * std), not one std"
        elif got["hq"] == sum(hq_counts):
            why = "hq is the *fraction* of high-quality samples (divide the count by the number of samples)"
        else:
            why = ("modes: centres within 3 std of at least one sample; hq: the fraction of samples within 3 std of "
                   "their nearest centre")
        fail(name, f"got modes = {got['modes']:g}, hq = {got['hq']:.4g}; expected modes = {want['modes']}, "
                    f"hq = {want['hq']:.4g}: {why}.")
    checks += 1
    if not math.isclose(got["kl"], want["kl"], rel_tol=1e-6, abs_tol=1e-9):
        h = [c / sum(hq_counts) for c in hq_counts]
        entropy = -sum(p * math.log(p) for p in h if p > 0)
        candidates = {
            "your histogram counts every sample's nearest mode; use the high-quality samples only":
                _scores_by_hand(all_counts, n)["kl"],
            "you measured in bits (log base 2); use natural logs": want["kl"] / math.log(2),
            "you return the entropy of h; the KL to uniform is log K minus it": entropy,
            "the sign is flipped: KL(h || uniform) = log K - entropy(h) >= 0": -want["kl"],
            "you return log K; subtract the entropy of h": math.log(k),
        }
        if math.isnan(got["kl"]):
            why = ("got nan: a mode without high-quality samples has h = 0, and 0 log 0 must count as 0 (sum over the "
                   "modes with h > 0 only)")
        elif math.isinf(got["kl"]):
            why = ("got inf: that is KL(uniform || h), infinite as soon as one mode is empty; the protocol uses "
                   "KL(h || uniform) = sum_k h_k log(K h_k)")
        else:
            why = diagnose(got["kl"], want["kl"], candidates)
        fail(name, f"kl: {why}".rstrip(".") + ".")
    checks += 1
    # no high-quality sample: nothing covered, and the histogram is undefined (the protocol's worst score, inf)
    try:
        out = fn(torch.tensor([[0.1, 0.05], [0.0, -0.55]]), centers.clone(), _STD)
    except Exception as exc:
        raised(name, exc, "called with 2 samples, neither within 3 std of a centre")
    got = {key: _as_number(name, out, key) for key in ("modes", "hq", "kl")}
    if got["modes"] != 0 or got["hq"] != 0 or got["kl"] != math.inf:
        fail(name, f"with no high-quality sample, got modes = {got['modes']:g}, hq = {got['hq']:g}, kl = {got['kl']}; "
                    "expected 0, 0 and inf (the histogram of high-quality samples is empty: return kl = math.inf, "
                    "the worst score, rather than dividing by zero).")
    checks += 1
    # an even spread: kl = 0
    even = centers.repeat(3, 1) + 0.05
    out = fn(even, centers.clone(), _STD)
    got = {key: _as_number(name, out, key) for key in ("modes", "hq", "kl")}
    if got["modes"] != k or got["hq"] != 1 or abs(got["kl"]) > 1e-9:
        fail(name, f"three high-quality samples on each of the {k} modes give modes = {got['modes']:g}, "
                    f"hq = {got['hq']:g}, kl = {got['kl']:.3g}; expected {k}, 1 and 0.")
    checks += 1
    passed(name, checks)
