"""The table of tests/test_bad_inputs.py: every public function and class of gancourse, a call that works, and for
each argument the bad values to try (bools, strings, None, NaN, inf, -1, 0, 2.5, NumPy arrays and lists for
tensors, wrong shapes and dtypes, empty tensors). ``python tests/bad_input_table.py`` prints the counts
(clear / obscure / silent) for whichever gancourse is on the path, e.g. an older checkout through PYTHONPATH.

An outcome is *clear* when the call raises an ``ArgumentError`` whose message names the argument (or a documented
error: ``TrainingDiverged`` naming the data for NaN data), *obscure* when it raises anything else, *silent* when
it returns.
"""
from __future__ import annotations

import atexit
import dataclasses
import hashlib
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

NAN, INF = float("nan"), float("inf")
COUNT = [True, "3", None, NAN, INF, -1, 0, 2.5]             # an integer >= 1
INDEX = [True, "3", None, NAN, INF, -1, 2.5]                # an integer >= 0
POSITIVE = [True, "0.1", None, NAN, INF, -1.0, 0.0]         # a finite number > 0
NONNEG = [True, "0.1", None, NAN, INF, -1.0]                # a finite number >= 0
PROB = [True, "0.5", None, NAN, INF, -0.1, 1.5]             # a number in [0, 1]
REAL = [True, "1", None, NAN, INF]                          # any finite number
FLAG = ["yes", None, 1, 0.0]                                # True or False
NAME = [None, 1, "", "bogus", True]                         # a name from a table
SEED = [True, "1", None, NAN, INF, -1, 2.5, 2**40]
PATH = [None, "", 1, True]
MODULE = [None, "G", 1]
GEN = ["g", 1]                                              # a torch.Generator (or None)


def opt(values):
    """The same bad values without None (for arguments where None means 'the default')."""
    return [v for v in values if v is not None]


def bad_tensors(valid: torch.Tensor, *shapes, arrays=False, dtypes=True, empty=True, nan=False) -> list:
    """None, a string, (unless ``arrays``) the NumPy array and nested list of ``valid``, an empty slice, integer and
    bool versions (``dtypes="bool"``: bool only, for functions that take numbers of any type), the given wrong-shape
    tensors and (with ``nan``) a NaN-filled copy."""
    out = [None, "x"]
    if not arrays:
        out += [valid.detach().numpy(), valid.detach().tolist()]
    if empty:
        out.append(valid[:0])
    if dtypes and valid.is_floating_point():
        out += [valid.bool()] if dtypes == "bool" else [valid.long(), valid.bool()]
    out += list(shapes)
    if nan:
        out.append(torch.full_like(valid, NAN))
    return out


@dataclasses.dataclass
class Entry:
    label: str
    fn: object                      # called as fn(**kwargs)
    valid: object                   # kwargs of a call that works (a dict, or a function returning one)
    bad: dict                       # argument -> bad values
    names: dict = dataclasses.field(default_factory=dict)   # argument -> the text its message must hold
    also: tuple = ()                # other exception classes that count as clear when they name the argument


@dataclasses.dataclass
class Outcome:
    entry: str
    arg: str
    value: str
    kind: str                       # clear, unnamed, obscure, silent
    detail: str = ""


def _show(v) -> str:
    if isinstance(v, torch.Tensor):
        return f"tensor{tuple(v.shape)} {v.dtype}"
    if isinstance(v, np.ndarray):
        return f"ndarray{v.shape} {v.dtype}"
    text = repr(v)
    return text if len(text) < 40 else text[:37] + "..."


def run_entry(entry: Entry) -> list[Outcome]:
    """Call ``entry`` once with its valid arguments, then once per bad value; classify each outcome."""
    import matplotlib.pyplot as plt

    from gancourse.validation import ArgumentError

    def kwargs():
        return dict(entry.valid() if callable(entry.valid) else entry.valid)

    try:
        entry.fn(**kwargs())
    except Exception as e:  # the table itself is wrong, or the API differs (an older checkout)
        return [Outcome(entry.label, "(valid call)", "", "broken", f"{type(e).__name__}: {e}")]
    finally:
        plt.close("all")
    out = []
    for arg, values in entry.bad.items():
        name = entry.names.get(arg, arg)
        for value in values:
            args = {**kwargs(), arg: value}
            try:
                entry.fn(**args)
                kind, detail = "silent", ""
            except ArgumentError as e:
                kind, detail = ("clear" if name in str(e) else "unnamed"), str(e)
            except entry.also as e:  # a documented error (a missing file): it names the argument or the path
                named = name in str(e) or (isinstance(value, Path) and str(value) in str(e))
                kind, detail = ("clear" if named else "unnamed"), f"{type(e).__name__}: {e}"
            except Exception as e:
                kind, detail = "obscure", f"{type(e).__name__}: {e}"
            finally:
                plt.close("all")
            out.append(Outcome(entry.label, arg, _show(value), kind, detail[:300]))
    return out


