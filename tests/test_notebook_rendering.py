"""nbval must draw the notebooks' figures, so that a figure that cannot be drawn fails its cell.

With MPLBACKEND=Agg in the environment (it reaches the kernels), plt.show() draws nothing and an invalid
mathtext label passes unseen, though it raises in JupyterLab. This runs nbval, with this process's environment,
on a notebook whose only figure cannot be drawn.
"""
import subprocess
import sys

import nbformat
from nbformat.v4 import new_code_cell, new_notebook


def test_a_figure_that_cannot_be_drawn_fails_its_cell(tmp_path):
    bad = new_code_cell('import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n'
                        'ax.set_xlabel(r"$\\lVert x \\rVert$")  # \\lVert is not mathtext\nplt.show()')
    nb = new_notebook(cells=[bad, new_code_cell("print('after')")])
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    path = tmp_path / "bad_figure.ipynb"
    nbformat.write(nb, path)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
                          "--nbval-current-env", "--rootdir", str(tmp_path), str(path)],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode != 0, run.stdout[-2000:]
    assert "Cell 0" in run.stdout and "1 failed, 1 passed" in run.stdout, run.stdout[-2000:]
