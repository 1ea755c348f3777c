"""One place that checks the package's arguments, so every bad input gets the same kind of clear error.

Every check returns the value in its normal form (an ``int``, a ``float``, a tensor) or raises
:class:`ArgumentError` with a message that names the argument, says what is allowed and shows what was given::

    steps = validation.integer("steps", steps, low=0)            # "steps must be an integer >= 0, got 2.5"
    lr = validation.number("lr_d", lr_d, low=0, low_open=True)   # "lr_d must be a finite number > 0, got inf"
    loss = validation.choice("g_loss", g_loss, G_LOSSES)         # "g_loss must be one of ..., got 'foo'"

``ArgumentError`` is both a ``ValueError`` (what the course has always raised for bad arguments) and a
``TypeError`` (what Python raises for a wrong type), so either ``except`` catches it.
"""
from __future__ import annotations

import math
import numbers
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "ArgumentError", "integer", "number", "probability", "choice", "boolean", "seed", "tensor", "batch",
    "positive_int", "nonneg_int", "power_of_two", "positive", "nonneg", "string", "path", "lookup", "Range",
    "Checked", "device", "shown", "array", "same_shape", "module", "generator", "function", "betas", "size_pair",
]

SEED_MAX = 2**32  # numpy's limit; torch takes larger seeds, but one range for every seed is simpler


class ArgumentError(ValueError, TypeError):
    """A public function or class got an argument it cannot use; the message names it and says what is allowed."""


