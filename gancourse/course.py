"""The course's measured costs, and the line that starts every lesson.

    gc.lesson_start("03", device="cpu")   # first code cell, after `import gancourse as gc`

prints the budget and why (``GANCOURSE_BUDGET``, or where the models run: see :mod:`gancourse.config`), the
device, and what the lesson took at this budget when it was measured: wall time and peak memory, from
``lesson_times.json`` (package data written by ``scripts/lesson_times.py`` from the claims sweep,
``benchmarks/results/claims_cpu.json``). Where nothing was measured it says so; it never guesses.

It also declares where the lesson's models run, which decides the budget when ``GANCOURSE_BUDGET`` is unset:
a lesson pinned to the CPU gets ``default`` sizes even on a GPU machine.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

import torch

from . import config, validation

__all__ = ["lesson_start", "lesson_times", "expected", "TIMES_FILE"]

TIMES_FILE = Path(__file__).with_name("lesson_times.json")


@functools.lru_cache(maxsize=None)
def _load(path: str) -> dict:
    p = Path(path)
    if not p.exists():
        return {"source": {}, "lessons": {}}
    return json.loads(p.read_text())


def lesson_times(path: Path | None = None) -> dict:
    """The measured table: ``{"source": {...}, "lessons": {stem: {device: {budget: {...}}}}}``, where each entry
    has ``seconds`` (median wall time of a run), ``peak_mb`` (largest peak memory seen) and ``runs``."""
    return _load(str(TIMES_FILE if path is None else validation.path("path", path)))


def _lesson(name: str, lesson) -> str:
    """A lesson's number (``"03"``) or notebook name (``"03_js_saturation"``, with or without ``.ipynb``)."""
    return validation.string(name, lesson, pattern=r"\d\d(_\w+)?(\.ipynb)?",
                             what='a lesson number such as "03" or a notebook name such as "03_js_saturation"')


def _stem(lesson: str, table: dict) -> str:
    lesson = str(lesson).removesuffix(".ipynb")
    if lesson in table["lessons"]:
        return lesson
    matches = [s for s in table["lessons"] if s.split("_", 1)[0] == lesson]
    return matches[0] if len(matches) == 1 else lesson


def expected(lesson: str, budget: str, device: str = "cpu", path: Path | None = None) -> dict | None:
    """What ``lesson`` (``"03"`` or ``"03_js_saturation"``) took at ``budget`` on a ``device`` kind (``cpu``,
    ``cuda``) when measured, or None when it was not measured."""
    lesson = _lesson("lesson", lesson)
    budget = validation.choice("budget", budget, config.BUDGETS)
    device = validation.choice("device (a kind of device)", device, ("cpu", "cuda"))
    table = lesson_times(path)
    return table["lessons"].get(_stem(lesson, table), {}).get(device, {}).get(budget)


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"


def describe(entry: dict | None, source: dict) -> str:
    """One line for a measured entry (or the lack of one)."""
    if entry is None:
        return "not measured yet"
    where = source.get("machine", {})
    machine = f"{where.get('cpus', '?')}-CPU machine" if where else "the measuring machine"
    threads = source.get("threads")
    runs = f"{entry['runs']} run{'s' if entry['runs'] != 1 else ''}"
    thread = f", {threads} torch thread{'s' if threads != 1 else ''}" if threads else ""
    return (f"about {_duration(entry['seconds'])} and {entry['peak_mb'] / 1024:.2f} GB of memory (the whole notebook: "
            f"median time of {runs} on a {machine}{thread}; the largest peak memory)")


def lesson_start(lesson: str, device=None) -> None:
    """Print the lesson's budget, device and expected cost; declare where its models run.

    Args:
        lesson: the lesson's number (``"03"``) or notebook name (``"03_js_saturation"``).
        device: where the lesson's models run, e.g. ``"cpu"`` for the toy lessons; default :func:`gc.device`.
    """
    lesson = _lesson("lesson", lesson)
    device = None if device is None else validation.device("device", device)
    dev = config.set_lesson_device(device if device is not None else config.device())
    name = config.budget()
    table = lesson_times()
    stem = _stem(lesson, table)
    kind = dev.type
    entry = expected(stem, name, kind)
    gpu = " (a GPU is present; this lesson does not use it)" if kind != "cuda" and torch.cuda.is_available() else ""
    print(f"lesson {stem} | budget {name}: {config.budget_reason()} | device {dev}{gpu}")
    print(f"expected at this budget on the {kind.upper()}: {describe(entry, table.get('source', {}).get(kind, {}))}")
