"""Make the exercise ("learner") versions of the course notebooks: notebooks/exercises/NN_name.ipynb.

In the lesson notebooks, an exercise is a block of code between two marker lines, inside a code cell (the
markers are nbgrader's: ``nbgrader generate_assignment`` reads the same ones)::

    def d_loss(d_real, d_fake):
        ### HINT: log D = -F.softplus(-l) and log(1 - D) = -F.softplus(l)
        ### BEGIN SOLUTION
        return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        ### END SOLUTION

    gc.checks.check_d_loss(d_loss)      # usually in the next cell

The lesson notebooks keep the solutions, so CI runs them top to bottom. This script writes, for every lesson that
has exercises, a copy in which each block (markers included) becomes
``raise NotImplementedError("Exercise: complete d_loss(); its # Hint: lines say how")`` at the block's
indentation (its checker then says "not written yet" and quotes that), ``### HINT:`` lines become ``# Hint:``
comments, and all outputs are cleared. The copy also gets a banner, its own Colab badge, and after the imports a
cell that calls ``gc.exercises.start()`` (a cell that needs a name an unfinished cell did not define says which
cell that is). The copies are committed; ``--check`` (run by the tests) fails when they differ from what this
script writes, so they follow every change of the lessons::

    python scripts/make_learner_notebooks.py              # notebooks/*.ipynb -> notebooks/exercises/
    python scripts/make_learner_notebooks.py --check      # exit 1 if notebooks/exercises/ is out of date
    python scripts/make_learner_notebooks.py --out ex 01_minimax_game.ipynb
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "notebooks" / "exercises"
REPO_URL = "https://github.com/gancourse/gancourse"
BEGIN, END, HINT = "### BEGIN SOLUTION", "### END SOLUTION", "### HINT:"
_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)")
_BADGE = re.compile(r"^.*colab-badge\.svg.*$", re.M)
_LESSON_LINK = re.compile(r"\]\((?!https?:|#|\.\./|/)(\d\d_[\w.-]+\.ipynb)\)")  # a relative link to a lesson

BANNER = (
    "> **Exercise version.** Cells marked *Exercise* raise `NotImplementedError` until you fill them in (their "
    "`# Hint:` lines help); the checker cell after each one (`gc.checks.check_...`) tests your code and says what "
    "is wrong, or \"not written yet\". *Run All* stops at the first exercise you have not solved: solve it, run its "
    "cell and the checker, and go on. A later cell that needs something an unsolved exercise did not define says "
    "which cell to fix. The complete lesson, with solutions, is [`notebooks/{name}`](../{name})."
)
BADGE = (
    "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
    "(https://colab.research.google.com/github/gancourse/gancourse/blob/main/notebooks/exercises/{name}) "
    "(exercise version; the lesson with solutions: [{name}](../{name}))"
)
START = (
    "# Exercise version: a cell that needs what an unsolved exercise above did not define says which cell to fix.\n"
    "gc.exercises.start()"
)


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _enclosing_function(lines: list[str], index: int, indent: str) -> str | None:
    """The name of the innermost ``def`` above line ``index`` that the block at ``indent`` belongs to."""
    for line in reversed(lines[:index]):
        m = _DEF.match(line)
        if m and len(m.group(1)) < len(indent):
            return m.group(2)
    return None


def strip_solutions(source: str, where: str = "cell") -> tuple[str, int]:
    """Replace every solution block of one cell's source; return (new source, number of blocks)."""
    lines = source.split("\n")
    out, hints, n, start = [], [], 0, None
    for i, line in enumerate(lines):
        text = line.strip()
        if text.startswith(HINT):
            hint = text[len(HINT):].strip()
            if start is None:
                out.append(f"{_indent(line)}# Hint: {hint}")
            else:
                hints.append(hint)
            continue
        if text == BEGIN:
            if start is not None:
                raise ValueError(f"{where}: line {i + 1}: {BEGIN!r} inside another solution block "
                                 "(nesting is not allowed)")
            start = i
            continue
        if text == END:
            if start is None:
                raise ValueError(f"{where}: line {i + 1}: {END!r} without a matching {BEGIN!r}")
            indent = _indent(lines[start])
            name = _enclosing_function(lines, start, indent)
            what = f"complete {name}()" if name else "fill in this block"
            out.extend(f"{indent}# Hint: {h}" for h in hints)
            had_hint = bool(hints) or any(x.strip().startswith("# Hint:") for x in out[-6:])
            how = "its # Hint: lines say how" if had_hint else "the text above its cell says what it must do"
            out.append(f'{indent}raise NotImplementedError("Exercise: {what}; {how}")')
            hints, start, n = [], None, n + 1
            continue
        if start is None:
            out.append(line)
    if start is not None:
        raise ValueError(f"{where}: line {start + 1}: {BEGIN!r} is never closed by {END!r}")
    return "\n".join(out), n