def shown(value) -> str:
    """``value`` as an error message shows it: its repr, cut to 80 characters (a tensor or an array: its type,
    shape and dtype)."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return f"a {type(value).__module__.split('.')[0]}.{type(value).__name__} of shape {tuple(value.shape)} " \
               f"and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _fail(name: str, what: str, value) -> ArgumentError:
    return ArgumentError(f"{name} must be {what}, got {shown(value)}")


def _bounds(low, high, low_open=False, high_open=False) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    return " and ".join(parts)


def integer(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """An integer (Python or NumPy; a float only when it is a whole number such as ``3.0``) within [low, high].

    Refused: ``True``/``False``, strings, ``None``, NaN, infinities, 2.5, 0-d tensors.
    """
    what = "an integer" + (" " + _bounds(low, high) if low is not None or high is not None else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _fail(name, what, value)
    if isinstance(value, numbers.Integral):
        out = int(value)
    else:
        f = float(value)
        if not math.isfinite(f) or f != int(f):
            raise _fail(name, what, value)
        out = int(f)
    if (low is not None and out < low) or (high is not None and out > high):
        raise _fail(name, what, value)
    return out


def positive_int(name: str, value) -> int:
    """An integer >= 1 (a count, a size, a number of steps)."""
    return integer(name, value, low=1)


def nonneg_int(name: str, value) -> int:
    """An integer >= 0."""
    return integer(name, value, low=0)


def power_of_two(name: str, value, *, low: int = 1) -> int:
    """An integer power of two >= ``low`` (an image size that a network halves or doubles)."""
    what = f"a power of two >= {low} ({low}, {2 * low}, {4 * low}, ...)"
    try:
        n = integer(name, value, low=low)
    except ArgumentError:
        raise _fail(name, what, value) from None
    if n & (n - 1):
        raise _fail(name, what, value)
    return n


def number(name: str, value, *, low: float | None = None, high: float | None = None, low_open: bool = False,
           high_open: bool = False) -> float:
    """A finite real number (int, float or NumPy scalar) within the bounds; returned as ``float``.

    Refused: ``True``/``False``, strings such as ``'0.1'``, ``None``, NaN, infinities, tensors.
    """
    bounds = _bounds(low, high, low_open, high_open)
    what = "a finite number" + (" " + bounds if bounds else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise _fail(name, what, value)
    f = float(value)
    if not math.isfinite(f):
        raise _fail(name, what, value)
    if low is not None and (f < low or (low_open and f == low)):
        raise _fail(name, what, value)
    if high is not None and (f > high or (high_open and f == high)):
        raise _fail(name, what, value)
    return f


def positive(name: str, value) -> float:
    """A finite number > 0 (a learning rate, a standard deviation, a weight that must act)."""
    return number(name, value, low=0, low_open=True)


def nonneg(name: str, value) -> float:
    """A finite number >= 0 (a loss weight that may be off)."""
    return number(name, value, low=0)


def probability(name: str, value) -> float:
    """A number in [0, 1]."""
    return number(name, value, low=0, high=1)


def _same(value, option) -> bool:
    if isinstance(value, bool) != isinstance(option, bool) or isinstance(value, str) != isinstance(option, str):
        return False  # True is not 1, and '2' is not 2
    try:
        return bool(value == option)
    except Exception:  # an oddly comparing value (an array, say) is simply not a choice
        return False


def choice(name: str, value, choices: Iterable):
    """One of ``choices`` (compared with ``==``, but ``True`` never matches 1 and a string never matches a number)."""
    options = list(choices.keys() if isinstance(choices, Mapping) else choices)
    if not any(_same(value, c) for c in options):
        raise _fail(name, "one of " + ", ".join(repr(c) for c in options), value)
    return value


def lookup(what: str, key, table: Iterable):
    """A name from one of the package's tables (losses, toy distributions, norms, ...): ``table[key]`` for a dict,
    ``key`` itself for a tuple of names.

    An unknown name raises ``unknown <what> 'key'; choose from a, b, c``: the wording a learner has seen since
    lesson 01 (``unknown generator loss 'non-saturating'; choose from ...``).
    """
    if not isinstance(key, str) or key not in table:
        raise ArgumentError(f"unknown {what} {key!r}; choose from {', '.join(map(str, table))}")
    return table[key] if isinstance(table, Mapping) else key


def boolean(name: str, value) -> bool:
    """``True`` or ``False`` (not 0/1, not a string)."""
    if not isinstance(value, (bool, np.bool_)):
        raise _fail(name, "True or False", value)
    return bool(value)


def string(name: str, value, *, pattern: str | None = None, what: str = "a non-empty string") -> str:
    """A non-empty ``str``; with ``pattern``, one that the regular expression matches in full (``what`` says how
    the message describes it: ``"an http:// or https:// address"``)."""
    if not isinstance(value, str) or not value or (pattern is not None and not re.fullmatch(pattern, value)):
        raise _fail(name, what, value)
    return value


def path(name: str, value) -> Path:
    """A file-system path: a non-empty ``str`` or ``os.PathLike`` (not bytes, not None), as a ``pathlib.Path``."""
    text = os.fspath(value) if isinstance(value, os.PathLike) else value
    if not isinstance(text, str) or not text or "\x00" in text:
        raise _fail(name, "a path (a non-empty str or pathlib.Path)", value)
    return Path(text)


def seed(name: str, value) -> int:
    """A seed: an integer in [0, 2**32)."""
    return integer(name, value, low=0, high=SEED_MAX - 1)


def device(name: str, value) -> torch.device:
    """A device the course runs on: ``'cpu'``, ``'cuda'``, ``'cuda:N'``, ``'mps'`` or such a ``torch.device`` (not
    whether it is present: :func:`gancourse.device` checks that)."""
    what = "'cpu', 'cuda', 'cuda:N', 'mps' or a torch.device"
    if isinstance(value, bool) or not isinstance(value, (str, torch.device, int)):
        raise _fail(name, what, value)
    try:
        out = torch.device(value)
    except (RuntimeError, TypeError, ValueError):
        raise _fail(name, what, value) from None
    if out.type not in ("cpu", "cuda", "mps"):
        raise ArgumentError(f"{name} {shown(value)} is not supported; use 'cpu', 'cuda', 'cuda:N' or 'mps'")
    return out


_FLOATS = (torch.float16, torch.bfloat16, torch.float32, torch.float64)


def tensor(name: str, value, *, ndim: int | Iterable[int] | None = None, size: Mapping[int, int] | None = None,
           floating: bool = True, finite: bool = True, nonempty: bool = True) -> torch.Tensor:
    """A ``torch.Tensor`` of the given rank (``ndim``: one number or several allowed), sizes (``size``: dimension
    -> required length, e.g. ``{1: 2}`` for points in the plane), floating dtype, all values finite, not empty.

    NumPy arrays and nested lists are refused with a message that says how to convert them (``torch.as_tensor``):
    the trainers would otherwise fail deep inside torch with an unrelated message.
    """
    if not isinstance(value, torch.Tensor):
        hint = " (convert it with torch.as_tensor(..., dtype=torch.float32))" if isinstance(
            value, (np.ndarray, list, tuple)) else ""
        raise _fail(name, "a torch.Tensor" + hint, value)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if value.ndim not in allowed:
            dims = " or ".join(str(d) for d in allowed)
            raise ArgumentError(f"{name} must have {dims} dimensions, got shape {tuple(value.shape)}")
    if nonempty and value.numel() == 0:
        raise ArgumentError(f"{name} must not be empty, got shape {tuple(value.shape)}")
    for dim, length in (size or {}).items():
        if value.ndim <= dim or value.shape[dim] != length:
            raise ArgumentError(f"{name} must have size {length} along dimension {dim}, got shape "
                                f"{tuple(value.shape)}")
    if floating and value.dtype not in _FLOATS:
        raise ArgumentError(f"{name} must be a floating-point tensor (float32, say), got dtype {value.dtype}")
    if finite and value.numel() and value.dtype in _FLOATS and not bool(torch.isfinite(value).all()):
        raise ArgumentError(f"{name} contains NaN or infinite values")
    return value


def array(name: str, value, *, ndim: int | Iterable[int] | None = None, nonempty: bool = True, nan: bool = False,
          finite: bool = False, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Numbers on a grid or a sample: a tensor, a NumPy array, a (nested) list of numbers or one number, returned as
    a ``dtype`` tensor on the CPU. Refused: None, strings, bools, non-numeric arrays, the wrong rank (``ndim``),
    empty arrays (unless ``nonempty=False``), NaN (unless ``nan=True``) and, with ``finite=True``, infinities
    (log-densities may be -inf: the log of a zero density)."""
    what = "numbers (a tensor, an array or a list)"
    if value is None or isinstance(value, (str, bytes, bool, dict)) or (
            isinstance(value, torch.Tensor) and value.dtype == torch.bool) or (
            isinstance(value, np.ndarray) and value.dtype.kind not in "iuf"):
        raise _fail(name, what, value)
    try:
        out = (value.detach() if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value)))
        if not (out.is_floating_point() or out.dtype in (torch.int8, torch.int16, torch.int32, torch.int64,
                                                          torch.uint8)):
            raise TypeError
        out = out.to("cpu", dtype)
    except (TypeError, ValueError, RuntimeError):
        raise _fail(name, what, value) from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if out.ndim not in allowed:
            raise ArgumentError(f"{name} must have {' or '.join(map(str, allowed))} dimensions, got shape "
                                f"{tuple(out.shape)}")
    if nonempty and out.numel() == 0:
        raise ArgumentError(f"{name} must not be empty, got shape {tuple(out.shape)}")
    if finite and not bool(torch.isfinite(out).all()):
        raise ArgumentError(f"{name} contains NaN or infinite values")
    if not nan and bool(torch.isnan(out).any()):
        raise ArgumentError(f"{name} contains NaN")
    return out


