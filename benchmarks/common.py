"""What the benchmark scripts share: timing (warm-up, device synchronisation), medians and spreads, the line that
says which machine measured, and writing a markdown table.

The scripts run as ``python benchmarks/<name>.py``, so Python finds this module beside them.
"""
from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence

import torch

__all__ = ["sync", "timed", "seconds_per_step", "fit_seconds_per_step", "median_spread", "machine", "table",
           "write"]


def sync(device) -> None:
    """Wait for the device's queued work (a no-op on the CPU), so that a clock reading means work done."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn: Callable[[], object], device="cpu") -> float:
    """Seconds one call of ``fn`` takes, the device synchronised before the clock starts and after ``fn``."""
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def seconds_per_step(step: Callable[[], object], *, warmup: int, steps: int, device="cpu") -> float:
    """Seconds per call of ``step``: ``warmup`` untimed calls, then ``steps`` timed ones as one block."""
    if steps < 1 or warmup < 0:
        raise ValueError(f"need steps >= 1 and warmup >= 0, got {steps} and {warmup}")
    for _ in range(warmup):
        step()
    return timed(lambda: [step() for _ in range(steps)], device) / steps


def fit_seconds_per_step(trainer, data, batch: int, *, warmup: int, steps: int, device="cpu") -> float:
    """Seconds per step of ``trainer.fit`` after ``warmup`` untimed steps (``fit``'s last flush synchronises too)."""
    trainer.fit(data, steps=warmup, batch_size=batch, progress=False)
    return timed(lambda: trainer.fit(data, steps=steps, batch_size=batch, progress=False), device) / steps


def median_spread(samples: Sequence[float]) -> tuple[float, float, float]:
    """(median, 25th percentile, 75th percentile) of the samples."""
    s = sorted(samples)
    if len(s) < 2:
        return s[0], s[0], s[0]
    q1, _, q3 = statistics.quantiles(s, n=4, method="inclusive")
    return statistics.median(s), q1, q3


def machine(device="cpu") -> str:
    """One line naming what measured: the GPU, or the CPU with its torch thread count; torch's version."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}, CUDA {torch.version.cuda}"
    cpu = platform.processor() or platform.machine()
    return (f"CPU {cpu} ({os.cpu_count()} logical CPUs, {torch.get_num_threads()} torch threads), "
            f"torch {torch.__version__}")


def table(header: Sequence[str], rows: Sequence[Sequence], align: str | None = None) -> list[str]:
    """A markdown table: ``header`` cells, one list of cells per row; ``align`` one letter per column
    (``l``, ``r``; default left)."""
    align = align or "l" * len(header)
    rule = ["---:" if a == "r" else "---" for a in align]
    return [f"| {' | '.join(header)} |", f"|{'|'.join(rule)}|", *(f"| {' | '.join(map(str, r))} |" for r in rows)]


def write(text: str, path: str | None) -> str:
    """Print ``text`` and, with a ``path``, write it there (creating the folder)."""
    print(text)
    if path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return text
