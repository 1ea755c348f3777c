"""What a checkpoint holds besides the weights, and how it reaches the disk.

``atomic_save`` writes through a temporary file so that a crash never leaves a truncated checkpoint;
``load_state`` reads with ``weights_only=True`` (no code from the file runs); ``rng_state`` and
``set_rng_state`` carry every random generator a training run draws from (torch's global and per-device ones, the
trainer's own, NumPy's and Python's), so that a resumed run continues bit-for-bit on the CPU.
"""
from __future__ import annotations

import contextlib
import os
import random
import tempfile

import numpy as np
import torch

__all__ = ["atomic_save", "load_state", "rng_state", "set_rng_state"]


def atomic_save(obj, path: str | os.PathLike) -> None:
    """``torch.save`` to a temporary file in the same folder, flush it to disk, then rename over ``path``.

    A crash mid-write leaves the previous checkpoint intact, never a truncated one.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pt", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def load_state(path: str | os.PathLike) -> dict:
    """Load a checkpoint with ``weights_only=True`` (no arbitrary code from the file runs)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {os.fspath(path)!r}")
    return torch.load(path, map_location="cpu", weights_only=True)


def rng_state(trainer) -> dict:
    """Every generator's state as tensors and plain numbers (``weights_only`` can load it)."""
    np_state = np.random.get_state()
    py_state = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "trainer": trainer.rng.get_state(),
        "data": trainer.data_rng.get_state(),
        "numpy": {"keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached": float(np_state[4])},
        "python": {"version": py_state[0], "state": torch.tensor(py_state[1], dtype=torch.int64)},
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(trainer, state: dict) -> None:
    """Put back what :func:`rng_state` saved."""
    torch.set_rng_state(state["torch"])
    trainer.rng.set_state(state["trainer"])
    trainer.data_rng.set_state(state["data"])
    npst = state["numpy"]
    np.random.set_state(("MT19937", npst["keys"].numpy().astype(np.uint32), npst["pos"], npst["has_gauss"],
                         npst["cached"]))
    py = state["python"]
    random.setstate((py["version"], tuple(py["state"].tolist()), None))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
