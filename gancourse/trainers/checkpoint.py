"""Checkpoint files that are whole or refused.

A checkpoint is one file of three parts::

    GANCOURSE-CHECKPOINT\\n                     the magic line
    <SHA-256 of everything below, 64 hex>\\n
    {"kind": "GANTrainer", "device": "cpu", "payload_bytes": N, "version": 1, ...}\\n
    <N bytes: torch.save of the trainer's state_dict()>

:func:`read_checkpoint` refuses a file whose checksum does not match (any changed, missing or added byte) before
``torch.load`` sees a byte of it, and then loads the payload with ``weights_only=True`` (no code from the file
runs). :func:`check_state` compares what was loaded with the live trainer (kind, models, every tensor's shape
and dtype, optimizers' groups and state, schedulers, generators) so that :meth:`Trainer.load_checkpoint` can
refuse a checkpoint that does not fit *before* it copies a single tensor.

The bytes reach the disk through :func:`gancourse.trainers.state.write_atomically`.
"""
from __future__ import annotations

import hashlib
import io
import json

import torch

from .. import validation

__all__ = ["CheckpointError", "encode", "decode", "read_checkpoint", "check_state", "learning_rates",
           "set_learning_rates", "misfit", "FORMAT_VERSION"]

MAGIC = b"GANCOURSE-CHECKPOINT\n"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be loaded: damaged, truncated, of another trainer or not a gancourse checkpoint
    at all. The message says which and what to do; the trainer it was meant for is unchanged."""


# ---------------------------------------------------------------------------------------------- the file format
def encode(state, **header) -> bytes:
    """The bytes of a checkpoint file holding ``state`` (anything ``torch.save`` writes and ``weights_only`` reads)
    and the ``header`` fields (kind, device: plain JSON values)."""
    buf = io.BytesIO()
    torch.save(state, buf)
    payload = buf.getvalue()
    head = {**header, "version": FORMAT_VERSION, "payload_bytes": len(payload), "torch": torch.__version__}
    body = json.dumps(head, sort_keys=True).encode() + b"\n" + payload
    return MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def decode(data: bytes, where: str = "the file") -> tuple[dict, object]:
    """``(header, state)`` from the bytes of a checkpoint file, or :class:`CheckpointError` saying what is wrong."""
    n = len(data)
    if n == 0:
        raise CheckpointError(f"{where} is empty (0 bytes): it is not a checkpoint (a save that never wrote?)")
    if not data.startswith(MAGIC):
        start = data[:len(MAGIC)]
        if len(start) == len(MAGIC) and sum(a != b for a, b in zip(start, MAGIC)) <= 2:
            raise CheckpointError(f"{where} is damaged: its first line is {start!r}, not {MAGIC!r}")
        if MAGIC.startswith(data):
            raise CheckpointError(f"{where} is truncated after {n} bytes, inside its first line")
        raise CheckpointError(_not_ours(data, where))
    top = len(MAGIC) + 65  # the magic line and the checksum line
    body = data[top:]
    digest = data[len(MAGIC):top]
    header = _parse_header(body)
    if header is None and b"\n" not in body[:4096]:
        raise CheckpointError(f"{where} is truncated or damaged: it ends after {n} bytes, before its header does")
    declared = header.get("payload_bytes") if isinstance(header, dict) else None
    payload = body[body.find(b"\n") + 1:] if header is not None else b""
    if isinstance(declared, int) and len(payload) < declared:
        raise CheckpointError(f"{where} is truncated: it ends after {n} bytes, {declared - len(payload)} bytes "
                              "short of what its header announces (a copy or a write that did not finish); "
                              "use an earlier checkpoint")
    if n < top or digest[-1:] != b"\n" or hashlib.sha256(body).hexdigest().encode() != digest[:-1]:
        raise CheckpointError(f"{where} is damaged: the SHA-256 of its contents does not match the one written "
                              "with it (a changed, missing or added byte); use an earlier checkpoint")
    if not isinstance(header, dict):
        raise CheckpointError(f"{where} has a valid checksum but no readable header: it was not written by "
                              "gancourse")
    if header.get("version") != FORMAT_VERSION:
        raise CheckpointError(f"{where} is a checkpoint of format version {header.get('version')!r}; this "
                              f"gancourse reads version {FORMAT_VERSION} (update gancourse, or save it again with "
                              "the version that wrote it)")
    if len(payload) != declared:
        raise CheckpointError(f"{where} holds {len(payload)} bytes of state, its header says {declared}")
    try:
        state = torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
    except Exception as e:  # the checksum matched, so this is a file crafted with a valid checksum
        raise CheckpointError(f"{where} passed its checksum but torch.load(weights_only=True) refused its "
                              f"contents: {e}") from e
    return header, state


def _parse_header(body: bytes):
    line, sep, _ = body[:4096].partition(b"\n")
    if not sep:
        return None
    try:
        return json.loads(line)
    except ValueError:
        return None


def _not_ours(data: bytes, where: str) -> str:
    """Why a file without the magic line is refused: a plain state_dict, an old gancourse checkpoint, or other."""
    if not data.startswith((b"PK\x03\x04", b"\x80")):  # torch.save writes zip files (old torch: raw pickles)
        return (f"{where} is not a gancourse checkpoint (it starts with {data[:16]!r}; a checkpoint starts with "
                f"{MAGIC!r})")
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as e:
        return (f"{where} is not a gancourse checkpoint, and torch.load(weights_only=True) cannot read it either "
                f"({type(e).__name__}: {str(e)[:300]})")
    if isinstance(obj, dict) and {"models", "optimizers", "rng"} <= set(obj):
        return (f"{where} is a gancourse checkpoint of the old format, which had no checksum, so it is refused "
                "(there is no way to tell a damaged one from a good one). If you trust it, take its parts by hand: "
                "state = torch.load(path, weights_only=True); trainer.G.load_state_dict(state['models']['G'])")
    if isinstance(obj, dict) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        first = next(iter(obj))
        return (f"{where} looks like a plain state_dict ({len(obj)} tensors, the first {first!r}), not a trainer "
                "checkpoint: load it into a model with model.load_state_dict(torch.load(path, weights_only=True))")
    what = f"a dict with keys {sorted(map(str, obj))[:8]}" if isinstance(obj, dict) else type(obj).__name__
    return f"{where} is a torch.save file holding {what}, not a gancourse checkpoint (save_checkpoint writes those)"


def read_checkpoint(path) -> tuple[dict, object]:
    """``(header, state)`` of the checkpoint at ``path``, verified (see :func:`decode`)."""
    path = validation.path("path", path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {str(path)!r}")
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a folder, not a checkpoint file")
    return decode(path.read_bytes(), f"the checkpoint {str(path)!r}")


# ---------------------------------------------------------------------------------------------- fitting a trainer
def _diff(what: str, theirs, mine) -> list[str]:
    theirs, mine = set(theirs), set(mine)
    if theirs == mine:
        return []
    parts = []
    if theirs - mine:
        parts.append(f"has {', '.join(map(str, sorted(theirs - mine, key=str)[:5]))} that this trainer has not")
    if mine - theirs:
        parts.append(f"lacks {', '.join(map(str, sorted(mine - theirs, key=str)[:5]))}")
    return [f"{what}: the checkpoint's {' and '.join(parts)} (they do not match)"]


def _check_tensors(what: str, theirs: dict, mine: dict) -> list[str]:
    problems = _diff(what, theirs, mine)
    for key in sorted(set(theirs) & set(mine)):
        a, b = theirs[key], mine[key]
        if not isinstance(a, torch.Tensor):
            problems.append(f"{what} {key}: the checkpoint holds a {type(a).__name__}, not a tensor")
        elif tuple(a.shape) != tuple(b.shape) or a.dtype != b.dtype:
            problems.append(f"{what} {key}: the checkpoint's tensor is {tuple(a.shape)} {a.dtype}, this trainer's "
                            f"{tuple(b.shape)} {b.dtype}")
    return problems


_STATE_KEYS: dict = {}


def _expected_state_keys(opt: torch.optim.Optimizer, group: dict, device) -> set | None:
    """The keys this optimizer keeps per parameter after one step (Adam: step, exp_avg, exp_avg_sq), found by
    stepping a copy of it on a one-element parameter; None when that cannot be done (an unusual optimizer)."""
    settings = {k: v for k, v in group.items() if k not in ("params", "param_names", "initial_lr")}
    key = (type(opt), repr(sorted(settings.items(), key=lambda kv: kv[0])), str(device))
    if key not in _STATE_KEYS:
        try:
            p = torch.zeros(1, device=device, requires_grad=True)
            p.grad = torch.zeros(1, device=device)
            dummy = type(opt)([p], **settings)
            dummy.step()
            _STATE_KEYS[key] = set(dummy.state[p])
        except Exception:
            _STATE_KEYS[key] = None
    return _STATE_KEYS[key]


def _check_optimizer(name: str, opt: torch.optim.Optimizer, theirs) -> list[str]:
    what = f"optimizer {name}"
    if not isinstance(theirs, dict) or not {"state", "param_groups"} <= set(theirs):
        return [f"{what}: the checkpoint holds no optimizer state_dict"]
    groups, mine = theirs["param_groups"], opt.param_groups
    if not isinstance(groups, list) or len(groups) != len(mine):
        return [f"{what}: the checkpoint has {len(groups) if isinstance(groups, list) else '?'} parameter groups, "
                f"this trainer {len(mine)}"]
    problems, params = [], [p for g in mine for p in g["params"]]
    for i, (g_theirs, g_mine) in enumerate(zip(groups, mine)):
        if not isinstance(g_theirs, dict) or not isinstance(g_theirs.get("params"), list):
            return [f"{what}: parameter group {i} of the checkpoint is not a parameter group"]
        if len(g_theirs["params"]) != len(g_mine["params"]):
            problems.append(f"{what} group {i}: {len(g_theirs['params'])} parameters in the checkpoint, "
                            f"{len(g_mine['params'])} here")
        extra = set(g_theirs) - set(g_mine) - {"initial_lr"}
        if extra:
            problems.append(f"{what} group {i}: the checkpoint's settings {sorted(extra)} belong to another "
                            f"optimizer than this trainer's {type(opt).__name__}")
    state = theirs["state"]
    if not isinstance(state, dict):
        return problems + [f"{what}: the checkpoint's optimizer state is not a dict"]
    ids = [i for g in groups if isinstance(g, dict) for i in g.get("params", [])]
    if sorted(ids) != list(range(len(params))):
        return problems + [f"{what}: the checkpoint's parameter ids are not 0..{len(params) - 1}"]
    index = {pid: k for k, pid in enumerate(ids)}
    group_of = [gi for gi, g in enumerate(mine) for _ in g["params"]]
    for pid, st in state.items():
        if pid not in index or not isinstance(st, dict):
            problems.append(f"{what}: state for an unknown parameter {pid!r}")
            continue
        p = params[index[pid]]
        expected = _expected_state_keys(opt, mine[group_of[index[pid]]], p.device)
        if expected is not None and set(st) != expected:
            problems.append(f"{what} parameter {pid}: the checkpoint keeps {sorted(st)}, {type(opt).__name__} "
                            f"keeps {sorted(expected)} (a checkpoint of another optimizer)")
            continue
        for k, v in st.items():
            if isinstance(v, torch.Tensor) and v.ndim > 0 and tuple(v.shape) != tuple(p.shape):
                problems.append(f"{what} parameter {pid} {k}: {tuple(v.shape)} in the checkpoint, the parameter is "
                                f"{tuple(p.shape)}")
    return problems


def check_state(trainer, state, header: dict | None = None) -> list[str]:
    """Everything that stops ``state`` from loading into ``trainer`` whole, as readable lines (empty: it fits).

    Checked: the trainer kind (from ``header``), the groups and their names, every model tensor's shape and dtype,
    each optimizer's parameter groups, settings and per-parameter state (Adam's moments are not RMSprop's), the
    schedulers, the step, the history, the random generators, and what the trainer adds (:meth:`check_extra_state`).
    """
    kind = type(trainer).__qualname__
    if header is not None and header.get("kind") != kind:
        return [f"it was saved by a {header.get('kind')}, and this is a {kind}: build a {header.get('kind')} "
                "with the same models and load it there"]
    if not isinstance(state, dict):
        return [f"it holds a {type(state).__name__}, not a trainer's state"]
    live = trainer.state_dict()
    problems = _diff("state", state, live)
    if problems:
        return problems
    for group in ("models", "optimizers", "schedulers"):
        if not isinstance(state[group], dict):
            problems.append(f"{group}: not a dict")
            continue
        names = _diff(group, state[group], live[group])
        if names:
            problems += names
            continue
        for name in live[group]:
            theirs = state[group][name]
            if group == "models":
                problems += (_check_tensors(f"model {name}", theirs, live[group][name]) if isinstance(theirs, dict)
                             else [f"model {name}: not a state_dict"])
            elif group == "optimizers":
                problems += _check_optimizer(name, trainer.optimizers[name], theirs)
            elif not isinstance(theirs, dict):
                problems.append(f"scheduler {name}: not a state_dict")
            else:
                problems += _diff(f"scheduler {name}", theirs, live[group][name])
    if isinstance(state["step"], bool) or not isinstance(state["step"], int) or state["step"] < 0:
        problems.append(f"step: {state['step']!r} is not a step count")
    history = state["history"]
    if not isinstance(history, dict) or not all(isinstance(v, list) for v in history.values()):
        problems.append("history: not a dict of lists")
    problems += _check_rng(trainer, state["rng"], live["rng"], header)
    return problems + trainer.check_extra_state(state)


def _check_rng(trainer, theirs, mine, header) -> list[str]:
    if not isinstance(theirs, dict):
        return ["rng: not a dict"]
    problems = _diff("rng", set(theirs) - {"cuda"}, set(mine) - {"cuda"})
    same_device = header is None or header.get("device") == trainer.device.type
    for key in ("torch", "data") + (("trainer",) if same_device else ()):
        if key in theirs and not (isinstance(theirs[key], torch.Tensor) and theirs[key].shape == mine[key].shape):
            problems.append(f"rng {key}: not the state of a {mine[key].numel()}-byte generator")
    return problems


# ---------------------------------------------------------------------------------------------- learning rates
def learning_rates(trainer) -> dict:
    """Each optimizer's learning rates and, with a schedule, its base rates: what ``keep_optimizer_lr=False`` keeps."""
    return {name: ([g["lr"] for g in opt.param_groups],
                   list(trainer.schedulers[name].base_lrs) if name in trainer.schedulers else None)
            for name, opt in trainer.optimizers.items()}


def set_learning_rates(trainer, rates: dict) -> None:
    """Put back what :func:`learning_rates` returned; a schedule goes on from its step with the kept base rates."""
    for name, (lrs, bases) in rates.items():
        groups, sched = trainer.optimizers[name].param_groups, trainer.schedulers.get(name)
        if sched is None:
            for g, lr in zip(groups, lrs):
                g["lr"] = lr
            continue
        old = list(sched.base_lrs)
        sched.base_lrs = bases
        for i, (g, base) in enumerate(zip(groups, bases)):
            g["initial_lr"] = base
            if isinstance(sched, torch.optim.lr_scheduler.LambdaLR):
                g["lr"] = base * sched.lr_lambdas[i](sched.last_epoch)
            else:
                g["lr"] = g["lr"] * base / old[i] if old[i] else base
        sched._last_lr = [g["lr"] for g in groups]


def misfit(what: str, problems: list[str]) -> str:
    more = f"; and {len(problems) - 6} more" if len(problems) > 6 else ""
    return f"{what} does not fit this trainer, so nothing was loaded: {'; '.join(problems[:6])}{more}"