def same_shape(names: str, *tensors: torch.Tensor) -> None:
    """Tensors that must have one shape (``names``: how the message calls them, e.g. ``"fake and real"``)."""
    shapes = [tuple(t.shape) for t in tensors]
    if len(set(shapes)) > 1:
        raise ArgumentError(f"{names} must have the same shape, got {' and '.join(map(str, shapes))}")


def module(name: str, value) -> torch.nn.Module:
    """A ``torch.nn.Module`` (a generator, a discriminator, a layer)."""
    if not isinstance(value, torch.nn.Module):
        raise _fail(name, "a torch.nn.Module", value)
    return value


def generator(name: str, value) -> torch.Generator | None:
    """A ``torch.Generator``, or None (the global random stream)."""
    if value is not None and not isinstance(value, torch.Generator):
        raise _fail(name, "a torch.Generator or None", value)
    return value


def function(name: str, value):
    """Something callable (a function, a loss, a callback)."""
    if not callable(value) or isinstance(value, type):
        raise _fail(name, "a function", value)
    return value


def betas(name: str, value) -> tuple[float, float]:
    """Adam's ``betas``: a pair of numbers in [0, 1)."""
    what = "a pair of numbers in [0, 1), e.g. (0.5, 0.999)"
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise _fail(name, what, value)
    try:
        return tuple(number(name, b, low=0, high=1, high_open=True) for b in value)
    except ArgumentError:
        raise _fail(name, what, value) from None


