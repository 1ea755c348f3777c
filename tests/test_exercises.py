"""The exercise notebooks (notebooks/exercises/) are committed, in step with the lessons, and each runs on a fresh
kernel the way a learner meets it: every unsolved exercise's checker says "not written yet" and points to the
hint, and every other cell either runs or stops with a message that says what it needs.

Running one costs about what its lesson costs at the smoke budget (the cells that do not depend on an exercise
train as usual: the first six took 5.5 minutes on the 2-core development machine, lesson 04 alone 2.5). CI runs two:
lesson 01 (three exercises, and cells that need the names an unsolved checker cell did not define) and lesson 10
(the cheapest); ``GANCOURSE_EXERCISES=all`` runs every one.
"""
import importlib.util
import os
import re
from pathlib import Path

import nbformat
import pytest

import gancourse as gc

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "notebooks" / "exercises"
spec = importlib.util.spec_from_file_location("make_learner_notebooks", ROOT / "scripts" / "make_learner_notebooks.py")
mln = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mln)

NOTEBOOKS = sorted(EXERCISES.glob("[0-9][0-9]_*.ipynb"))
IN_CI = ("01_", "10_")  # see the docstring
RUN = NOTEBOOKS if os.environ.get("GANCOURSE_EXERCISES") == "all" else [p for p in NOTEBOOKS if p.name.startswith(IN_CI)]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_exercise_notebooks_are_committed_and_up_to_date():
    assert NOTEBOOKS, "no exercise notebooks: run python scripts/make_learner_notebooks.py"
    assert mln.main(["--check"]) == 0, "notebooks/exercises/ is out of date: run python scripts/make_learner_notebooks.py"


def test_every_lesson_with_exercises_has_an_exercise_version():
    for lesson in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        has = "### BEGIN SOLUTION" in lesson.read_text()
        assert (EXERCISES / lesson.name).exists() == has, lesson.name


def _errors(nb):
    """(cell source, ename, text of the error) for every error output of an executed notebook."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                text = ANSI.sub("", "\n".join(out.get("traceback", [])))
                yield cell.source, out["ename"], f"{out['ename']}: {out['evalue']}\n{text}"


def _kind(ename: str, text: str) -> str | None:
    """What kind of clear stop this is, or None."""
    if ename == "ExerciseFailed" and "not written yet (Exercise: complete" in text and (
            "its # Hint: lines say how" in text or "the text above its cell says what it must do" in text):
        return "checker"
    if ename == "NotImplementedError" and re.search(r"Exercise: complete \w+\(\)", text):
        return "needs an exercise"
    if ename == "NameError" and re.search(r"is set in the cell run as \[\d+\], which stopped with", text):
        return "names the cell to fix"
    return None


@pytest.mark.slow
@pytest.mark.parametrize("path", RUN, ids=lambda p: p.stem)
def test_an_exercise_notebook_stops_only_where_it_says_why(path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("GANCOURSE_BUDGET", "smoke")
    monkeypatch.setenv("GANCOURSE_PROGRESS", "0")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.delenv("MPLBACKEND", raising=False)   # the kernel draws with the inline backend, as a learner sees
    nb = nbformat.read(path, as_version=4)
    n_exercises = sum(c.source.startswith("# Exercise\n") for c in nb.cells if c.cell_type == "code")
    NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(EXERCISES)}}).execute()
    kinds = []
    for source, ename, text in _errors(nb):
        kind = _kind(ename, text)
        assert kind is not None, f"{path.name}: a cell stopped without saying what it needs:\n{source}\n---\n{text[-3000:]}"
        kinds.append(kind)
    checkers = sum(source.lstrip().startswith("gc.checks.check_") or "\ngc.checks.check_" in source
                   for source, ename, _ in _errors(nb) if ename == "ExerciseFailed")
    assert kinds.count("checker") >= 1 and checkers >= min(n_exercises, 1), (path.name, kinds)
    # the checkers' verdicts are printed in the cell's output too (what a learner reads first)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout")
    assert "not written yet" in printed


def test_a_name_error_names_the_cell_that_stopped():
    """gc.exercises.start(): a later NameError says which failed cell would have defined the name."""
    pytest.importorskip("IPython")
    from IPython.testing.globalipapp import start_ipython

    shell = start_ipython()
    gc.exercises.start(shell)
    try:
        shell.run_cell("def f():\n    raise NotImplementedError('Exercise: complete f()')\n")
        shell.run_cell("ready = 1\nvalue = f()\n")          # stops: `value` is never set
        result = shell.run_cell("print(value)")
        assert isinstance(result.error_in_exec, NameError)
        shell.run_cell("value = 2")                         # fixed by hand: the failure no longer explains it
        watcher = shell._gancourse_exercises
        assert not any("value" in f.names for f in watcher.failed)
        shell.run_cell("value2 = f()")
        failed = watcher.failed[-1]
        assert failed.names == {"value2"} and failed.error == "NotImplementedError"
        note = watcher.on_name_error(shell, NameError, NameError("name 'value2' is not defined", name="value2"), None)
        assert "`value2` is set in the cell run as" in note[-1] and "NotImplementedError" in note[-1]
        unrelated = watcher.on_name_error(shell, NameError, NameError("x", name="nowhere"), None)
        assert not any("is set in" in line for line in unrelated)
    finally:
        shell.set_custom_exc((), None)
        shell.run_cell("%reset -f")


def test_assigned_names():
    src = "import numpy as np\nfrom a import b as c\nx, (y, z) = 1, (2, 3)\nfor i in r: pass\ndef g(): w = 1\nclass K: pass"
    assert gc.exercises.assigned_names(src) == {"np", "c", "x", "y", "z", "i", "g", "K"}
