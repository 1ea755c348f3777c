"""Seeds, devices and the one knob that sets how much every notebook trains.

The budget is read from the environment variable ``GANCOURSE_BUDGET``:

- ``smoke``: a few seconds per notebook, used by CI; every notebook's asserts hold here.
- ``default``: a student's CPU (a few minutes per notebook on 2 cores).
- ``full``: the real thing, meant for a GPU.

When the variable is unset, the budget is ``full`` if a CUDA GPU is present and ``default`` otherwise.
Notebooks ask for sizes with :func:`pick`::

    steps = gc.pick(smoke=300, default=3000, full=20000)

Every random choice of a notebook starts from one seed, read from ``GANCOURSE_SEED`` (default 0) by :func:`seed`::

    SEED = gc.seed_everything()        # seeds Python, NumPy and torch with gc.seed() and returns it
    trainer = gc.GANTrainer(G, D, seed=SEED)
    gen = torch.Generator().manual_seed(SEED + 1)   # further streams are derived from the one seed
"""
from __future__ import annotations

import os
import random

import numpy as np
import torch

from . import validation

BUDGETS = ("smoke", "default", "full")
BUDGET_ENV = "GANCOURSE_BUDGET"
DEVICE_ENV = "GANCOURSE_DEVICE"
SEED_ENV = "GANCOURSE_SEED"
SEED_LIMIT = validation.SEED_MAX - 1024


def budget() -> str:
    """The current budget name: ``smoke``, ``default`` or ``full`` (read from ``GANCOURSE_BUDGET`` each call)."""
    value = os.environ.get(BUDGET_ENV, "").strip().lower()
    if not value:
        return "full" if torch.cuda.is_available() else "default"
    if value not in BUDGETS:
        raise ValueError(f"{BUDGET_ENV}={value!r} is not a budget; use one of {', '.join(BUDGETS)}")
    return value


def pick(smoke, default, full=None):
    """Return the value that belongs to the current budget; ``full`` falls back to ``default`` when omitted."""
    name = budget()
    if name == "smoke":
        return smoke
    if name == "full" and full is not None:
        return full
    return default


def seed() -> int:
    """The course's seed: ``GANCOURSE_SEED`` (an integer in [0, 2**32 - 1024)), 0 when unset; read each call.

    Notebooks derive every random stream from it (``SEED + 1``, ``SEED + 2``, ...), so one variable changes every
    random choice of a lesson, and a claim that holds for one seed only shows up when another is tried. The top
    1024 values are kept free so that those offsets stay valid seeds.
    """
    value = os.environ.get(SEED_ENV, "").strip()
    if not value:
        return 0
    try:
        out = int(value)
    except ValueError:
        out = -1
    if not 0 <= out < SEED_LIMIT:
        raise ValueError(f"{SEED_ENV}={value!r} is not a seed; use an integer in [0, {SEED_LIMIT})")
    return out


def seed_everything(seed: int | None = None) -> int:
    """Seed Python, NumPy and torch (CPU and CUDA) and make cuDNN deterministic; return the seed used.

    ``seed`` defaults to :func:`seed` (the ``GANCOURSE_SEED`` variable).
    """
    if seed is None:
        seed = globals()["seed"]()
    seed = validation.seed("seed", seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    return seed


def device(prefer: str | None = None) -> torch.device:
    """The best available device: CUDA, then Apple's MPS, then CPU.

    ``prefer`` (or the environment variable ``GANCOURSE_DEVICE``) forces one of ``cpu``, ``cuda``, ``mps``.
    """
    prefer = prefer or os.environ.get(DEVICE_ENV) or None
    if prefer is not None:
        kind = validation.device("device", prefer).type
        if kind == "cuda" and not torch.cuda.is_available():
            raise validation.ArgumentError("device 'cuda' was asked for but no CUDA GPU is available")
        if kind == "mps" and not _mps_available():
            raise validation.ArgumentError("device 'mps' was asked for but MPS is not available")
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def progress_enabled() -> bool:
    """Whether progress bars are shown: yes unless the environment sets ``GANCOURSE_PROGRESS=0`` (CI does)."""
    return os.environ.get("GANCOURSE_PROGRESS", "1") != "0"


def progress(iterable=None, desc: str | None = None, total: int | None = None):
    """Wrap a loop in a tqdm.auto progress bar (a widget in Jupyter); plain iteration when GANCOURSE_PROGRESS=0.

    With no ``iterable``, a bar of ``total`` steps to ``update`` by hand (what the trainers use), or None when bars
    are off.
    """
    if total is not None:
        total = validation.nonneg_int("total", total)
    if not progress_enabled():
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False, mininterval=0.5)
