"""The rendered course: scripts/build_site.py executes a lesson and jupyter-book renders it with its figures, the
links to run it and its exercise version, and widgets frozen into pictures."""
import base64
import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("build_site", ROOT / "scripts" / "build_site.py")
bs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bs)

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n-a-fake-picture").decode()


@pytest.mark.slow
def test_a_lesson_page_has_its_figures_and_links(built_site):
    html = built_site["html"]
    print(f"site built in {built_site['seconds']:.0f} s")
    assert "intro.html" in (html / "index.html").read_text()  # index.html forwards to the list of lessons
    assert 'href="notebooks/02_optimal_discriminator.html"' in (html / "intro.html").read_text()
    page = (html / "notebooks" / "02_optimal_discriminator.html").read_text()
    figures = re.findall(r'<img[^>]+src="(\.\./_images/[^"]+\.png)"', page)
    assert len(figures) >= 3, "the executed lesson's figures are on the page"
    for src in figures:
        assert (html / "notebooks" / src).resolve().stat().st_size > 5_000, f"{src} is not a real figure"
    assert "colab.research.google.com/github/gancourse/gancourse/blob/main/notebooks/02_optimal_discriminator.ipynb" in page
    assert "mybinder.org/v2/gh/gancourse/gancourse/main?urlpath=lab/tree/notebooks/02_optimal_discriminator.ipynb" in page
    assert "Executed for this page at the" in page and "smoke" in page
    assert "logo_colab" in page and "logo_binder" in page  # jupyter-book's launch buttons too
    assert "output traceback" not in page and "Traceback (most recent call last)" not in page, "a cell failed"


def test_links_name_the_exercise_version_only_where_there_is_one():
    with_ex = bs.links("01_minimax_game.ipynb", True)
    assert "notebooks/exercises/01_minimax_game.ipynb" in with_ex and "Exercise version" in with_ex
    without = bs.links("02_optimal_discriminator.ipynb", False)
    assert "exercises/" not in without and "no exercises" in without


def _widget_notebook():
    """An executed notebook as nbclient leaves it: a widget view output and the widgets' state in the metadata."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("lab"), nbformat.v4.new_code_cell("1 + 1")])
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", data={
        bs.WIDGET_VIEW: {"model_id": "box", "version_major": 2, "version_minor": 0}, "text/plain": "VBox(...)"})]
    nb.cells[1].outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=2)]
    nb.metadata["widgets"] = {bs.WIDGET_STATE: {"version_major": 2, "version_minor": 0, "state": {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_status", "IPY_MODEL_img", "IPY_MODEL_out"]}},
        "status": {"model_name": "HTMLModel", "state": {"value": "iteration 200"}},
        "img": {"model_name": "ImageModel", "state": {"format": "png"},
                "buffers": [{"path": ["value"], "encoding": "base64", "data": PNG}]},
        "out": {"model_name": "OutputModel", "state": {"outputs": [
            {"output_type": "display_data", "data": {"image/png": PNG + "2", "text/plain": "fig"}, "metadata": {}}]}},
    }}}
    return nb


def test_widgets_become_their_last_pictures():
    nb = _widget_notebook()
    assert bs.freeze_widgets(nb) == 1
    outs = nb.cells[0].outputs
    assert [o["data"].get("image/png") for o in outs[:2]] == [PNG, PNG + "2"]
    assert "iteration 200" in outs[2]["data"]["text/html"] and "when this cell ran" in outs[2]["data"]["text/html"]
    assert not any(bs.WIDGET_VIEW in o.get("data", {}) for o in outs)
    assert "widgets" not in nb.metadata, "no widget manager (and no CDN script) on a static page"
    assert nb.cells[1].outputs[0]["data"]["text/plain"] == "2"


def test_a_page_gets_its_links_after_the_title_cell():
    nb = _widget_notebook()
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("# 03 · A title"))
    out = bs.page(nb, "03_x.ipynb", True, "default", 125.0)
    assert out.cells[0].source == "# 03 · A title"
    assert "exercises/03_x.ipynb" in out.cells[1].source and "2 min 05 s" in out.cells[1].source
    assert "widgets" in nb.metadata, "the cached executed notebook is left as it was"


def test_a_widget_keeps_the_picture_of_its_own_cell():
    """The lab is shown in several cells: each page output is what the widget showed when that cell finished."""
    nb = _widget_notebook()
    nb.cells[0].outputs[0]["metadata"] = {bs.SNAPSHOT: {"images": ["EARLY"], "texts": ["iteration 10"]}}
    bs.freeze_widgets(nb)
    outs = nb.cells[0].outputs
    assert outs[0]["data"]["image/png"] == "EARLY" and "iteration 10" in outs[1]["data"]["text/html"]


def test_snapshots_are_taken_from_the_clients_widget_state():
    class Client:  # what nbclient's NotebookClient holds while it runs
        widget_state = {"img": {"_model_name": "ImageModel", "format": "png"}}
        widget_buffers = {"img": {("value",): {"path": ["value"], "encoding": "base64", "data": PNG}}}

        @staticmethod
        def _serialize_widget_state(state):
            return {"model_name": state["_model_name"], "state": {k: v for k, v in state.items() if k[0] != "_"}}

    cell = nbformat.v4.new_code_cell("lab")
    cell.outputs = [nbformat.v4.new_output("display_data", data={bs.WIDGET_VIEW: {"model_id": "img"}})]
    bs.snapshot_widgets(Client, cell)
    assert cell.outputs[0]["metadata"][bs.SNAPSHOT] == {"images": [PNG], "texts": []}
