"""What lesson 03's D-strength explorer costs per change, in the kernel, without a browser.

    python benchmarks/strength_redraw.py            # prints a markdown table

For each number of D steps (width 64, lr 1e-3, the lesson's settings), one change is computed two ways, in one
process with one torch thread, alternating, ``--repeat`` times:

- ``blocking``: train D to the end, then draw once (what a change did before the explorer trained in the
  background, and what ``explorer.set(...)`` still does);
- ``background``: the explorer's event-loop task (training in slices, progress, coarse pictures), run on an
  asyncio loop with nothing else to do.

Process CPU seconds are reported (wall time on a shared machine depends on its load); the difference is what the
progress updates and coarse pictures cost. The browser's view of the same changes (time to the first feedback,
the first picture and the final one) is measured by ``tests/test_browser.py`` and recorded in
``benchmarks/results/sliders_browser.md``.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

import torch

from gancourse.widgets.strength import DStrengthExplorer


def blocking(ex: DStrengthExplorer, steps: int) -> float:
    ex._holding = True
    ex.sliders["steps"].value = steps
    ex._holding = False
    t = time.process_time()
    ex.update()
    return time.process_time() - t


def background(ex: DStrengthExplorer, steps: int) -> tuple[float, int]:
    draws = 0
    draw = ex._draw

    def counting(*args, **kwargs):
        nonlocal draws
        draws += 1
        return draw(*args, **kwargs)

    ex._draw = counting

    async def run():
        ex.sliders["steps"].value = steps  # as a user's change: a task on the running loop
        while ex.busy:
            await asyncio.sleep(0.001)

    ex._holding = True
    ex.sliders["steps"].value = 0
    ex._holding = False
    t = time.process_time()
    asyncio.run(run())
    seconds = time.process_time() - t
    ex._draw = draw
    return seconds, draws


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, nargs="*", default=[300, 1000, 3000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    ex = DStrengthExplorer(width=64, lr=1e-3, steps=300)
    rows = []
    for steps in args.steps:
        b, g, n = [], [], []
        for _ in range(args.repeat):
            b.append(blocking(ex, steps))
            s, draws = background(ex, steps)
            g.append(s)
            n.append(draws)
        rows.append((steps, statistics.median(b), statistics.median(g), statistics.median(n)))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, torch {torch.__version__}, 1 thread; "
          f"median of {args.repeat}")
    print()
    print("| D steps | blocking CPU s | background CPU s | pictures drawn (background) | overhead |")
    print("| --- | --- | --- | --- | --- |")
    for steps, b, g, n in rows:
        print(f"| {steps} | {b:.2f} | {g:.2f} | {n:.0f} | {100 * (g / b - 1):+.0f} % |")


if __name__ == "__main__":
    main()
