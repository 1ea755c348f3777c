"""A real browser runs lesson notebooks in JupyterLab, moves their controls and sees the figures change.

Installs nothing: it needs Debian's chromium at /usr/bin/chromium and the ``playwright`` Python package (never
``playwright install``; the browser is Debian's). Without them it skips, with the reason, unless
``GANCOURSE_REQUIRE_BROWSER=1`` (set by .ci/run), which turns the skip into a failure.

What it does: start JupyterLab on 127.0.0.1 with a token, ``--allow-root``, Jupyter's config/data/runtime dirs
and the lab's settings/workspaces under a temporary folder and the news feed off; copy the notebook there (so
autosave never writes outputs into the repository); open it in headless chromium; wait until a kernel really
exists and is idle (the status bar reads "Idle" before there is one, so we ask the REST API /api/sessions); Run
All; wait until every code cell has an execution count and none errored. Then:

- lesson 00 (the lab): take a picture of the lab's figure, press the D-width slider's handle with the keyboard,
  and wait until the figure's pixels change; press play and see the iteration counter advance, then pause; save
  a screenshot of the page (to ``$GANCOURSE_ARTIFACTS`` or the test's tmp folder);
- lesson 03 (the D-strength explorer): change its controls one at a time and twice in quick succession, and time
  in the page (``performance.now()`` of the input event and of every change of the status line and the figure)
  the first feedback, the first redrawn figure and the final one; ``sliders_browser.json`` in the artifacts
  folder keeps the times (recorded in benchmarks/results/sliders_browser.md).

JupyterLab is killed by its PID at the end (with its process group: the kernel it started).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "notebooks" / "00_lab.ipynb"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REQUIRE = os.environ.get("GANCOURSE_REQUIRE_BROWSER", "") == "1"


def _missing() -> str | None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install playwright; no browser download needed)"
    return None


def _require_browser():
    reason = _missing()
    if reason:
        if REQUIRE:
            pytest.fail(f"GANCOURSE_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5.0):
    with urllib.request.urlopen(url, timeout=timeout) as r:  # only ever 127.0.0.1
        return json.loads(r.read().decode())


def _wait(what: str, check, timeout: float, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as e:  # the server may not be up yet
            last = e
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


@contextlib.contextmanager
def _jupyterlab(tmp_path: Path, notebook: Path):
    """JupyterLab on 127.0.0.1 with a copy of ``notebook`` in a temporary root; yields base URL, token, tmp."""
    _require_browser()
    root, home = tmp_path / "root", tmp_path / "jupyter"
    root.mkdir()
    for sub in ("config", "data", "runtime", "settings", "workspaces"):
        (home / sub).mkdir(parents=True)
    shutil.copy(notebook, root / notebook.name)
    # the news feed off and no update check: no pop-up covers the page, and nothing is fetched
    (home / "config" / "jupyter_server_config.json").write_text(json.dumps(
        {"LabApp": {"news_url": None, "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}}))
    # JupyterLab 4.6 still asks "Would you like to get notified about official Jupyter news?" with the feed off on
    # the server; the notification plugin's own setting (Never) stops the question. And render every cell (no
    # virtual scrolling), so that all prompts and outputs are in the page.
    settings = home / "settings" / "@jupyterlab"
    for plugin, values in (("apputils-extension/notification", {"fetchNews": "false", "checkForUpdates": False}),
                           ("notebook-extension/tracker", {"windowingMode": "none"})):
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ,
           "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "JUPYTER_PLATFORM_DIRS": "1",
           "GANCOURSE_BUDGET": "smoke", "GANCOURSE_PROGRESS": "0"}
    log = open(tmp_path / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", "--allow-root", f"--ServerApp.root_dir={root}",
         "--ServerApp.port_retries=0"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait("JupyterLab to answer", lambda: _get(f"{base}/api/status?token={token}"), timeout=90)
        yield {"base": base, "token": token, "tmp": tmp_path, "proc": proc, "notebook": notebook}
    finally:
        proc.terminate()  # by PID: the server shuts its kernels down on SIGTERM
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        try:  # whatever it started and left behind (a kernel) is in its process group
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        log.close()


@pytest.fixture
def jupyterlab(tmp_path):
    with _jupyterlab(tmp_path, NOTEBOOK) as lab:
        yield lab


@contextlib.contextmanager
def _chromium(tmp: Path):
    """Headless Debian chromium through playwright; yields a page (the context is closed at the end)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 1000})
        try:
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            page.set_default_timeout(60_000)
            yield page
        finally:
            ctx.close()


