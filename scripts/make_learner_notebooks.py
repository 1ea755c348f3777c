"""Make the exercise ("learner") version of the course notebooks.

In the lesson notebooks, an exercise is a block of code between two marker lines, inside a code cell::

    def d_loss(d_real, d_fake):
        ### HINT: log D = -F.softplus(-l) and log(1 - D) = -F.softplus(l)
        ### BEGIN SOLUTION
        return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        ### END SOLUTION

    gc.checks.check_d_loss(d_loss)      # usually in the next cell

The lesson notebooks keep the solutions, so CI runs them top to bottom. This script writes a copy of every
notebook in which each block (markers included) becomes ``raise NotImplementedError("Exercise: ...")`` at the
block's indentation, ``### HINT:`` lines become ``# Hint:`` comments, and all outputs are cleared::

    python scripts/make_learner_notebooks.py                 # notebooks/*.ipynb -> learner/
    python scripts/make_learner_notebooks.py --out ex 01_minimax.ipynb
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END, HINT = "### BEGIN SOLUTION", "### END SOLUTION", "### HINT:"
_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\w+)")

BANNER = (
    "> **Exercise version.** Cells marked *Exercise* raise `NotImplementedError` until you fill them in; the "
    "checker cell after each one (`gc.checks.check_...`) tests your code and says what is wrong. The complete "
    "lesson, with solutions, is `notebooks/{name}`."
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
            out.append(f'{indent}raise NotImplementedError("Exercise: {what}; the checker below tests it")')
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
    if total:
        nb.cells.insert(1, nbformat.v4.new_markdown_cell(BANNER.format(name=name)))
    return nb, total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebook names or paths (default: every notebook in --src)")
    parser.add_argument("--src", type=Path, default=ROOT / "notebooks", help="folder of the lesson notebooks")
    parser.add_argument("--out", type=Path, default=ROOT / "learner", help="folder for the learner notebooks")
    args = parser.parse_args(argv)
    paths = [Path(p) if Path(p).exists() else args.src / p for p in args.notebooks] or sorted(
        args.src.glob("[0-9][0-9]_*.ipynb"))
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SystemExit(f"no such notebook: {', '.join(missing)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        learner, n = make_learner(nb, path.name)
        nbformat.validate(learner)
        nbformat.write(learner, args.out / path.name)
        print(f"{path.name}: {n} exercise{'s' if n != 1 else ''}")
    print(f"wrote {len(paths)} notebooks to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
