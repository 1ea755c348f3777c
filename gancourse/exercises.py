"""Help for the exercise notebooks: when a cell needs what an unsolved exercise did not define, it says so.

The exercise version of a lesson (``notebooks/exercises/``, made by ``scripts/make_learner_notebooks.py``) calls,
right after its imports::

    gc.exercises.start()

An unsolved exercise raises ``NotImplementedError("Exercise: complete d_loss(); its # Hint: lines say how")``, and
its checker turns that into "not written yet". Any cell that calls the unsolved function says the same. But a
checker cell that stopped also left the rest of its lines undone, so a later cell can fail with a bare
``NameError: name 'l_real' is not defined``. After ``start()``, such an error ends with a line naming the cell
that would have defined the name and why it stopped::

    NameError: name 'l_real' is not defined
    `l_real` is set in the cell run as [12], which stopped with ExerciseFailed (an exercise above is not
    finished?): fix that cell and run it again, then this one.

Nothing else changes: the error is still raised (so "Run All" still stops at the first one), and a NameError
that no failed cell explains is reported as usual.
"""
from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field

from . import validation

__all__ = ["start", "assigned_names"]


def assigned_names(source: str) -> set[str]:
    """The names a cell's code binds at its top level (assignments, loops, with, imports, def, class); not the
    names bound inside the functions and classes it defines."""
    if not isinstance(source, str):
        raise validation.ArgumentError(f"source must be a cell's code as a str, got {type(source).__name__}")
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()

    class Binder(ast.NodeVisitor):
        def visit_Name(self, node):
            if isinstance(node.ctx, ast.Store):
                names.add(node.id)

        def visit_FunctionDef(self, node):  # its name is bound; its body is another scope
            names.add(node.name)

        visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

        def visit_Lambda(self, node):
            pass

        def visit_Import(self, node):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)

        visit_ImportFrom = visit_Import

    Binder().visit(tree)
    return names


@dataclass
class _Failed:
    count: int | None   # the cell's execution count, as the prompt shows it: [12]
    names: set[str]     # what it would have defined
    error: str          # the exception's type name


@dataclass
class _Watcher:
    shell: object
    failed: list[_Failed] = field(default_factory=list)

    def post_run_cell(self, result):
        source = self.shell.transform_cell(result.info.raw_cell) if result.info else ""
        names = assigned_names(source)
        if result.success:  # a cell that ran through defines its names now: earlier failures no longer explain them
            for f in self.failed:
                f.names -= names
            self.failed = [f for f in self.failed if f.names]
        error = result.error_in_exec
        if error is not None and names:
            self.failed.append(_Failed(result.execution_count, names, type(error).__name__))

    def on_name_error(self, shell, etype, value, tb, tb_offset=None):
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
        name = getattr(value, "name", None)
        if name is None or hasattr(builtins, name):
            return stb
        for f in reversed(self.failed):
            if name in f.names:
                where = f"the cell run as [{f.count}]" if f.count is not None else "a cell above"
                return stb + [f"`{name}` is set in {where}, which stopped with {f.error} (an exercise above is not "
                              "finished?): fix that cell and run it again, then this one."]
        return stb


def start(shell=None) -> None:
    """Watch this kernel's cells: a NameError explained by a cell that stopped says which cell that was.

    ``shell`` defaults to the running IPython shell; outside IPython this does nothing.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return
        shell = get_ipython()
        if shell is None:
            return
    if not (hasattr(shell, "events") and hasattr(shell, "set_custom_exc")):
        raise validation.ArgumentError(f"shell must be an IPython shell (get_ipython()), got {type(shell).__name__}")
    watcher = getattr(shell, "_gancourse_exercises", None)
    if watcher is None:
        watcher = _Watcher(shell)
        shell._gancourse_exercises = watcher
        shell.events.register("post_run_cell", watcher.post_run_cell)
    shell.set_custom_exc((NameError,), watcher.on_name_error)