def _artifacts(tmp: Path) -> Path:
    out = Path(os.environ.get("GANCOURSE_ARTIFACTS") or tmp)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _open_and_run_all(page, lab: dict, timeout: float = 150):
    """Open the lab's notebook, wait for a real idle kernel, Run All, and fail if a cell did not run or erred."""
    base, token, notebook = lab["base"], lab["token"], lab["notebook"]
    n_code = sum(c["cell_type"] == "code" for c in json.loads(notebook.read_text())["cells"])
    page.goto(f"{base}/lab/tree/{notebook.name}?token={token}")
    page.locator(".jp-Notebook").first.wait_for()

    # a real kernel: a session for our notebook whose kernel reports idle (the UI says Idle before that)
    def kernel_idle():
        sessions = _get(f"{base}/api/sessions?token={token}")
        return [s for s in sessions if s["path"].endswith(notebook.name)
                and s["kernel"]["execution_state"] == "idle"]
    _wait("the notebook's kernel to start and go idle", kernel_idle, timeout=90)
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(timeout=30_000)

    # Run All, from the Run menu
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()

    def all_ran():
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_text_contents()
        done = [t for t in prompts if re.search(r"\[\d+\]", t)]
        return len(prompts) == n_code and len(done) == n_code
    try:
        _wait("every cell to run", all_ran, timeout=timeout, interval=0.5)
    except AssertionError:
        page.screenshot(path=str(_artifacts(lab["tmp"]) / f"browser_{notebook.stem}_failed.png"), full_page=True)
        raise AssertionError("not every cell ran; prompts: "
                             f"{page.locator('.jp-CodeCell .jp-InputPrompt').all_text_contents()}") from None
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
                          ".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
    assert errors.count() == 0, "a cell failed:\n" + "\n".join(errors.all_inner_texts())[:3000]


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _iteration(page) -> int:
    text = page.locator(".widget-html").filter(has_text="iteration").first.inner_text()
    return int(re.search(r"iteration (\d+)", text).group(1))


def test_lab_notebook_in_a_real_browser(jupyterlab):
    artifacts = _artifacts(jupyterlab["tmp"])
    with _chromium(jupyterlab["tmp"]) as page:
        _open_and_run_all(page, jupyterlab)

        # the lab's figure, as the browser shows it
        image = page.locator("img.widget-image").first
        image.scroll_into_view_if_needed()
        _wait("the lab's figure to load", lambda: image.evaluate("img => img.complete && img.naturalWidth > 0"),
              timeout=30)
        before = _pixels(image.screenshot())

        # move the D width slider one notch with the keyboard (64 -> 32): D is rebuilt, the figure redrawn
        slider = page.locator(".widget-slider", has=page.locator("label", has_text="D width")).first
        readout = slider.locator(".widget-readout")
        old_width = readout.inner_text()
        slider.locator(".noUi-handle").first.focus()
        page.keyboard.press("ArrowLeft")
        _wait("the slider's value to change", lambda: readout.inner_text() != old_width, timeout=20)

        def figure_changed():
            now = _pixels(image.screenshot())
            return now.shape == before.shape and np.abs(now - before).mean() > 1.0
        _wait("the figure to change after the slider moved", figure_changed, timeout=60, interval=0.5)
        assert _iteration(page) == 0, "a width change rebuilds the networks and restarts the count"

        # play runs in the background and keeps the page live; pause stops it
        page.locator("button.widget-button", has_text="play").first.click()
        _wait("play to advance the iteration counter", lambda: _iteration(page) >= 20, timeout=60)
        page.locator("button.widget-button", has_text="pause").first.click()
        _wait("pause to stop the loop", lambda: page.locator("button.widget-button", has_text="play").first
              .is_enabled(), timeout=30)
        stopped = _iteration(page)
        time.sleep(1.0)
        assert _iteration(page) == stopped, "the counter should stand still after pause"

        assert page.get_by_text("official Jupyter news").count() == 0, "the news pop-up should be off"
        shot = artifacts / "browser_lab.png"
        image.scroll_into_view_if_needed()
        page.screenshot(path=str(shot))
        print(f"screenshot: {shot}")
        assert shot.stat().st_size > 10_000


