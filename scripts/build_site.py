"""Build the rendered course: every lesson executed, with its outputs, as a static site (jupyter-book 1.x).

    bash scripts/build_site.sh                   # the one command: set-up, docs requirements, then this script
    python scripts/build_site.py                 # every lesson at GANCOURSE_BUDGET (default: default)
    python scripts/build_site.py --only 02 03 --budget smoke --out /tmp/site

Steps: copy ``book/_config.yml`` and ``book/intro.md`` (with the list of lessons) into a staging folder
(``<out>/src``); execute each lesson notebook there with nbclient on a fresh kernel, in the lesson folder, at the
chosen budget, recording after each cell what its widgets show; turn every widget into the picture it showed when
its cell finished (its images and its status line: a static page has no kernel to drive the controls); put a line of links at the top of each
page (Colab, Binder, and the exercise version when there is one); then ``jupyter-book build``. The HTML lands in
``<out>/html`` (``index.html`` is the list of lessons).

Executed notebooks are cached in ``<out>/cache``, keyed by the notebook's content, the budget and the package's
code: a rebuild after a change to one lesson executes only that lesson. ``--jobs`` runs that many lessons at once.
A lesson that fails stops the build (``--allow-errors`` keeps going and shows the errors on the page).
"""
from __future__ import annotations

import argparse
import base64
import concurrent.futures
import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "_build" / "site"
REPO = "gancourse/gancourse"
BRANCH = "main"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def lessons(only: list[str] | None = None) -> list[Path]:
    found = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if only:
        found = [p for p in found if any(p.name.startswith(o) for o in only)]
        if not found:
            raise SystemExit(f"no lesson matches {only}")
    return found


def title(nb) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, re.M)
            if m:
                return m.group(1).strip()
    return "untitled"


# ------------------------------------------------------------------ links
def links(name: str, has_exercises: bool) -> str:
    """The line of links at the top of a lesson's page."""
    colab = f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/notebooks"
    binder = f"https://mybinder.org/v2/gh/{REPO}/{BRANCH}?urlpath=lab/tree/notebooks"
    parts = [f"**Run this lesson:** [Colab]({colab}/{name}) · [Binder]({binder}/{name})"]
    if has_exercises:
        parts.append(f"**Exercise version:** [Colab]({colab}/exercises/{name}) · [Binder]({binder}/exercises/{name}) · "
                     f"[notebook](https://github.com/{REPO}/blob/{BRANCH}/notebooks/exercises/{name})")
    else:
        parts.append("no exercises in this lesson")
    return " | ".join(parts)


# ------------------------------------------------------------------ widgets -> pictures
def _model(states: dict, ref: str) -> dict | None:
    return states.get(ref.removeprefix("IPY_MODEL_")) if isinstance(ref, str) else None


def widget_content(states: dict, model_id: str, _seen=None) -> tuple[list[str], list[str]]:
    """(PNG images as base64, HTML/label texts) shown by a widget and its children, in display order."""
    seen = set() if _seen is None else _seen
    if model_id in seen or model_id not in states:
        return [], []
    seen.add(model_id)
    model = states[model_id]
    name, state = model.get("model_name", ""), model.get("state", {})
    images, texts = [], []
    if name == "ImageModel" and state.get("format", "png") == "png":
        for buf in model.get("buffers", []):
            if buf.get("path") == ["value"] and buf.get("encoding", "base64") == "base64":
                images.append(buf["data"])
    elif name == "OutputModel":
        for out in state.get("outputs", []):
            data = out.get("data", {})
            if "image/png" in data:
                images.append(data["image/png"].replace("\n", ""))
            elif WIDGET_VIEW in data:
                i, t = widget_content(states, data[WIDGET_VIEW].get("model_id", ""), seen)
                images += i
                texts += t
    elif name in ("HTMLModel", "LabelModel") and state.get("value"):
        texts.append(str(state["value"]))
    for child in state.get("children", []):
        ref = child.removeprefix("IPY_MODEL_") if isinstance(child, str) else None
        if ref:
            i, t = widget_content(states, ref, seen)
            images += i
            texts += t
    return images, texts


