"""A real browser runs the lab notebook in JupyterLab, moves a slider and sees the figure change.

Installs nothing: it needs Debian's chromium at /usr/bin/chromium and the ``playwright`` Python package (never
``playwright install``; the browser is Debian's). Without them it skips, with the reason, unless
``GANCOURSE_REQUIRE_BROWSER=1`` (set by .ci/run), which turns the skip into a failure.

What it does: start JupyterLab on 127.0.0.1 with a token, ``--allow-root``, Jupyter's config/data/runtime dirs
and the lab's settings/workspaces under a temporary folder and the news feed off; copy notebooks/00_lab.ipynb
there (so autosave never writes outputs into the repository); open it in headless chromium; wait until a kernel
really exists and is idle (the status bar reads "Idle" before there is one, so we ask the REST API
/api/sessions); Run All; wait until every code cell has an execution count and none errored; take a picture of
the lab's figure, press the D-width slider's handle with the keyboard, and wait until the figure's pixels change;
press play and see the iteration counter advance, then pause; save a screenshot of the page (to
``$GANCOURSE_ARTIFACTS`` or the test's tmp folder). JupyterLab is killed by its PID at the end (with its
process group: the kernel it started).
"""
from __future__ import annotations

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


@pytest.fixture
def jupyterlab(tmp_path):
    reason = _missing()
    if reason:
        if REQUIRE:
            pytest.fail(f"GANCOURSE_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    root, home = tmp_path / "root", tmp_path / "jupyter"
    root.mkdir()
    for sub in ("config", "data", "runtime", "settings", "workspaces"):
        (home / sub).mkdir(parents=True)
    shutil.copy(NOTEBOOK, root / NOTEBOOK.name)
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
        yield {"base": base, "token": token, "tmp": tmp_path, "proc": proc}
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


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _iteration(page) -> int:
    text = page.locator(".widget-html").filter(has_text="iteration").first.inner_text()
    return int(re.search(r"iteration (\d+)", text).group(1))


def test_lab_notebook_in_a_real_browser(jupyterlab):
    from playwright.sync_api import sync_playwright

    base, token, tmp = jupyterlab["base"], jupyterlab["token"], jupyterlab["tmp"]
    n_code = sum(c["cell_type"] == "code" for c in json.loads(NOTEBOOK.read_text())["cells"])
    artifacts = Path(os.environ.get("GANCOURSE_ARTIFACTS") or tmp)
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 1000})
        try:
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}")
            page.locator(".jp-Notebook").first.wait_for()

            # a real kernel: a session for our notebook whose kernel reports idle (the UI says Idle before that)
            def kernel_idle():
                sessions = _get(f"{base}/api/sessions?token={token}")
                return [s for s in sessions if s["path"].endswith(NOTEBOOK.name)
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
                _wait("every cell to run", all_ran, timeout=150, interval=0.5)
            except AssertionError:
                page.screenshot(path=str(artifacts / "browser_lab_failed.png"), full_page=True)
                raise AssertionError("not every cell ran; prompts: "
                                     f"{page.locator('.jp-CodeCell .jp-InputPrompt').all_text_contents()}") from None
            errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'], "
                                  ".jp-RenderedText[data-mime-type='application/vnd.jupyter.error']")
            assert errors.count() == 0, "a cell failed:\n" + "\n".join(errors.all_inner_texts())[:3000]

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
        finally:
            ctx.close()


def test_a_missing_browser_is_named(monkeypatch):
    """The skip (or, with GANCOURSE_REQUIRE_BROWSER=1, the failure) says what is missing and how to get it."""
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", "/nonexistent/chromium")
    assert "apt-get install chromium" in _missing()
