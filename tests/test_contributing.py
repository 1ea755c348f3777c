"""CONTRIBUTING.md stays true: its example of a new GAN runs, and its map of lessons and files matches the tree."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEXT = (ROOT / "CONTRIBUTING.md").read_text()


def _section(title: str) -> str:
    start = TEXT.index(title)
    end = TEXT.find("\n## ", start + len(title))
    return TEXT[start:] if end < 0 else TEXT[start:end]


def test_the_one_hook_example_trains_and_logs_its_new_term():
    (code,) = re.findall(r"```python\n(.*?)```", _section("### Adding a GAN"), flags=re.S)
    namespace = {}
    exec(compile(code, "CONTRIBUTING.md (Adding a GAN)", "exec"), namespace)  # a documentation example, run as is
    cls, trainer = namespace["R1GANTrainer"], namespace["trainer"]
    overridden = {name for name, attr in vars(cls).items() if callable(attr) and name != "__init__"}
    assert overridden == {"d_loss_terms"}, "the example overrides exactly one hook"
    assert all(v >= 0 for v in trainer.history["R1"])


def test_the_lesson_map_names_every_notebook_and_only_files_that_exist():
    rows = [line for line in _section("## Lessons, notebooks").splitlines() if line.startswith("| ")][1:]
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    mapped = [re.search(r"`notebooks/([^`]+)`", row).group(1) for row in rows]
    assert mapped == notebooks
    for row in rows:
        for path in re.findall(r"`(gancourse/[^`]+)`", row):
            assert (ROOT / path).is_file(), f"CONTRIBUTING.md maps a lesson to {path}, which does not exist"


def test_the_layout_names_every_module_of_the_package():
    layout = _section("## Layout")
    for path in sorted((ROOT / "gancourse").rglob("*.py")):
        if path.name != "__init__.py":
            assert f"`{path.name}`" in layout, f"CONTRIBUTING.md's layout does not mention {path.relative_to(ROOT)}"