STRENGTH = REPO / "notebooks" / "03_js_saturation.ipynb"
# The moves timed on lesson 03's explorer, each one notch from where the lesson leaves it (width 128, lr 3e-3,
# 300 D steps): (control, value chosen, what it shows). GANCOURSE_SLIDER_TIMING=full adds the 3000-step moves
# (what benchmarks/results/sliders_browser.md records); CI runs the short list.
MOVES = [("D width", "64", "300 D steps")]
MOVES_FULL = MOVES + [("D steps (G fixed)", "1000", "1000 D steps"), ("D steps (G fixed)", "3000", "3000 D steps"),
                      ("D width", "32", "3000 D steps, narrower D")]
# Two moves 0.2 s apart: only the last one matters. The first asks for 3000 D steps (7.5-8.4 s of kernel CPU here, 10x the
# second), so that it is still running when the second comes on any machine; two cheap moves (width 16, then 8) were
# not a test of that on a faster CPU, where the first finished in under 0.3 s, before the second arrived.
RAPID = [("D steps (G fixed)", "3000"), ("D steps (G fixed)", "300")]
RAPID_FULL = [("D width", "16"), ("D width", "8")]  # after MOVES_FULL (at 3000 steps already): 3000 steps each
FINAL = re.compile(r"^after \d+ D steps")      # the status line once a computation is complete


def _explorer_notebook(folder: Path) -> Path:
    """Lesson 03's explorer as the lesson builds it: its imports cell, its data, the explorer cell and the cell
    that drives it from code (the rest of the lesson, which nbval runs, is left out to save a minute)."""
    import nbformat

    lesson = nbformat.read(STRENGTH, as_version=4)
    code = [c.source for c in lesson.cells if c.cell_type == "code"]
    imports = next(c for c in code if "import gancourse as gc" in c)
    data = next(line for c in code for line in c.splitlines() if line.startswith("data = "))
    explorer = next(c for c in code if "DStrengthExplorer(" in c and "display(" in c)
    driven = next(c for c in code if "explorer.set(" in c)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in (imports, data, explorer, driven)],
                                  metadata={"kernelspec": lesson.metadata["kernelspec"]})  # else Lab asks for one
    path = folder / "03_explorer.ipynb"
    nbformat.write(nb, path)
    return path


# In the page: timestamp (performance.now(), ms) every change of the explorer's status line or figure, and every
# input event (a key press on a slider, a choice in a menu) inside the explorer.
_INSTRUMENT = """root => {
  const st = {events: [], inputs: []};
  window.__gcTiming = st;
  const hash = s => { let h = 0; for (let i = 0; i < s.length; i += 7) h = (h * 31 + s.charCodeAt(i)) | 0;
                      return s.length + ':' + h; };
  let last = null;
  const record = () => {
    const status = root.querySelector(':scope > .widget-html'), img = root.querySelector('.widget-output img');
    const cur = {status: status ? status.textContent.trim() : '', src: img ? hash(img.src) : ''};
    if (!last || cur.status !== last.status || cur.src !== last.src) {
      st.events.push({t: performance.now(), ...cur});
      last = cur;
    }
  };
  new MutationObserver(record).observe(root, {subtree: true, childList: true, attributes: true, characterData: true});
  for (const type of ['keydown', 'change']) root.addEventListener(type, () => st.inputs.push(performance.now()), true);
  record();
}"""


