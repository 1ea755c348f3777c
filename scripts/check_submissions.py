"""Run learners' exercise notebooks and report what each exercise's checker said.

    python scripts/check_submissions.py submissions/*.ipynb            # a table on the terminal
    python scripts/check_submissions.py submissions/*.ipynb --csv marks.csv

Each notebook runs top to bottom on a fresh kernel at the smoke budget (``--budget`` to change), in its own
folder, with errors allowed (a learner's error must not hide the later exercises), and a time limit per cell.
The checkers (``gc.checks.check_...``) print one verdict each: ``✅ d_loss: 5 checks passed`` or ``❌ d_loss: ...``;
this script collects them per notebook. Notebooks are run, not trusted: run submissions in a sandbox (a container
or a throw-away account), as you would any code you did not write.
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from pathlib import Path

import nbformat

VERDICT = re.compile(r"^(✅|❌) ([\w.]+|your function): (.*)$", re.M)


def verdicts(nb) -> list[tuple[str, bool, str]]:
    """(function, passed, message) for every checker verdict printed in an executed notebook, in order."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                for mark, name, message in VERDICT.findall(out.get("text", "")):
                    found.append((name, mark == "✅", message.strip()))
    return found


def check(path: Path, budget: str = "smoke", timeout: int = 600) -> list[tuple[str, bool, str]]:
    """Execute one submission on a fresh kernel and return its checkers' verdicts."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None  # what the learner saved is not what we judge
    saved = {k: os.environ.get(k) for k in ("GANCOURSE_BUDGET", "GANCOURSE_PROGRESS")}
    os.environ.update(GANCOURSE_BUDGET=budget, GANCOURSE_PROGRESS="0")  # the kernel inherits the environment
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(path.parent.resolve())}}).execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return verdicts(nb)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="+", type=Path)
    ap.add_argument("--budget", default="smoke", choices=["smoke", "default", "full"])
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    ap.add_argument("--csv", type=Path, help="also write notebook, exercise, passed, message rows here")
    args = ap.parse_args(argv)
    rows = []
    for path in args.notebooks:
        try:
            found = check(path, args.budget, args.timeout)
            problem = None if found else "no checker ran"
        except Exception as e:  # a notebook that cannot even start: say so and go on
            found, problem = [], f"could not run: {type(e).__name__}: {e}"
        if problem:
            rows.append((path.name, "(notebook)", False, problem))
        rows += [(path.name, name, ok, message) for name, ok, message in found]
        passed = sum(ok for _, ok, _ in found)
        print(f"{path.name}: {passed}/{len(found)} checkers passed" + (f" ({problem})" if problem else ""), flush=True)
        for name, ok, message in found:
            print(f"  {'✅' if ok else '❌'} {name}: {message}")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["notebook", "exercise", "passed", "message"])
            w.writerows(rows)
        print(f"wrote {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
