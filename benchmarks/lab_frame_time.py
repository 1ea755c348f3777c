"""How long one frame of the GAN lab takes, at its default resolution, split into its parts.

    python benchmarks/lab_frame_time.py --out benchmarks/results/lab_frame_time_cpu.md

A frame of play is: train ``steps_per_frame`` iterations (default 5), compute (D on the heatmap grid, G on the
fixed noise and z-grid, the per-sample gradients, the losses, the binned-KDE JS/KL), draw (blit: restore the
cached background, redraw the moving artists) and encode the PNG. "redraw" is compute + draw + encode, what the
target of 50 ms is about; "full draw" is the rare frame that redraws the static background too (after a
rebuild, or when a curve's axis grows). Prints a markdown table; ``--out`` also writes it.
"""
from __future__ import annotations

import argparse
import os
import statistics
import time

from common import machine, table, write

from gancourse.contexts import torch_threads
from gancourse.widgets.lab import GANLab


def _ms(samples):
    samples = sorted(samples)
    return 1000 * statistics.median(samples), 1000 * samples[int(0.9 * (len(samples) - 1))]


def measure(data: str, frames: int, method: str = "gan") -> dict:
    lab = GANLab(data, method=method)
    lab.step(20)  # warm up: the first draws load fonts and caches
    parts = {"train": [], "compute": [], "draw": [], "encode": [], "redraw": [], "full": []}
    n_blit = 0
    for _ in range(frames):
        full_before = lab.n_full_draws
        t0 = time.perf_counter()
        with torch_threads(lab.threads):  # as step() and redraw() do
            lab._train(lab.settings.steps_per_frame, "both")
            t1 = time.perf_counter()
            f = lab._compute("both")
        t2 = time.perf_counter()
        lab.view.draw(f, lab.history, lab.real_eval, lab._fake_eval)
        t3 = time.perf_counter()
        lab.view.png()
        t4 = time.perf_counter()
        parts["train"].append(t1 - t0)
        if lab.n_full_draws != full_before:  # a curve axis grew: this frame redrew the background too
            parts["full"].append(t4 - t1)
            continue
        n_blit += 1
        parts["compute"].append(t2 - t1)
        parts["draw"].append(t3 - t2)
        parts["encode"].append(t4 - t3)
        parts["redraw"].append(t4 - t1)
    for _ in range(3):
        lab.view.invalidate()
        t0 = time.perf_counter()
        lab.redraw()
        parts["full"].append(time.perf_counter() - t0)
    out = {k: _ms(v) for k, v in parts.items()}
    out["share_full"] = (frames - n_blit) / frames
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--data", nargs="*", default=["ring", "grid", "spiral", "moons", "bimodal_1d"])
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = []
    for data in args.data:
        r = measure(data, args.frames)
        rows.append((data, "gan", r))
    r = measure("ring", max(10, args.frames // 4), method="unrolled")
    rows.append(("ring", "unrolled (5)", r))
    lines = [
        "# GAN lab: time per frame (CPU)",
        "",
        f"Machine: {machine('cpu')}, lab threads 1, "
        f"default resolution (48 x 48 heatmap, 200 shown samples, 2000 evaluation samples, 864 x 288 px PNG); "
        f"{args.frames} frames per row (the unrolled row fewer), after 20 warm-up iterations. "
        f"1-minute load average at the start: {load:.1f} (on a shared machine, times inflate with it).",
        "Median / 90th percentile in milliseconds. `redraw` = compute + draw + encode (the < 50 ms target);",
        "`train` = 5 iterations (steps_per_frame); `full draw` = a redraw that also redraws the static background",
        "(after a rebuild, or when a curve axis grows: `full share` = the share of played frames that needed one).",
        "",
        *table(["data", "method", "train (5 it.)", "compute", "draw (blit)", "encode PNG", "**redraw**", "full draw",
                "full share"],
               [(data, method, *(f"{r[k][0]:.1f} / {r[k][1]:.1f}" for k in ("train", "compute", "draw", "encode")),
                 f"**{r['redraw'][0]:.1f} / {r['redraw'][1]:.1f}**", f"{r['full'][0]:.0f} / {r['full'][1]:.0f}",
                 f"{100 * r['share_full']:.0f}%") for data, method, r in rows]),
    ]
    write("\n".join(lines) + "\n", args.out)


if __name__ == "__main__":
    main()
