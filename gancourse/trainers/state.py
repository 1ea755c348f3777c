"""What a checkpoint holds besides the weights, and how it reaches the disk.

:func:`write_atomically` writes through a temporary file beside the target
(``.tmp-<name>-<host>-<pid>-<random>.pt``, created with mode 0666 so that the umask applies, as for any new file),
flushed to disk and renamed over the target: a crash leaves the previous checkpoint intact, never a truncated one,
and the temporary files that killed writers left behind are removed by the next save of the same target.
``atomic_save`` / ``load_state`` write and read any state in the checksummed format of ``checkpoint.py``
(read with ``weights_only=True``: no code from the file runs). ``rng_state`` and ``set_rng_state`` carry every
random generator a training run draws from (torch's global and per-device ones, the trainer's own, NumPy's and
Python's), so that a resumed run continues bit-for-bit on the CPU.
"""
from __future__ import annotations

import os
import pickle
import random
import re
import secrets
import socket
import time
from pathlib import Path

import numpy as np
import torch

from .. import validation
from .checkpoint import CheckpointError, decode, encode, read_checkpoint

__all__ = ["atomic_save", "load_state", "write_atomically", "remove_stale_temporaries", "rng_state",
           "set_rng_state"]

STALE_AFTER_S = 3600  # a temporary file untouched this long is stale whoever wrote it
_HOST = re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:40] or "host"
_WRITING: set[str] = set()  # this process's temporary files being written now


def atomic_save(obj, path: str | os.PathLike, **header) -> None:
    """Write ``obj`` (anything ``torch.save`` writes and ``weights_only`` reads) to ``path`` atomically, in the
    checksummed checkpoint format (``header``: JSON fields such as ``kind``); :func:`load_state` reads it back.
    ``obj`` is refused (nothing written) when ``weights_only`` could not read it back."""
    try:
        data = encode(obj, **header)
        decode(data)  # what is written must load: weights_only refuses arbitrary objects
    except (pickle.PicklingError, TypeError, AttributeError, CheckpointError) as e:
        raise validation.ArgumentError(f"obj must hold only what torch.load(weights_only=True) reads (tensors, "
                                       f"numbers, strings, lists, dicts): {e}") from e
    write_atomically(data, path)


def load_state(path: str | os.PathLike):
    """What :func:`atomic_save` wrote, verified (checksum, format) and loaded with ``weights_only=True``."""
    return read_checkpoint(path)[1]


def write_atomically(data: bytes, path) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder (flushed to disk, then renamed over
    ``path``): a crash leaves the old file or the new one, never a mix. The file gets the mode that the umask
    gives new files; stale temporary files of earlier, killed writes of the same target are removed first."""
    path = validation.path("path", path)
    folder = path.absolute().parent
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a folder; give a file name such as {str(path / 'run.pt')!r}")
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    prefix = f".tmp-{path.name}-{_HOST}-{os.getpid()}-"
    while True:
        tmp = folder / f"{prefix}{secrets.token_hex(4)}.pt"
        try:  # 0o666: the umask decides the mode, as for any new file (mkstemp would force 0600)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            break
        except FileExistsError:
            continue
    _WRITING.add(str(tmp))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_folder(folder)
    except BaseException:
        try:
            os.remove(tmp)
        except FileNotFoundError:
            pass
        raise
    finally:
        _WRITING.discard(str(tmp))


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); some file systems cannot, which is not an error."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True


def remove_stale_temporaries(path) -> list[Path]:
    """Remove the temporary files that earlier writes of ``path`` left behind when they were killed, and return
    them. A file is stale when its writer (same host, recorded process id) is gone, when it names this process but
    this process is not writing it, or when nobody has touched it for an hour. A live writer's file is kept."""
    path = Path(path)
    folder = path.absolute().parent
    prefix = f".tmp-{path.name}-"
    mine = re.compile(re.escape(_HOST) + r"-(\d+)-[0-9a-f]{8}\.pt")
    other = re.compile(r"[A-Za-z0-9_]+-\d+-[0-9a-f]{8}\.pt")
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.startswith(prefix) or str(folder / entry.name) in _WRITING:
            continue
        rest = entry.name[len(prefix):]
        match = mine.fullmatch(rest)
        if match is None and not other.fullmatch(rest):
            continue  # not one of ours (or a longer target name that shares the prefix)
        try:
            old = now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S
            if not entry.is_file(follow_symlinks=False):
                continue
        except OSError:
            continue
        stale = old
        if match is not None and os.name == "posix":
            pid = int(match.group(1))
            stale = stale or pid == os.getpid() or not _alive(pid)  # our own pid, not in _WRITING: a previous life
        if stale:
            try:
                os.remove(folder / entry.name)
                removed.append(folder / entry.name)
            except OSError:
                pass
    return removed


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


def set_rng_state(trainer, state: dict, trainer_rng: bool = True) -> None:
    """Put back what :func:`rng_state` saved (the trainer's own noise generator only with ``trainer_rng``: it cannot
    move between device types)."""
    torch.set_rng_state(state["torch"])
    if trainer_rng:
        trainer.rng.set_state(state["trainer"])
    trainer.data_rng.set_state(state["data"])
    npst = state["numpy"]
    np.random.set_state(("MT19937", npst["keys"].numpy().astype(np.uint32), npst["pos"], npst["has_gauss"],
                         npst["cached"]))
    py = state["python"]
    random.setstate((py["version"], tuple(py["state"].tolist()), None))
    if trainer_rng and "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