def _choose(root, label: str, value: str):
    """Set the explorer's control ``label`` to ``value`` as a user does: pick it from the menu, or (a slider) press
    the arrow key towards it once."""
    menu = root.locator(".widget-dropdown", has=root.page.locator("label", has_text=label))
    if menu.count():
        menu.locator("select").select_option(label=value)
        return
    slider = root.locator(".widget-slider", has=root.page.locator("label", has_text=label)).first
    readout = slider.locator(".widget-readout")
    now = float(readout.inner_text())
    slider.locator(".noUi-handle").first.focus()
    root.page.keyboard.press("ArrowRight" if float(value) > now else "ArrowLeft")
    _wait(f"{label} to read {value}", lambda: readout.inner_text() == value, timeout=20)


def _timing(events: list[dict], t_in: float) -> dict:
    """From the page's record: ms from the input at ``t_in`` to the first visible change, the first new figure and
    the final figure (the first complete status after an incomplete one), and how many computations completed."""
    before = [e for e in events if e["t"] <= t_in][-1]
    after = [e for e in events if e["t"] > t_in]
    feedback = next((e["t"] for e in after if (e["status"], e["src"]) != (before["status"], before["src"])), None)
    figure = next((e["t"] for e in after if e["src"] != before["src"]), None)
    finals, busy = [], False
    for e in after:
        if not FINAL.match(e["status"]):
            busy = True
        elif busy:
            finals.append(e["t"])
            busy = False
    ms = lambda t: None if t is None else round(t - t_in)  # noqa: E731
    return {"feedback_ms": ms(feedback), "first_figure_ms": ms(figure), "final_ms": ms(finals[-1] if finals else None),
            "completed": len(finals)}


