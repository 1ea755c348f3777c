"""Speed of the one-trainer-contract code against the code before it, side by side in one run, one torch thread.

    python benchmarks/contract_speed.py --out benchmarks/results/contract_speed_cpu.md
    python benchmarks/contract_speed.py --old /path/to/old/checkout --rounds 5

Three rows, each timed on both sides:

- **MLP GAN step**: ``GANTrainer`` on the ring of 8 (MLPs 2 x 128, batch 256), seconds per step of ``fit``;
- **DCGAN-32 step**: ``dcgan_trainer(32, ngf=ndf=32, 3 channels)``, batch 64, seconds per step of ``fit``;
- **lab frame**: ``GANLab("ring")`` (default resolution), one frame of play = ``lab.step(5)`` (5 iterations and a
  redraw: compute, blit, PNG).

The old side is a checkout of ``--base`` (default ``df15af0``, the commit before the contract), made as a temporary
``git worktree`` unless ``--old`` names one. Each side runs in its own worker process (this script with
``--worker``, its ``gancourse`` found through ``PYTHONPATH``), built and warmed up once. The parent then asks the
two workers in turn for one timed block per row and round, old first in even rounds and new first in odd ones,
never both at once, so that a slow phase of a shared machine hits both sides alike. Reported: the median and
interquartile range of the time per step over the rounds, and the median of the per-round ratio new / old with
its interquartile range (a row is slower beyond noise only if that range lies above 1).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from common import machine, median_spread, table, write

ROWS = {  # row -> (label, steps per timed block, unit)
    "mlp": ("MLP GAN step (ring, batch 256)", 100, "ms / step"),
    "dcgan": ("DCGAN-32 step (batch 64)", 3, "ms / step"),
    "lab": ("lab frame (5 iterations + redraw)", 5, "ms / frame"),
}


# ---------------------------------------------------------------------------------------------- the worker
def _workloads() -> dict:
    """Each row's workload, built and warmed up: row -> function(n) that runs n steps (or frames)."""
    import torch

    import gancourse as gc
    from gancourse.widgets.lab import GANLab

    torch.set_num_threads(1)
    torch.manual_seed(0)
    ring = gc.data.ring()
    mlp = gc.GANTrainer(gc.models.MLPGenerator(z_dim=2, width=128), gc.models.MLPDiscriminator(width=128),
                        lr_d=1e-3, lr_g=1e-3, device="cpu", seed=0)
    images = torch.rand(512, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    dcgan = gc.trainers.dcgan_trainer(32, nz=100, ngf=32, ndf=32, channels=3, device="cpu", seed=0)
    lab = GANLab("ring")
    work = {
        "mlp": lambda n: mlp.fit(ring, steps=n, batch_size=256, progress=False),
        "dcgan": lambda n: dcgan.fit(images, steps=n, batch_size=64, progress=False),
        "lab": lambda n: [lab.step(5) for _ in range(n)],
    }
    for name, run in work.items():  # warm-up: first calls allocate, load fonts, fill caches
        run(max(1, ROWS[name][1] // 2))
    return work


def worker() -> None:
    """Answer "row n" lines on stdin with the seconds per step of n steps, as JSON lines on stdout."""
    work = _workloads()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        name, n = line.split()
        start = time.perf_counter()
        work[name](int(n))
        print(json.dumps({"seconds": (time.perf_counter() - start) / int(n)}), flush=True)


# ---------------------------------------------------------------------------------------------- the parent
class Side:
    """A worker process running this script against the gancourse found in ``root``."""

    def __init__(self, label: str, root: str):
        env = {**os.environ, "PYTHONPATH": root, "OMP_NUM_THREADS": "1", "GANCOURSE_PROGRESS": "0",
               "MPLBACKEND": "Agg"}
        self.label, self.root = label, root
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker"], cwd=root, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert json.loads(self.proc.stdout.readline()).get("ready"), f"the {label} worker did not start"

    def time(self, name: str, n: int) -> float:
        self.proc.stdin.write(f"{name} {n}\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())["seconds"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _git(*args, cwd=None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base", default="df15af0", help="the old code's commit (default df15af0)")
    parser.add_argument("--old", default=None, help="a checkout of the old code (default: a temporary worktree)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS))
    parser.add_argument("--out", default=None, help="write the markdown table here")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker()

    new_root = _git("rev-parse", "--show-toplevel", cwd=os.path.dirname(os.path.abspath(__file__)))
    tmp = None
    if args.old is None:
        tmp = tempfile.mkdtemp(prefix="contract-speed-")
        old_root = os.path.join(tmp, "old")
        _git("worktree", "add", "--detach", old_root, args.base, cwd=new_root)
    else:
        old_root = os.path.abspath(args.old)
    new_rev = _git("rev-parse", "--short", "HEAD", cwd=new_root)
    dirty = " + uncommitted changes" if _git("status", "--porcelain", "--untracked-files=no", cwd=new_root) else ""
    old_rev = _git("rev-parse", "--short", "HEAD", cwd=old_root)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    try:
        sides = {"old": Side("old", old_root), "new": Side("new", new_root)}
        times = {(row, s): [] for row in args.rows for s in sides}
        start = time.perf_counter()
        for r in range(args.rounds):
            order = ("old", "new") if r % 2 == 0 else ("new", "old")
            for row in args.rows:
                for s in order:
                    times[(row, s)].append(sides[s].time(row, ROWS[row][1]))
            print(f"round {r + 1}/{args.rounds}: " + ", ".join(
                f"{row} {1e3 * times[(row, 'old')][-1]:.1f} / {1e3 * times[(row, 'new')][-1]:.1f} ms"
                for row in args.rows), flush=True)
        wall = time.perf_counter() - start
        for side in sides.values():
            side.close()
    finally:
        if tmp is not None:
            _git("worktree", "remove", "--force", old_root, cwd=new_root)
            os.rmdir(tmp)

    rows = []
    for row in args.rows:
        label, n, unit = ROWS[row]
        (mo, q1o, q3o), (mn, q1n, q3n) = (median_spread([1e3 * t for t in times[(row, s)]]) for s in ("old", "new"))
        ratio, r1, r3 = median_spread([b / a for a, b in zip(times[(row, "old")], times[(row, "new")])])
        verdict = "slower" if r1 > 1 else ("faster" if r3 < 1 else "same within noise")
        rows.append((label, unit, f"{mo:.2f} ({q1o:.2f}-{q3o:.2f})", f"{mn:.2f} ({q1n:.2f}-{q3n:.2f})",
                     f"{ratio:.3f} ({r1:.3f}-{r3:.3f})", verdict))
    lines = [
        "# The trainer contract: speed before and after (CPU, one torch thread)",
        "",
        f"Machine: {machine('cpu')}; both sides run with 1 torch thread. 1-minute load average at the start: "
        f"{load:.1f} (a shared machine: other jobs ran beside this one). Old: `{old_rev}` (before the contract); "
        f"new: `{new_rev}`{dirty}. {args.rounds} rounds of one block per row and side (MLP: "
        f"{ROWS['mlp'][1]} steps, DCGAN: {ROWS['dcgan'][1]} steps, lab: {ROWS['lab'][1]} frames), old and new "
        f"taking turns; {wall / 60:.1f} min in all. Measured with `python benchmarks/contract_speed.py`.",
        "Median (interquartile range) over rounds; ratio = new / old per round, its median (interquartile range). "
        "A row is slower beyond noise only when the whole range of the ratio lies above 1.",
        "",
        *table(["row", "unit", "old", "new", "new / old", "verdict"], rows, "llrrrl"),
        "",
    ]
    return write("\n".join(lines), args.out)


if __name__ == "__main__":
    main()
