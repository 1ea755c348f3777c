"""The claims sweep: every notebook under nbval for several seeds, budgets and thread counts.

    python benchmarks/claims.py                                   # the issue's target: see TARGET below
    python benchmarks/claims.py --notebooks 05 --seeds 0-9 --budgets smoke --threads 1 2 --jobs 2
    python benchmarks/claims.py --report                          # only rewrite the markdown from the JSON

Each run is ``pytest --nbval-lax <notebook>`` in a fresh process with ``GANCOURSE_SEED``, ``GANCOURSE_BUDGET`` and
``OMP_NUM_THREADS`` (and MKL's) set; ``--jobs`` runs that many at once. A run records pass or fail, the failing
cells (nbval's "Cell N" counts code cells from 0; the table also gives the cell's index in the JSON, as lesson
texts and issues cite it) with the error's last line, the wall time and the peak memory of the largest process
(``ru_maxrss`` of pytest and the kernel it waited for).

``--isa`` adds runs under another instruction set, ``avx2`` or ``default`` (ATen's ``ATEN_CPU_CAPABILITY`` plus
MKL's ``MKL_ENABLE_INSTRUCTIONS``): the float rounding of a CPU without AVX-512, without needing one.

Results accumulate in ``benchmarks/results/claims_cpu.json`` (one entry per notebook, budget, threads, ISA and
seed; a rerun replaces its entry), and the markdown ``claims_cpu.md`` is rebuilt from all of them.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TARGET = {"smoke": range(10), "default": range(3)}  # seeds per budget, each with 1 and 2 threads
ISA_ENV = {
    "native": {},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "default": {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2"},
}


def notebooks(names: list[str] | None, folder: Path = ROOT / "notebooks") -> list[Path]:
    """The lesson notebooks, all or those whose file name starts with one of ``names`` (e.g. ``05``)."""
    found = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if names:
        found = [p for p in found if any(p.name.startswith(n) for n in names)]
    if not found:
        raise SystemExit(f"no notebook matches {names} in {folder}")
    return found


def seeds(spec: str) -> list[int]:
    """'0-9' or '0,3,7' or '5' -> a list of seeds."""
    out = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b) + 1)) if b else [int(a)]
    return out


def code_cell_index(path: Path) -> list[int]:
    """JSON cell index of each code cell: nbval's 'Cell N' is entry N of this list."""
    cells = json.loads(path.read_text())["cells"]
    return [i for i, c in enumerate(cells) if c["cell_type"] == "code"]


def run_one(path: Path, seed: int, budget: str, threads: int, isa: str = "native", timeout: float = 1800,
            python: str = sys.executable) -> dict:
    """Run one notebook under nbval; return its record (pass/fail, failing cells, seconds, peak MB)."""
    env = {**os.environ, "GANCOURSE_SEED": str(seed), "GANCOURSE_BUDGET": budget, "GANCOURSE_PROGRESS": "0",
           "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), **ISA_ENV[isa]}
    env.pop("MPLBACKEND", None)  # the kernels draw with Jupyter's inline backend, as a student sees them
    cmd = [python, "-m", "pytest", "-q", "-rf", "--color=no", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
           "--tb=line", "-o", "addopts=", str(path)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=path.parent.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        timed_out = True
    seconds = time.perf_counter() - start
    # wait4 gave the child's rusage; Popen reaped it already, so read the children's peak from this process.
    # ru_maxrss of RUSAGE_CHILDREN is the largest reaped descendant so far: per-run memory comes from a fresh
    # process per run (see main), so here it is exact.
    import resource

    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    cells = code_cell_index(path)
    out = ANSI.sub("", out)
    errors = _errors(out)
    failed = []
    for m in re.finditer(r"^FAILED \S+::Cell (\d+)(?: - (.*))?$", out, re.M):
        n = int(m.group(1))
        failed.append({"cell": n, "json_cell": cells[n] if n < len(cells) else None,
                       "error": errors.get(n, (m.group(2) or "").strip())[:300]})
    ok = proc.returncode == 0 and not timed_out
    if not ok and not failed:
        tail = [line for line in out.strip().splitlines() if line.strip()][-3:]
        failed.append({"cell": None, "json_cell": None,
                       "error": ("timed out after %.0f s" % timeout) if timed_out else " | ".join(tail)[:300]})
    return {"notebook": path.name, "seed": seed, "budget": budget, "threads": threads, "isa": isa, "ok": ok,
            "failed": failed, "seconds": round(seconds, 1), "peak_mb": round(peak_mb)}


ANSI = re.compile(r"\x1b\[[0-9;]*m")
EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Diverged|Exit|Interrupt))(?::\s*(.*))?$")