# ---------------------------------------------------------------------------------------------- fixtures on disk
ROOT = Path(tempfile.mkdtemp(prefix="gancourse-bad-inputs-"))
atexit.register(shutil.rmtree, ROOT, True)


def files() -> dict:
    """Small files the loaders accept (built once): an image folder, MNIST-style IDX files, side-by-side pairs, a
    horse2zebra-style folder, a file to download, a zip archive and a checkpoint."""
    if (ROOT / "done").exists():
        return _FILES
    import gzip
    import tarfile
    import zipfile

    from PIL import Image

    for i, cls in enumerate(("a", "b")):
        (ROOT / "folder" / cls).mkdir(parents=True)
        Image.new("RGB", (12, 10), (40 * i, 0, 0)).save(ROOT / "folder" / cls / f"{i}.png")
    (ROOT / "celeba" / "img_align_celeba").mkdir(parents=True)
    Image.new("RGB", (12, 14)).save(ROOT / "celeba" / "img_align_celeba" / "1.png")
    (ROOT / "mnist").mkdir()
    for prefix, count in (("train", 4), ("t10k", 2)):
        for kind, arr in (("images-idx3", np.zeros((count, 28, 28), np.uint8)),
                          ("labels-idx1", np.arange(count, dtype=np.uint8))):
            raw = bytes([0, 0, 8, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape) + arr.tobytes()
            name = f"{prefix}-{kind}-ubyte.gz"
            (ROOT / "mnist" / name).write_bytes(gzip.compress(raw, mtime=0))
            MNIST_FILES[name] = hashlib.sha256((ROOT / "mnist" / name).read_bytes()).hexdigest()
    for split in ("train", "val"):
        (ROOT / "facades" / split).mkdir(parents=True)
        Image.new("RGB", (8, 4)).save(ROOT / "facades" / split / "1.png")
    for part in ("trainA", "trainB", "testA", "testB"):
        (ROOT / "h2z" / part).mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(ROOT / "h2z" / part / "1.png")
    (ROOT / "blob.bin").write_bytes(b"gancourse" * 100)
    with zipfile.ZipFile(ROOT / "a.zip", "w") as zf:
        zf.writestr("x/1.txt", "one")
    with tarfile.open(ROOT / "facades.tar.gz", "w:gz") as tf:
        tf.add(ROOT / "facades", arcname="facades")
    with zipfile.ZipFile(ROOT / "horse2zebra.zip", "w") as zf:
        zf.write(ROOT / "h2z" / "trainA" / "1.png", "horse2zebra/trainA/1.png")
    _FILES.update({name: hashlib.sha256((ROOT / name).read_bytes()).hexdigest()
                   for name in ("blob.bin", "facades.tar.gz", "horse2zebra.zip")})
    (ROOT / "done").write_text("")
    return _FILES


_FILES: dict = {}
MNIST_FILES: dict = {}  # the fake files' SHA-256 table, in place of the published one while a loader runs
_n = iter(range(10**9))


def fresh(name: str) -> Path:
    """A new path under the fixture folder (each call its own, so calls do not see each other's files)."""
    return ROOT / "out" / f"{next(_n)}-{name}"


if __name__ == "__main__":
    import collections
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from bad_input_entries import ENTRIES

    totals, broken = collections.Counter(), []
    for e in ENTRIES:
        for o in run_entry(e):
            totals[o.kind] += 1
            if o.kind != "clear":
                print(f"{o.kind:8} {o.entry}({o.arg}={o.value}): {o.detail[:160]}")
    print(dict(totals), "callables:", len(ENTRIES))
