"""What every checker shares: the verdicts (a friendly line, and :class:`ExerciseFailed` when wrong), turning a
learner's return value into a number, naming the usual slip behind a wrong value, the loss checks' common logic,
and the mock networks with hand-set weights whose gradients the checkers write out by hand."""
from __future__ import annotations

import functools
import math

import numpy as np
import torch
from torch import nn

from .. import validation

__all__ = ["ExerciseFailed", "fail", "raised", "passed", "name_of", "sigmoid", "mean", "scalar", "diagnose",
           "check_loss", "FixedLinear", "QuadraticCritic", "keeps_global_rng", "call", "number", "match"]


class ExerciseFailed(AssertionError):
    """A checker found a mistake; the message says what was expected and, when it can, what went wrong."""


def fail(name: str, message: str):
    text = f"❌ {name}: {message}"
    print(text)
    raise ExerciseFailed(text)


def raised(name: str, exc: Exception, call: str):
    if isinstance(exc, NotImplementedError):
        fail(name, f"not written yet ({exc}): fill in the exercise cell above, run it, then run this cell again.")
    fail(name, f"raised {type(exc).__name__}: {exc} ({call})")


def passed(name: str, n: int):
    print(f"✅ {name}: {n} checks passed")


def name_of(fn, *, modules: bool = False) -> str:
    """The name to call the learner's function by (refused with an ArgumentError when ``fn`` is not a function;
    with ``modules``, an ``nn.Module`` subclass is an answer too: calling it builds the layer)."""
    if not (modules and isinstance(fn, type) and issubclass(fn, nn.Module)):
        validation.function("fn", fn)
    return getattr(fn, "__name__", "your function")


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def mean(xs) -> float:
    return sum(xs) / len(xs)


def scalar(name, out):
    """The learner's return value as a float, or a failure that says why it is not a scalar tensor."""
    if not isinstance(out, torch.Tensor):
        fail(name, f"return a torch tensor (so that it can be back-propagated), got {type(out).__name__} {out!r}")
    if out.numel() != 1:
        fail(name, f"return a scalar (one number: average over the batch), got shape {tuple(out.shape)}")
    return float(out.detach().reshape(()))


def diagnose(value: float, expected: float, candidates: dict) -> str:
    """Say which known slip (if any) produces ``value``."""
    if math.isnan(value):
        return ("got NaN. The inputs are logits (any real number), not probabilities: log of a negative number "
                "is NaN. Turn logits into log-probabilities with F.logsigmoid(l) = -F.softplus(-l).")
    for slip, v in candidates.items():
        if v is not None and math.isfinite(v) and math.isclose(value, v, rel_tol=1e-4, abs_tol=1e-6):
            return f"got {value:.6g}, expected {expected:.6g}: that is the value you get when {slip}."
    return f"got {value:.6g}, expected {expected:.6g}."


def check_loss(name, fn, inputs, expected, grads, candidates, extreme=None, stable=True):
    stable = validation.boolean("stable", stable)
    """Shared logic of the loss checkers: value, slips, gradient and numerical stability."""
    checks = 0
    xs = [torch.tensor(v, dtype=torch.float32, requires_grad=True) for v in inputs]
    try:
        out = fn(*xs)
    except Exception as exc:  # the learner's error, shown with the inputs that caused it
        raised(name, exc, f"called with logits {', '.join(str(v) for v in inputs)}")
    value = scalar(name, out)
    checks += 1
    if not math.isclose(value, expected, rel_tol=1e-5, abs_tol=1e-6):
        fail(name, diagnose(value, expected, candidates))
    checks += 1
    if not out.requires_grad:
        fail(name, "the value is right but it carries no gradient: keep everything in torch (no .item(), "
                    ".detach(), numpy or math on tensors), so that backward() reaches the logits.")
    out.backward()
    for x, g_expected, arg in zip(xs, grads, ("first", "second")):
        if x.grad is None or not torch.allclose(x.grad, torch.tensor(g_expected), rtol=1e-4, atol=1e-6):
            got = None if x.grad is None else [round(v, 5) for v in x.grad.tolist()]
            fail(name, f"the gradient with respect to the {arg} argument is {got}, expected "
                        f"{[round(v, 5) for v in g_expected]}.")
        checks += 1
    if stable and extreme is not None:
        ext_inputs, ext_expected = extreme
        value = scalar(name, fn(*[torch.tensor(v) for v in ext_inputs]))
        if not math.isfinite(value) or not math.isclose(value, ext_expected, rel_tol=1e-4):
            fail(name, f"on extreme logits {', '.join(str(v) for v in ext_inputs)} it returns {value}, expected "
                        f"{ext_expected}: log(sigmoid(l)) underflows to log(0) = -inf. Use the stable forms "
                        "log D = -F.softplus(-l) and log(1 - D) = -F.softplus(l) (or F.logsigmoid).")
        checks += 1
    passed(name, checks)


