"""The exercise-notebook generator strips every solution block and leaves valid, runnable-looking notebooks; its
--check mode catches copies that are out of date."""
import ast
import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("make_learner_notebooks", ROOT / "scripts" / "make_learner_notebooks.py")
mln = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mln)

SOLVED = '''import torch.nn.functional as F

def d_loss(d_real, d_fake):
    """D's loss."""
    ### HINT: log D = -softplus(-l)
    ### BEGIN SOLUTION
    real = F.softplus(-d_real).mean()
    return real + F.softplus(d_fake).mean()
    ### END SOLUTION

class Net:
    def forward(self, x):
        if x is not None:
            ### BEGIN SOLUTION
            ### HINT: double it
            y = 2 * x
            ### END SOLUTION
        return y
'''


def _compiles(src):
    from IPython.core.inputtransformer2 import TransformerManager

    ast.parse(TransformerManager().transform_cell(src))  # %magics and !shell lines become Python


def _notebook(*sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title")] + [nbformat.v4.new_code_cell(s) for s in sources]
    for cell in nb.cells[1:]:
        cell.outputs = [nbformat.v4.new_output("stream", text="old output\n")]
        cell.execution_count = 3
    return nb


def test_strip_solutions_replaces_each_block_at_its_indentation():
    src, n = mln.strip_solutions(SOLVED)
    assert n == 2
    assert "BEGIN SOLUTION" not in src and "END SOLUTION" not in src and "softplus(-d_real)" not in src
    assert "y = 2 * x" not in src
    lines = src.split("\n")
    assert '    raise NotImplementedError("Exercise: complete d_loss(); its # Hint: lines say how")' in lines
    assert '            raise NotImplementedError("Exercise: complete forward(); its # Hint: lines say how")' in lines
    assert "    # Hint: log D = -softplus(-l)" in lines and "            # Hint: double it" in lines
    assert '    """D\'s loss."""' in lines and "        return y" in lines  # code around the blocks is kept
    _compiles(src)
    ns = {}
    exec(compile(src, "learner", "exec"), ns)
    with pytest.raises(NotImplementedError, match="Exercise: complete d_loss"):
        ns["d_loss"](None, None)


def test_learner_function_fails_its_checker():
    import gancourse as gc

    src, _ = mln.strip_solutions(SOLVED)
    ns = {}
    exec(compile(src, "learner", "exec"), ns)
    with pytest.raises(AssertionError, match=r"not written yet \(Exercise: complete d_loss\(\); its # Hint: lines say how\)"):
        gc.checks.check_d_loss(ns["d_loss"])
    solved = {}
    exec(compile(SOLVED, "solved", "exec"), solved)
    gc.checks.check_d_loss(solved["d_loss"])


@pytest.mark.parametrize("bad, match", [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "without a matching"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "nesting"),
])
def test_unbalanced_markers_raise_value_error(bad, match):
    with pytest.raises(ValueError, match=match):
        mln.strip_solutions(bad, "nb.ipynb, cell 2")


def test_main_writes_valid_clean_learner_notebooks(tmp_path, capsys):
    src, out = tmp_path / "notebooks", tmp_path / "learner"
    src.mkdir()
    nbformat.write(_notebook("%matplotlib inline\nimport math", SOLVED, "print(d_loss)"), src / "01_a.ipynb")
    nbformat.write(_notebook("x = 1"), src / "02_b.ipynb")
    assert mln.main(["--src", str(src), "--out", str(out)]) == 0
    assert "01_a.ipynb: 2 exercises" in capsys.readouterr().out
    a = nbformat.read(out / "01_a.ipynb", as_version=4)
    for nb in (a,):
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
                assert "SOLUTION" not in cell.source
                _compiles(cell.source)
    assert "Exercise version" in a.cells[1].source and len(a.cells) == 5
    assert a.cells[3].source.startswith("# Exercise\n")
    assert not (out / "02_b.ipynb").exists(), "a lesson without exercises has no exercise version"
    src_nb = nbformat.read(src / "01_a.ipynb", as_version=4)
    assert src_nb.cells[2].outputs and "BEGIN SOLUTION" in src_nb.cells[2].source  # the lesson is untouched


