"""The claims sweep (benchmarks/claims.py) runs notebooks under nbval per seed and reports what failed, and where.

A smoke run on two tiny notebooks built here: one whose assert depends on GANCOURSE_SEED, one that always passes.
The full sweep's results are in benchmarks/results/claims_cpu.md (it takes hours, so it is not a test).
"""
import importlib.util
import json
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def claims():
    spec = importlib.util.spec_from_file_location("claims", ROOT / "benchmarks" / "claims.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _notebook(path: Path, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# a test notebook")] + [
        nbformat.v4.new_code_cell(src) if kind == "code" else nbformat.v4.new_markdown_cell(src) for kind, src in cells
    ]
    nbformat.write(nb, path)


def test_a_smoke_sweep_reports_each_seed_and_the_failing_cell(claims, tmp_path, capsys):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "00_seeded.ipynb", [
        ("code", "import os\nseed = int(os.environ['GANCOURSE_SEED'])\nbudget = os.environ['GANCOURSE_BUDGET']"),
        ("markdown", "the claim"),
        ("code", "assert seed % 2 == 0, f'odd seed {seed}'"),
    ])
    _notebook(folder / "01_fine.ipynb", [("code", "assert 1 + 1 == 2")])
    out = tmp_path / "claims.md"
    assert claims.main(["--folder", str(folder), "--seeds", "0-1", "--budgets", "smoke", "--threads", "1",
                        "--jobs", "2", "--out", str(out)]) == 0
    store = json.loads(out.with_suffix(".json").read_text())
    runs = {(r["notebook"], r["seed"]): r for r in store["runs"]}
    assert len(runs) == 4
    assert runs[("00_seeded.ipynb", 0)]["ok"] and runs[("01_fine.ipynb", 1)]["ok"]
    bad = runs[("00_seeded.ipynb", 1)]
    assert not bad["ok"]
    assert bad["failed"] == [{"cell": 1, "json_cell": 3, "error": "AssertionError: odd seed 1"}]
    assert all(r["seconds"] > 0 and r["peak_mb"] > 10 for r in runs.values())   # time and memory were measured
    text = out.read_text()
    assert "| 00_seeded | smoke | 1 | native | 0-1 | 1/2 | 1: code cell 1 ([3]) |" in text
    assert "| 01_fine | smoke | 1 | native | 0-1 | 2/2 | - |" in text
    assert "AssertionError: odd seed 1" in text
    # a rerun of one run replaces its entry instead of adding a second one
    claims.main(["--folder", str(folder), "--notebooks", "01", "--seeds", "1", "--budgets", "smoke", "--threads",
                 "1", "--jobs", "1", "--out", str(out)])
    assert len(json.loads(out.with_suffix(".json").read_text())["runs"]) == 4


def test_seed_lists(claims):
    assert claims.seeds("0-3") == [0, 1, 2, 3]
    assert claims.seeds("5,7-8") == [5, 7, 8]
    assert claims._ranges([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8"


def test_the_sweep_script_runs_as_a_program():
    import subprocess

    res = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "claims.py"), "--help"], capture_output=True,
                         text=True)
    assert res.returncode == 0 and "--seeds" in res.stdout
