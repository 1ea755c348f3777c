"""Write the course's table of measured lesson costs from a claims sweep, and the instructors' table from it.

    python scripts/lesson_times.py                       # benchmarks/results/claims_cpu.json -> gancourse/lesson_times.json
                                                         # and the table in docs/instructors.md
    python scripts/lesson_times.py --claims benchmarks/results/claims_cuda.json --device cuda
    python scripts/lesson_times.py --check               # exit 1 if either file is not what it would write

The claims sweep (``benchmarks/claims.py``) runs every notebook under nbval for several seeds, budgets and
thread counts and records each run's ``ok``, ``seconds`` (wall time of the whole run) and ``peak_mb``. For each
notebook and budget, from the runs that passed with the native instruction set: the time is the **median over
the 1-thread runs** (the setting the toy lessons use and ``scripts/test.sh`` exports), the memory the **largest
peak over all runs**. Nothing else goes in: a notebook or budget without passing runs is "not measured yet".

``gancourse/lesson_times.json`` (package data) is what ``gc.lesson_start`` prints from; entries of other devices
(``--device``) already in it are kept. The markdown table goes between the markers
``<!-- lesson-times:begin -->`` and ``<!-- lesson-times:end -->`` of ``docs/instructors.md``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLAIMS = ROOT / "benchmarks" / "results" / "claims_cpu.json"
TABLE = ROOT / "gancourse" / "lesson_times.json"
GUIDE = ROOT / "docs" / "instructors.md"
BEGIN, END = "<!-- lesson-times:begin -->", "<!-- lesson-times:end -->"
BUDGETS = ("smoke", "default", "full")
BINDER_GUARANTEED_MB, BINDER_LIMIT_MB = 1024, 2048  # mybinder.org: 1 GB guaranteed, kernel restarted above 2 GB


def summarise(runs: list[dict]) -> dict:
    """{notebook stem: {budget: {"seconds", "peak_mb", "runs"}}} from a claims sweep's runs (see the docstring)."""
    out: dict = {}
    for nb in sorted({r["notebook"] for r in runs}):
        for budget in BUDGETS:
            ok = [r for r in runs if r["notebook"] == nb and r["budget"] == budget and r["ok"]
                  and r.get("isa", "native") == "native"]
            timed = [r["seconds"] for r in ok if r["threads"] == 1 and r.get("seconds") is not None]
            peaks = [r["peak_mb"] for r in ok if r.get("peak_mb") is not None]
            if not timed or not peaks:
                continue
            out.setdefault(nb.removesuffix(".ipynb"), {})[budget] = {
                "seconds": round(statistics.median(timed), 1), "peak_mb": max(peaks), "runs": len(timed)}
    return out


def build_table(claims: dict, device: str, claims_name: str, old: dict | None = None) -> dict:
    """The lesson_times.json content: ``old``'s entries for other devices, this device's from ``claims``."""
    table = {"source": {}, "lessons": {}}
    if old:
        for stem, devices in old.get("lessons", {}).items():
            kept = {d: v for d, v in devices.items() if d != device}
            if kept:
                table["lessons"][stem] = kept
        table["source"] = {d: v for d, v in old.get("source", {}).items() if d != device}
    for stem, budgets in summarise(claims.get("runs", [])).items():
        table["lessons"].setdefault(stem, {})[device] = budgets
    table["source"][device] = {"file": claims_name, "machine": claims.get("machine", {}), "threads": 1}
    table["lessons"] = dict(sorted(table["lessons"].items()))
    table["source"] = dict(sorted(table["source"].items()))
    return table


def _time(entry: dict | None) -> str:
    if not entry:
        return "not measured"
    s = round(entry["seconds"])
    return f"{s} s" if s < 60 else f"{s // 60}:{s % 60:02d}"


def _memory(entry: dict | None) -> str:
    return "not measured" if not entry else f"{entry['peak_mb'] / 1024:.2f} GB"