SNAPSHOT = "gancourse_widget_snapshot"  # output metadata: what a widget showed when its cell finished


def snapshot_widgets(client, cell) -> None:
    """nbclient hook (after each cell): record in each widget output what the widget shows now, so that a widget
    displayed several times (the lab in lesson 00) keeps the picture of each moment, not only the last one."""
    views = [o for o in cell.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]
    if not views:
        return
    states = {mid: {**client._serialize_widget_state(st), "buffers": list(client.widget_buffers.get(mid, {}).values())}
              for mid, st in client.widget_state.items() if "_model_name" in st}
    for out in views:
        images, texts = widget_content(states, out["data"][WIDGET_VIEW].get("model_id", ""))
        out.setdefault("metadata", {})[SNAPSHOT] = {"images": images, "texts": texts}


def freeze_widgets(nb) -> int:
    """Replace every widget view in ``nb`` by the pictures (and status lines) it showed when its cell finished
    (or, without that record, at the end of the run); return how many."""
    states = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    frozen = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW) if out.get("output_type") in ("display_data",
                                                                                      "execute_result") else None
            if view is None:
                outputs.append(out)
                continue
            snap = out.get("metadata", {}).get(SNAPSHOT)
            images, texts = (snap["images"], snap["texts"]) if snap else widget_content(states, view.get("model_id", ""))
            frozen += 1
            for png in images:
                outputs.append(nbformat.v4.new_output("display_data", data={
                    "image/png": png, "text/plain": "<the widget's picture>"}))
            status = "".join(f"<div>{t}</div>" for t in texts if t.strip())
            note = ("<p><em>Interactive controls: this is what they showed when this cell ran, as the page was built. "
                    "Run the lesson (Colab, Binder or your machine) to use them.</em></p>")
            outputs.append(nbformat.v4.new_output("display_data", data={
                "text/html": status + note, "text/plain": "(widget: static picture)"}))
        cell.outputs = outputs
    nb.metadata.pop("widgets", None)  # no widget manager on a static page (it would fetch its code from a CDN)
    return frozen


# ------------------------------------------------------------------ execution
def package_hash() -> str:
    h = hashlib.sha256()
    for p in sorted((ROOT / "gancourse").rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(ROOT)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def execute(path: Path, budget: str, cache: Path, pkg: str, timeout: int, allow_errors: bool) -> tuple[object, float, bool]:
    """The executed notebook (from the cache when nothing changed), the seconds it took, whether it was cached."""
    raw = path.read_bytes()
    key = hashlib.sha256(raw + budget.encode() + pkg.encode()).hexdigest()[:20]
    cached = cache / f"{path.stem}.{key}.ipynb"
    if cached.exists():
        nb = nbformat.read(cached, as_version=4)
        return nb, float(nb.metadata.get("gancourse_site", {}).get("seconds", 0.0)), True
    from nbclient import NotebookClient

    nb = nbformat.reads(raw.decode(), as_version=4)
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=allow_errors,
                            store_widget_state=True, resources={"metadata": {"path": str(path.parent)}})
    client.on_cell_executed = lambda cell, **_: snapshot_widgets(client, cell)
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata["gancourse_site"] = {"budget": budget, "seconds": round(seconds, 1)}
    cache.mkdir(parents=True, exist_ok=True)
    for old in cache.glob(f"{path.stem}.*.ipynb"):
        old.unlink()
    nbformat.write(nb, cached)
    return nb, seconds, False


def _duration(seconds: float) -> str:
    s = round(seconds)
    return f"{s} s" if s < 60 else f"{s // 60} min {s % 60:02d} s"