def keeps_global_rng(checker):
    """Run ``checker`` inside ``torch.random.fork_rng``: the layers it builds (the learner's and its own mocks) draw
    their initial weights from torch's global generator, and a notebook's later cells must not depend on whether,
    or how far, an exercise's checker ran."""

    @functools.wraps(checker)
    def wrapper(*args, **kwargs):
        with torch.random.fork_rng(devices=[]):
            return checker(*args, **kwargs)

    return wrapper


class FixedLinear(nn.Module):
    """A linear map with the given weights (out, in) and bias: the mock G (2 -> 2) and the mock D (2 -> one logit,
    squeezed to shape (B,)) whose gradients a checker can write out by hand."""

    def __init__(self, weight, bias):
        super().__init__()
        w = torch.tensor(weight)
        self.z_dim = w.shape[1]
        self.net = nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            self.net.weight.copy_(w)
            self.net.bias.copy_(torch.tensor(bias))

    def forward(self, x):
        out = self.net(x)
        return out.squeeze(-1) if out.shape[-1] == 1 else out


class QuadraticCritic(nn.Module):
    """D(x) = sum(0.5 a x^2 + b x) per sample, so grad_x D = a x + b in closed form, for the gradient-penalty
    checkers. ``b`` is ``scale`` times a normal draw of ``shape`` (a fixed ``seed``); ``calls`` records every input
    with whether it required a gradient (where D was evaluated, and whether it could be differentiated there)."""

    def __init__(self, shape, *, a: float, scale: float, seed: int):
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.a = nn.Parameter(torch.tensor(a))
        self.b = nn.Parameter(scale * torch.randn(shape, generator=gen))
        self.calls = []

    def forward(self, x):
        self.calls.append((x.detach().clone(), x.requires_grad))
        return (0.5 * self.a * x.pow(2) + self.b * x).flatten(1).sum(1)


def call(name: str, fn, args: tuple, how: str):
    """``fn(*args)``, or a verdict naming the call when the learner's code raises (an overflow gets advice)."""
    try:
        return fn(*args)
    except OverflowError as exc:
        fail(name, f"raised OverflowError ({exc}) when called as {how}: exp of a large number overflows; "
                    "subtract first and exponentiate the difference.")
    except Exception as exc:  # the learner's code raised (or has not been written yet): say where
        raised(name, exc, f"called as {how}")


def number(name: str, out) -> float:
    """A scalar return value (tensor, NumPy or Python number) as a float, or a failure saying why it is not one."""
    if isinstance(out, torch.Tensor):
        if out.numel() != 1:
            fail(name, f"return one number, got a tensor of shape {tuple(out.shape)}")
        out = out.detach().reshape(())
        if out.is_complex():
            fail(name, "the result is complex: a matrix square root of a product of covariances can carry tiny "
                        "imaginary parts from rounding; take the real part (.real) at the end")
        return float(out)
    if isinstance(out, (complex, np.complexfloating)) or (isinstance(out, np.ndarray) and np.iscomplexobj(out)):
        fail(name, "the result is complex: scipy.linalg.sqrtm can return tiny imaginary parts from rounding; "
                    "take the real part (.real) of the square root")
    try:
        value = float(np.asarray(out).reshape(()))
    except Exception:
        fail(name, f"return one number, got {type(out).__name__} {out!r}")
    return value


def match(value: float, candidates: dict, expected: float, rel: float = 1e-4) -> str:
    """Say which known slip (if any) gives ``value``, for any number (no logit-specific advice on NaN)."""
    if math.isnan(value):
        return f"got NaN, expected {expected:.6g}."
    for slip, v in candidates.items():
        if v is not None and math.isfinite(v) and math.isclose(value, v, rel_tol=rel, abs_tol=1e-7):
            return f"got {value:.6g}, expected {expected:.6g}: that is the value you get when {slip}."
    return f"got {value:.6g}, expected {expected:.6g}."