def markdown(table: dict, lessons: list[str]) -> str:
    """The instructors' table: one row per lesson notebook (measured or not)."""
    cpu, cuda = table["source"].get("cpu", {}), table["source"].get("cuda", {})

    def machine(src):
        m = src.get("machine", {})
        return (f"{m.get('cpus', '?')} logical CPUs ({m.get('cpu', '?')}), torch {m.get('torch', '?')}, "
                f"{m.get('date', '?')}, commit {m.get('commit', '?')}") if m else "none yet"

    lines = [
        f"Measured by `scripts/lesson_times.py` from `{cpu.get('file', 'benchmarks/results/claims_cpu.json')}` "
        "(the claims sweep: each notebook run whole under nbval, kernel start included, with other runs beside it). "
        "Time: median over the 1-thread runs that passed (m:ss); memory: the largest peak of any passing run. "
        f"CPU machine: {machine(cpu)}. GPU machine: {machine(cuda)}. Binder gives 1 GB for sure and restarts the "
        "kernel above 2 GB.",
        "",
        "| lesson | smoke, CPU | default, CPU | default peak memory | fits Binder (2 GB) | full, GPU |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for stem in lessons:
        entry = table["lessons"].get(stem, {})
        c, g = entry.get("cpu", {}), entry.get("cuda", {})
        default = c.get("default")
        if default is None:
            fits = "not measured"
        elif default["peak_mb"] <= BINDER_GUARANTEED_MB:
            fits = "yes"
        elif default["peak_mb"] <= BINDER_LIMIT_MB:
            fits = "above the guaranteed 1 GB"
        else:
            fits = "**no**"
        lines.append(f"| `{stem}` | {_time(c.get('smoke'))} | {_time(default)} | {_memory(default)} | {fits} | "
                     f"{_time(g.get('full'))} |")
    return "\n".join(lines)


def with_table(guide_text: str, table_md: str) -> str:
    """``guide_text`` with the part between the markers replaced by ``table_md``."""
    if BEGIN not in guide_text or END not in guide_text:
        raise SystemExit(f"the guide has no {BEGIN} ... {END} markers")
    head, rest = guide_text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table_md}\n{END}{tail}"


def lesson_stems(folder: Path = ROOT / "notebooks") -> list[str]:
    return [p.stem for p in sorted(folder.glob("[0-9][0-9]_*.ipynb"))]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--claims", type=Path, default=CLAIMS, help="a claims sweep's JSON (benchmarks/claims.py)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where the sweep ran")
    ap.add_argument("--table", type=Path, default=TABLE)
    ap.add_argument("--guide", type=Path, default=GUIDE)
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is out of date")
    args = ap.parse_args(argv)
    claims = json.loads(args.claims.read_text()) if args.claims.exists() else {"runs": []}
    if not args.claims.exists():
        print(f"no {args.claims}: every lesson is 'not measured yet'")
    try:
        name = str(args.claims.resolve().relative_to(ROOT))
    except ValueError:
        name = args.claims.name
    old = json.loads(args.table.read_text()) if args.table.exists() else None
    table = build_table(claims, args.device, name, old)
    table_text = json.dumps(table, indent=1) + "\n"
    guide_text = with_table(args.guide.read_text(), markdown(table, lesson_stems())) if args.guide.exists() else None
    if args.check:
        stale = [str(p) for p, text in ((args.table, table_text), (args.guide, guide_text))
                 if text is not None and (not p.exists() or p.read_text() != text)]
        if stale:
            print(f"out of date: {', '.join(stale)}; run python scripts/lesson_times.py")
            return 1
        print("lesson times are up to date")
        return 0
    args.table.write_text(table_text)
    print(f"wrote {args.table} ({len(table['lessons'])} lessons measured)")
    if guide_text is not None:
        args.guide.write_text(guide_text)
        print(f"wrote the table in {args.guide}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