def page(nb, name: str, has_exercises: bool, budget: str, seconds: float) -> object:
    """The page's notebook: widgets frozen, the line of links (and how it was executed) after the title cell."""
    nb = copy.deepcopy(nb)
    freeze_widgets(nb)
    header = (f"{links(name, has_exercises)}\n\n*Executed for this page at the `{budget}` budget "
              f"({_duration(seconds)}, CPU).*")
    at = 1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0
    nb.cells.insert(at, nbformat.v4.new_markdown_cell(header))
    for cell in nb.cells:  # ids of the inserted cell: nbformat 4.5 needs them unique
        cell.setdefault("id", hashlib.sha1(cell.source.encode()).hexdigest()[:8])
        if cell.cell_type == "markdown":  # the closing page sits at the site's root, not under docs/
            cell.source = cell.source.replace("](../docs/further.md)", "](../further.md)")
            cell.source = cell.source.replace("](exercises/", f"](https://github.com/{REPO}/blob/{BRANCH}/notebooks/exercises/")
    return nb


def build(only, budget: str, out: Path, jobs: int, timeout: int, allow_errors: bool, jupyter_book: str) -> Path:
    paths = lessons(only)
    src, cache, html = out / "src", out / "cache", out / "html"
    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    shutil.copy(ROOT / "book" / "_config.yml", src / "_config.yml")
    pkg = package_hash()
    os.environ["GANCOURSE_BUDGET"] = budget  # the kernels inherit this process's environment
    os.environ["GANCOURSE_PROGRESS"] = "0"   # no progress bars on the pages

    def run(path):
        nb, seconds, cached = execute(path, budget, cache, pkg, timeout, allow_errors)
        print(f"{path.name}: {'cached' if cached else 'executed'} ({_duration(seconds)})", flush=True)
        return path, nb, seconds

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        done = list(pool.map(run, paths))
    entries = []
    for path, nb, seconds in done:
        has_ex = (ROOT / "notebooks" / "exercises" / path.name).exists()
        nbformat.write(page(nb, path.name, has_ex, budget, seconds), src / "notebooks" / path.name)
        exercise = (f" ([exercise version](https://github.com/{REPO}/blob/{BRANCH}/notebooks/exercises/{path.name}))"
                    if has_ex else "")
        entries.append(f"- [{title(nb)}](notebooks/{path.name}){exercise}")
    note = f"at the `{budget}` budget, on the CPU"
    (src / "intro.md").write_text((ROOT / "book" / "intro.md").read_text()
                                  .replace("{budget_note}", note).replace("{lessons}", "\n".join(entries)))
    shutil.copy(ROOT / "docs" / "further.md", src / "further.md")  # the course's closing page: where it stops
    toc = {"format": "jb-book", "root": "intro",
           "chapters": [{"file": f"notebooks/{p.stem}"} for p, _, _ in done] + [{"file": "further"}]}
    (src / "_toc.yml").write_text(json.dumps(toc, indent=1) + "\n")  # JSON is YAML
    cmd = [jupyter_book, "build", str(src), "--path-output", str(out / "jb"), "--builder", "html", "--all"]
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    if html.exists():
        shutil.rmtree(html)
    shutil.copytree(out / "jb" / "_build" / "html", html)
    print(f"the site: {html / 'index.html'}")
    return html


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", help="lesson numbers or name prefixes (default: every lesson)")
    ap.add_argument("--budget", default=os.environ.get("GANCOURSE_BUDGET") or "default",
                    choices=["smoke", "default", "full"])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--jobs", type=int, default=1, help="lessons executed at once")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    ap.add_argument("--allow-errors", action="store_true", help="show a failing cell's error instead of stopping")
    args = ap.parse_args(argv)
    jb = shutil.which("jupyter-book", path=str(Path(sys.executable).parent)) or shutil.which("jupyter-book")
    if jb is None:
        raise SystemExit("jupyter-book is not installed: pip install -r requirements-docs.txt")
    build(args.only, args.budget, args.out, args.jobs, args.timeout, args.allow_errors, jb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