def _kernel_cpu(lab: dict) -> float:
    """CPU seconds used so far by the kernel JupyterLab started (a child of the server; Linux /proc)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == lab["proc"].pid and b"ipykernel" in cmdline:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    return total


def _settled(page, quiet: float) -> bool:
    """Something changed after the last input, the status is complete, and nothing has changed for ``quiet`` s."""
    st = page.evaluate("() => ({last: window.__gcTiming.events.slice(-1)[0], now: performance.now(),"
                       " input: window.__gcTiming.inputs.slice(-1)[0] || 0})")
    last = st["last"]
    return last["t"] > st["input"] and bool(FINAL.match(last["status"])) and st["now"] - last["t"] > 1000 * quiet


@pytest.fixture
def jupyterlab_strength(tmp_path):
    with _jupyterlab(tmp_path, _explorer_notebook(tmp_path)) as lab:
        yield lab


def test_strength_sliders_give_feedback_and_drop_stale_work(jupyterlab_strength):
    """Lesson 03's D-strength explorer in JupyterLab: time each move from the input event to the first visible
    feedback, the first redrawn figure and the final figure, with the kernel's CPU time (recorded in
    benchmarks/results/sliders_browser.md); two quick moves must leave only the last computation to finish."""
    lab = jupyterlab_strength
    artifacts = _artifacts(lab["tmp"])
    rows = []
    with _chromium(lab["tmp"]) as page:
        _open_and_run_all(page, lab, timeout=120)
        root = page.locator(".widget-vbox").filter(has=page.locator(".widget-output img")).last
        root.scroll_into_view_if_needed()
        root.evaluate(_INSTRUMENT)
        _wait("the explorer to be idle", lambda: _settled(page, 0.5), timeout=60)
        for label, value, what in MOVES_FULL if os.environ.get("GANCOURSE_SLIDER_TIMING") == "full" else MOVES:
            n_in, cpu = page.evaluate("() => window.__gcTiming.inputs.length"), _kernel_cpu(lab)
            _choose(root, label, value)
            _wait(f"the figure after {label} = {value}", lambda: _settled(page, 1.0), timeout=120, interval=0.2)
            rec = page.evaluate("() => window.__gcTiming")
            rows.append({"move": f"{label} -> {value}", "what": what, **_timing(rec["events"], rec["inputs"][n_in]),
                         "kernel_cpu_s": round(_kernel_cpu(lab) - cpu, 2)})
        n_in, cpu = page.evaluate("() => window.__gcTiming.inputs.length"), _kernel_cpu(lab)
        rapid = RAPID_FULL if os.environ.get("GANCOURSE_SLIDER_TIMING") == "full" else RAPID
        for label, value in rapid:
            _choose(root, label, value)
            time.sleep(0.2)
        _wait("the figure after two quick moves", lambda: _settled(page, 3.0), timeout=240, interval=0.2)
        rec = page.evaluate("() => window.__gcTiming")
        kernel_cpu = round(_kernel_cpu(lab) - cpu, 2)
        t_first, t_last = rec["inputs"][n_in], rec["inputs"][-1]
        quick = _timing(rec["events"], t_last)
        done_before_second = _timing(rec["events"], t_first)["completed"] - quick["completed"]
        quick["completed"] = _timing(rec["events"], t_first)["completed"]
        rows.append({"move": " then ".join(f"{lbl} -> {v}" for lbl, v in rapid), "what": "two moves 0.2 s apart",
                     **quick, "kernel_cpu_s": kernel_cpu})
        page.screenshot(path=str(artifacts / "browser_strength.png"))
    record = {"load_average": os.getloadavg(), "cpus": os.cpu_count(), "rows": rows}
    (artifacts / "sliders_browser.json").write_text(json.dumps(record, indent=1))
    print("| move | what | first feedback ms | first figure ms | final figure ms | computations completed | "
          "kernel CPU s |")
    for r in rows:
        print(f"| {r['move']} | {r['what']} | {r['feedback_ms']} | {r['first_figure_ms']} | {r['final_ms']} | "
              f"{r['completed']} | {r['kernel_cpu_s']} |")
    # The status line changes in the handler of the change, so a lone change shows within a few tens of ms (the
    # target is 0.3 s; a loaded 2-core CI machine gets 1 s). A change that arrives while a picture is being drawn
    # waits for that drawing (about 0.2 s of CPU; up to a second of wall time under CI's load), never for the
    # computation it supersedes (10-20 s before the explorer trained in the background).
    slow = [r for r in rows[:-1] if r["feedback_ms"] is None or r["feedback_ms"] > 1000]
    assert not slow, f"a change showed nothing for over a second: {slow}"
    assert rows[-1]["feedback_ms"] is not None and rows[-1]["feedback_ms"] < 3000, rows[-1]
    # The test's premise, not the claim: the first computation was still running when the second move came.
    assert done_before_second == 0, f"the first quick move finished before the second came: {rows[-1]}"
    assert rows[-1]["completed"] == 1, f"the stale computation of a superseded change was finished: {rows[-1]}"


def test_the_rendered_course_in_a_browser(built_site, tmp_path):
    """The built site (tests/conftest.py: lesson 02 at smoke): open its index from disk, follow the link to the
    lesson, and see one of its figures drawn."""
    _require_browser()
    with _chromium(tmp_path) as page:
        page.goto((built_site["html"] / "index.html").as_uri())
        page.locator(".bd-article a[href='notebooks/02_optimal_discriminator.html']").first.click()
        page.wait_for_url("**/notebooks/02_optimal_discriminator.html")
        figure = page.locator(".bd-article img[src*='_images/']").first
        figure.scroll_into_view_if_needed()
        _wait("a figure to be drawn", lambda: figure.evaluate("img => img.complete && img.naturalWidth > 100"),
              timeout=30)
        assert page.locator(".bd-article").inner_text().count("Run this lesson") == 1
        page.screenshot(path=str(_artifacts(tmp_path) / "browser_site.png"))


def test_a_missing_browser_is_named(monkeypatch):
    """The skip (or, with GANCOURSE_REQUIRE_BROWSER=1, the failure) says what is missing and how to get it."""
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", "/nonexistent/chromium")
    assert "apt-get install chromium" in _missing()
