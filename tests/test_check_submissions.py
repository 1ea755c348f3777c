"""scripts/check_submissions.py runs a learner's notebook on a fresh kernel and reports every checker's verdict,
including those after a failing cell."""
import importlib.util
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("check_submissions", ROOT / "scripts" / "check_submissions.py")
cs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cs)

CELLS = [
    "import torch.nn.functional as F\nimport gancourse as gc",
    "def d_loss(d_real, d_fake):\n    return F.softplus(-d_real).mean() + F.softplus(d_fake).mean()",
    "gc.checks.check_d_loss(d_loss)",
    "def g_loss_minimax(d_fake):\n    raise NotImplementedError('Exercise: complete g_loss_minimax(); its # Hint: lines say how')",
    "gc.checks.check_g_loss_minimax(g_loss_minimax)",
    "def g_loss_nonsaturating(d_fake):\n    return F.softplus(d_fake).mean()   # a slip: the sign of the logit",
    "gc.checks.check_g_loss_nonsaturating(g_loss_nonsaturating)",
]


def test_every_verdict_is_collected(tmp_path, capsys):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="✅ d_loss: 99 checks passed\n")]
    path = tmp_path / "alice.ipynb"
    nbformat.write(nb, path)
    assert cs.main([str(path), "--csv", str(tmp_path / "marks.csv")]) == 0
    out = capsys.readouterr().out
    assert "alice.ipynb: 1/3 checkers passed" in out
    assert "99 checks" not in out, "the saved outputs are not trusted: the notebook runs again"
    rows = (tmp_path / "marks.csv").read_text().splitlines()
    assert rows[0] == "notebook,exercise,passed,message"
    assert rows[1].startswith("alice.ipynb,d_loss,True,")
    assert rows[2].startswith('alice.ipynb,g_loss_minimax,False,"not written yet')
    assert rows[3].startswith("alice.ipynb,g_loss_nonsaturating,False,")