def make_learner(nb: nbformat.NotebookNode, name: str) -> tuple[nbformat.NotebookNode, int]:
    """A learner copy of one notebook (outputs cleared, solutions replaced) and its number of exercises."""
    nb = nbformat.from_dict(nb)
    total = 0
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            cell.source, n = strip_solutions(cell.source, f"{name}, cell {k}")
            cell.outputs, cell.execution_count = [], None
            if n and not cell.source.startswith("%%"):  # a cell magic must stay on the first line
                cell.source = f"# Exercise\n{cell.source}"
            total += n
        else:
            cell.source = _LESSON_LINK.sub(r"](../\1)", cell.source)  # the copy lives one folder down
    if total:
        first = nb.cells[0]
        if first.cell_type == "markdown" and _BADGE.search(first.source):
            first.source = _BADGE.sub(lambda m: BADGE.format(name=name), first.source, count=1)
        imports = next((k for k, c in enumerate(nb.cells)
                        if c.cell_type == "code" and re.search(r"^import gancourse as gc\b", c.source, re.M)), None)
        if imports is not None:
            nb.cells.insert(imports + 1, nbformat.v4.new_code_cell(START))
        nb.cells.insert(1, nbformat.v4.new_markdown_cell(BANNER.format(name=name)))
    nb.nbformat_minor = max(nb.get("nbformat_minor", 4), 5)  # cell ids: stable, so that the same lesson gives
    for k, cell in enumerate(nb.cells):                      # byte-identical copies (--check compares bytes)
        cell["id"] = f"ex-{k:03d}"
    return nb, total


def render(nb: nbformat.NotebookNode) -> str:
    """The notebook's JSON as nbformat writes it (what gets committed)."""
    return nbformat.writes(nb) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebook names or paths (default: every notebook in --src)")
    parser.add_argument("--src", type=Path, default=ROOT / "notebooks", help="folder of the lesson notebooks")
    parser.add_argument("--out", type=Path, default=OUT, help="folder for the exercise notebooks")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if --out differs from what would be written")
    args = parser.parse_args(argv)
    paths = [Path(p) if Path(p).exists() else args.src / p for p in args.notebooks] or sorted(
        args.src.glob("[0-9][0-9]_*.ipynb"))
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"no such notebook: {', '.join(missing)}")
    wanted = {}
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        learner, n = make_learner(nb, path.name)
        print(f"{path.name}: {n} exercise{'s' if n != 1 else ''}")
        if n:
            nbformat.validate(learner)
            wanted[path.name] = render(learner)
    if args.check:
        stale = [name for name, text in wanted.items()
                 if not (args.out / name).exists() or (args.out / name).read_text() != text]
        extra = [] if args.notebooks else sorted(
            p.name for p in args.out.glob("*.ipynb") if p.name not in wanted)
        if stale or extra:
            print(f"{args.out} is out of date: {', '.join(stale + [f'{e} (no such lesson or no exercises)' for e in extra])}"
                  f"; run python scripts/make_learner_notebooks.py")
            return 1
        print(f"{args.out} is up to date ({len(wanted)} notebooks)")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in wanted.items():
        (args.out / name).write_text(text)
    if not args.notebooks:  # a full run also removes copies of lessons that are gone or lost their exercises
        for p in args.out.glob("*.ipynb"):
            if p.name not in wanted:
                p.unlink()
                print(f"removed {p}")
    print(f"wrote {len(wanted)} exercise notebooks to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