def size_pair(name: str, value, *, low: float = 0, integral: bool = False) -> tuple:
    """A pair (a figure size in inches, an image size (H, W)), each a finite number > ``low`` (an integer when
    ``integral``)."""
    kind = "integers" if integral else "numbers"
    what = f"a pair of {kind} > {low:g}"
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise _fail(name, what, value)
    try:
        check = (lambda v: integer(name, v, low=int(low) + 1)) if integral else (
            lambda v: number(name, v, low=low, low_open=True))
        return tuple(check(v) for v in value)
    except ArgumentError:
        raise _fail(name, what, value) from None


def batch(name: str, value, *, dim: int | None = None, image: bool = False) -> torch.Tensor:
    """A training batch: a non-empty floating tensor with samples along dimension 0.

    ``dim``: the number of features of a flat batch (points of a toy distribution), checked as shape (B, dim).
    ``image``: a (B, C, H, W) batch. Values are not checked for NaN here (that would synchronise a GPU every step);
    the trainer checks its losses instead.
    """
    if image:
        return tensor(name, value, ndim=4, finite=False)
    if dim is not None:
        return tensor(name, value, ndim=2, size={1: dim}, finite=False)
    return tensor(name, value, finite=False)


class Range:
    """A setting's allowed values, for validation and for the widget that shows it (one table, two users).

    ``Range(1, 10)`` is an integer range, ``Range(1e-5, 1e-1, log=True)`` a float range on a log scale,
    ``Range(choices=(2, 4, 8))`` a list of values, ``Range(kind=bool)`` a switch.
    """

    def __init__(self, low=None, high=None, *, log: bool = False, choices: Iterable | None = None,
                 kind: type | None = None):
        self.low, self.high, self.log = low, high, log
        self.choices = tuple(choices) if choices is not None else None
        self.kind = kind or (None if self.choices is not None else (
            int if isinstance(low, int) and isinstance(high, int) and not log else float))

    def check(self, name: str, value):
        if self.kind is bool:
            return boolean(name, value)
        if self.choices is not None:
            return choice(name, value, self.choices)
        if self.kind is int:
            return integer(name, value, low=self.low, high=self.high)
        return number(name, value, low=self.low, high=self.high)

    def __repr__(self):
        if self.kind is bool:
            return "Range(kind=bool)"
        if self.choices is not None:
            return f"Range(choices={self.choices!r})"
        return f"Range({self.low!r}, {self.high!r}{', log=True' if self.log else ''})"


class Checked:
    """A class attribute whose every assignment goes through a check: the knobs a user (or the live lab) turns
    while training stay valid however they are set::

        class Trainer:
            k = Checked(positive_int, "k (D steps per G step)", doc="D steps per G step.")

        trainer.k = 0      # ArgumentError: k (D steps per G step) must be an integer >= 1, got 0

    ``check(label, value)`` returns the value to store (``label`` defaults to the attribute's name).
    """

    def __init__(self, check, label: str | None = None, *, doc: str | None = None):
        self.check, self.label, self.__doc__ = check, label, doc

    def __set_name__(self, owner, name):
        self.name, self.slot = name, "_" + name
        self.label = self.label or name

    def __get__(self, obj, owner=None):
        return self if obj is None else getattr(obj, self.slot)

    def __set__(self, obj, value):
        setattr(obj, self.slot, self.check(self.label, value))
