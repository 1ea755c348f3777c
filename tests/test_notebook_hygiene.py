"""Every lesson notebook is committed clean and follows the house rules."""
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _cells(path):
    return json.loads(path.read_text())["cells"]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    for cell in _cells(path):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: a code cell has outputs; strip them before committing"
            assert cell.get("execution_count") is None, f"{path.name}: a code cell has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_house_rules(path):
    code = ["".join(c["source"]) for c in _cells(path) if c["cell_type"] == "code"]
    for src in code:
        assert not re.search(r"^\s*from\s+\S+\s+import\s+\*", src, re.M), f"{path.name}: star import"
        assert "sys.path" not in src, f"{path.name}: sys.path hack"
        if re.search(r"^\s*[%!]\s*pip\b|pip install", src, re.M):
            assert 'if "google.colab" in sys.modules' in src, f"{path.name}: pip call outside the guarded Colab cell"
    assert any("import gancourse as gc" in src for src in code), f"{path.name}: does not use the package"
    assert any(re.search(r"^\s*assert\b", src, re.M) for src in code), f"{path.name}: proves nothing (no assert)"