def test_course_notebooks_give_clean_learner_versions(tmp_path):
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        pytest.skip("no lesson notebooks yet")
    assert mln.main(["--out", str(tmp_path)]) == 0
    for path in notebooks:
        if "### BEGIN SOLUTION" not in path.read_text():
            assert not (tmp_path / path.name).exists()
            continue
        nb = nbformat.read(tmp_path / path.name, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            assert "### BEGIN SOLUTION" not in cell.source and "### END SOLUTION" not in cell.source
            if cell.cell_type == "code":
                _compiles(cell.source)


def test_missing_notebook_is_reported(tmp_path):
    with pytest.raises(SystemExit, match="no such notebook"):
        mln.main(["--src", str(tmp_path), "--out", str(tmp_path / "o"), "99_nope.ipynb"])


def test_a_block_without_hints_points_to_the_text():
    src, _ = mln.strip_solutions("def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n")
    assert 'raise NotImplementedError("Exercise: complete f(); the text above its cell says what it must do")' in src


def test_the_copy_gets_its_own_badge_a_start_cell_and_relative_links(tmp_path):
    badge = ("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research."
             "google.com/github/gancourse/gancourse/blob/main/notebooks/01_a.ipynb)")
    nb = _notebook("import torch\nimport gancourse as gc\nSEED = 0", SOLVED, "gc.checks.check_d_loss(d_loss)")
    nb.cells[0].source = f"# 01 · A\n\n{badge}\n\nAs in [lesson 02](02_b.ipynb) and [the web](https://x.org/03_c.ipynb)."
    learner, n = mln.make_learner(nb, "01_a.ipynb")
    first = learner.cells[0].source
    assert "blob/main/notebooks/exercises/01_a.ipynb" in first and "blob/main/notebooks/01_a.ipynb" not in first
    assert "[lesson 02](../02_b.ipynb)" in first and "(https://x.org/03_c.ipynb)" in first
    sources = [c.source for c in learner.cells]
    start = sources.index(mln.START)
    assert "import gancourse as gc" in sources[start - 1], "gc.exercises.start() comes right after the imports"
    assert [c.id for c in learner.cells] == [f"ex-{k:03d}" for k in range(len(learner.cells))]
    nbformat.validate(learner)


def test_check_mode_finds_stale_and_extra_copies(tmp_path, capsys):
    src, out = tmp_path / "notebooks", tmp_path / "exercises"
    src.mkdir()
    nbformat.write(_notebook(SOLVED), src / "01_a.ipynb")
    assert mln.main(["--src", str(src), "--out", str(out), "--check"]) == 1      # nothing written yet
    assert mln.main(["--src", str(src), "--out", str(out)]) == 0
    assert mln.main(["--src", str(src), "--out", str(out), "--check"]) == 0
    first = (out / "01_a.ipynb").read_text()
    assert mln.main(["--src", str(src), "--out", str(out)]) == 0
    assert (out / "01_a.ipynb").read_text() == first, "the same lesson gives the same bytes"
    lesson = nbformat.read(src / "01_a.ipynb", as_version=4)
    lesson.cells[1].source = lesson.cells[1].source.replace("double it", "twice x")  # the lesson changes
    nbformat.write(lesson, src / "01_a.ipynb")
    capsys.readouterr()
    assert mln.main(["--src", str(src), "--out", str(out), "--check"]) == 1
    assert "01_a.ipynb" in capsys.readouterr().out
    assert mln.main(["--src", str(src), "--out", str(out)]) == 0
    (out / "09_gone.ipynb").write_text("{}")                                      # a lesson that no longer exists
    assert mln.main(["--src", str(src), "--out", str(out), "--check"]) == 1
    assert mln.main(["--src", str(src), "--out", str(out)]) == 0 and not (out / "09_gone.ipynb").exists()


def test_a_badge_line_with_the_exercise_link_becomes_the_copys_own_line():
    """The lesson's badge line may also link its exercise version; in the copy the whole line is replaced."""
    line = ("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research."
            "google.com/github/gancourse/gancourse/blob/main/notebooks/01_a.ipynb) · exercise version: "
            "[notebook](exercises/01_a.ipynb), [Colab](https://colab.research.google.com/github/gancourse/gancourse/"
            "blob/main/notebooks/exercises/01_a.ipynb)")
    nb = _notebook(SOLVED)
    nb.cells[0].source = f"# 01 · A\n\n{line}\n\nText."
    learner, _ = mln.make_learner(nb, "01_a.ipynb")
    assert learner.cells[0].source == f"# 01 · A\n\n{mln.BADGE.format(name='01_a.ipynb')}\n\nText."