def _errors(out: str) -> dict[int, str]:
    """nbval's report -> {code cell: the exception's last line}, e.g. 'AssertionError: (2.0, 1.92, 2.2)'."""
    found = {}
    parts = re.split(r"^Cell (\d+): Cell execution caused an exception$", out, flags=re.M)
    for n, block in zip(parts[1::2], parts[2::2]):
        lines = [line.strip() for line in block.splitlines() if EXCEPTION.match(line.strip())]
        if lines:
            found.setdefault(int(n), lines[-1])
    return found


def _worker(argv: list[str]) -> None:
    """``claims.py --one PATH SEED BUDGET THREADS ISA TIMEOUT``: one run in its own process, record on stdout."""
    path, seed, budget, threads, isa, timeout = argv
    record = run_one(Path(path), int(seed), budget, int(threads), isa, float(timeout))
    print(json.dumps(record))


def sweep(jobs_list: list[tuple], jobs: int, timeout: float, on_done=None) -> list[dict]:
    """Run (path, seed, budget, threads, isa) jobs, ``jobs`` at a time, each in a fresh worker process."""
    def launch(job):
        path, seed, budget, threads, isa = job
        cmd = [sys.executable, __file__, "--one", str(path), str(seed), budget, str(threads), isa, str(timeout)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        lines = [line for line in res.stdout.splitlines() if line.startswith("{")]
        if res.returncode != 0 or not lines:
            return {"notebook": Path(path).name, "seed": seed, "budget": budget, "threads": threads, "isa": isa,
                    "ok": False, "failed": [{"cell": None, "json_cell": None, "error": res.stderr[-300:]}],
                    "seconds": None, "peak_mb": None}
        return json.loads(lines[-1])

    records = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in concurrent.futures.as_completed([pool.submit(launch, job) for job in jobs_list]):
            records.append(future.result())
            if on_done is not None:
                on_done(records[-1])
    return records


def key(r: dict) -> tuple:
    return r["notebook"], r["budget"], r["threads"], r.get("isa", "native"), r["seed"]


def load(path: Path) -> dict:
    if not path.exists():
        return {"machine": {}, "runs": []}
    return json.loads(path.read_text())


def merge(store: dict, records: list[dict]) -> dict:
    runs = {key(r): r for r in store["runs"]}
    for r in records:
        runs[key(r)] = r
    store["runs"] = sorted(runs.values(), key=key)
    return store


def machine() -> dict:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = "?"
    return {"cpu": cpu, "cpus": os.cpu_count(), "torch": torch.__version__,
            "capability": torch.backends.cpu.get_cpu_capability(), "python": platform.python_version(),
            "date": datetime.date.today().isoformat(), "commit": commit}


def _cell(f: dict) -> str:
    if f["cell"] is None:
        return f"? ({f['error'][:60]})"
    return f"code cell {f['cell']} ([{f['json_cell']}])"


def report(store: dict) -> str:
    """The markdown: one row per notebook, budget, threads and ISA, then every failure, then every run."""
    runs = store["runs"]
    m = store.get("machine", {})
    lines = [
        "# Claims sweep: every notebook's asserts, for many seeds, budgets and thread counts (CPU)",
        "",
        "Written by `python benchmarks/claims.py` (see its docstring). Each run is the notebook under "
        "`pytest --nbval-lax` in a fresh process with `GANCOURSE_SEED`, `GANCOURSE_BUDGET` and `OMP_NUM_THREADS` set; "
        "a run passes when every cell, every assert included, passes. Time is the wall time of the whole run "
        "(kernel start included) with the sweep's other jobs running beside it; memory is the peak resident size "
        "of the largest process (the kernel).",
        "",
        f"Machine (last sweep): {m.get('cpu', '?')}, {m.get('cpus', '?')} logical CPUs, ATen capability "
        f"{m.get('capability', '?')}, torch {m.get('torch', '?')}, Python {m.get('python', '?')}; commit "
        f"{m.get('commit', '?')}, {m.get('date', '?')}. Runs with ISA `avx2` or `default` set "
        "`ATEN_CPU_CAPABILITY` and `MKL_ENABLE_INSTRUCTIONS` to round like a CPU without AVX-512.",
        "",
        "| notebook | budget | threads | ISA | seeds | passed | failures (seed: cell) | time s (median, max) | "
        "peak MB (max) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    groups: dict[tuple, list[dict]] = {}
    for r in runs:
        groups.setdefault(key(r)[:4], []).append(r)
    order = {"smoke": 0, "default": 1, "full": 2}
    for (nb, budget, threads, isa), rs in sorted(groups.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 9),
                                                                                kv[0][2], kv[0][3])):
        rs = sorted(rs, key=lambda r: r["seed"])
        passed = sum(r["ok"] for r in rs)
        fails = "; ".join(f"{r['seed']}: " + ", ".join(_cell(f) for f in r["failed"]) for r in rs if not r["ok"])
        secs = sorted(r["seconds"] for r in rs if r["seconds"] is not None)
        mem = [r["peak_mb"] for r in rs if r["peak_mb"] is not None]
        seed_list = _ranges([r["seed"] for r in rs])
        med = secs[len(secs) // 2] if secs else float("nan")
        lines.append(f"| {nb.removesuffix('.ipynb')} | {budget} | {threads} | {isa} | {seed_list} | "
                     f"{passed}/{len(rs)} | {fails or '-'} | {med:.0f}, {max(secs) if secs else float('nan'):.0f} | "
                     f"{max(mem) if mem else '?'} |")
    bad = [r for r in runs if not r["ok"]]
    lines += ["", f"## Failures ({len(bad)} of {len(runs)} runs)", ""]
    if not bad:
        lines.append("None: every run passed.")
    for r in bad:
        for f in r["failed"]:
            lines.append(f"- {r['notebook']} seed {r['seed']}, {r['budget']}, {r['threads']} thread(s), "
                         f"{r.get('isa', 'native')}: {_cell(f)}: `{f['error'][:200]}`")
    total = sum(r["seconds"] or 0 for r in runs)
    lines += ["", f"{len(runs)} runs, {total / 3600:.1f} hours of run time in all.", ""]
    return "\n".join(lines)


def _ranges(values: list[int]) -> str:
    values = sorted(set(values))
    out, start = [], None
    for i, v in enumerate(values):
        if start is None:
            start = v
        if i + 1 == len(values) or values[i + 1] != v + 1:
            out.append(f"{start}" if start == v else f"{start}-{v}")
            start = None
    return ",".join(out)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--one":
        return _worker(argv[1:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--notebooks", nargs="*", help="file-name prefixes, e.g. 00 05 (default: all lessons)")
    ap.add_argument("--folder", default=str(ROOT / "notebooks"))
    ap.add_argument("--seeds", help="e.g. 0-9 (default: the target, 0-9 at smoke and 0-2 at default)")
    ap.add_argument("--budgets", nargs="*", default=None, choices=["smoke", "default", "full"])
    ap.add_argument("--threads", nargs="*", type=int, default=[1, 2])
    ap.add_argument("--isa", nargs="*", default=["native"], choices=list(ISA_ENV))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=1800, help="seconds per run")
    ap.add_argument("--out", default=str(RESULTS / "claims_cpu.md"))
    ap.add_argument("--report", action="store_true", help="only rebuild the markdown from the JSON")
    args = ap.parse_args(argv)
    out = Path(args.out)
    store_path = out.with_suffix(".json")
    store = load(store_path)
    if not args.report:
        budgets = args.budgets or list(TARGET)
        jobs = []
        for budget in budgets:
            seed_list = seeds(args.seeds) if args.seeds else list(TARGET.get(budget, range(1)))
            for path in notebooks(args.notebooks, Path(args.folder)):
                for threads in args.threads:
                    for isa in args.isa:
                        jobs += [(path, s, budget, threads, isa) for s in seed_list]
        # longest first (default before smoke), so the pool does not end on one long run
        jobs.sort(key=lambda j: (j[2] != "default", j[0].name))
        print(f"{len(jobs)} runs, {args.jobs} at a time", flush=True)

        def done(r):
            status = "ok  " if r["ok"] else "FAIL"
            where = "" if r["ok"] else " " + ", ".join(_cell(f) + " " + f["error"][:80] for f in r["failed"])
            print(f"{status} {r['notebook']} seed {r['seed']} {r['budget']} t{r['threads']} {r['isa']} "
                  f"{r['seconds']} s {r['peak_mb']} MB{where}", flush=True)
            merge(store, [r])
            store["machine"] = machine()
            store_path.parent.mkdir(parents=True, exist_ok=True)
            store_path.write_text(json.dumps(store, indent=1))

        sweep(jobs, args.jobs, args.timeout, on_done=done)
    out.write_text(report(store))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
