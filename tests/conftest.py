import os

# Not MPLBACKEND: the environment reaches the notebooks' kernels, which must keep the inline backend so that
# nbval draws every figure (a figure that fails to draw fails its cell). Agg is set for this process only.
os.environ.setdefault("GANCOURSE_PROGRESS", "0")

import matplotlib  # noqa: E402
import pytest  # noqa: E402

matplotlib.use("Agg")


@pytest.fixture
def one_thread():
    """Tiny models run fastest on one CPU thread, and a shared CPU makes several threads spin against each other.
    Use it per module: ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(autouse=True)
def _forget_the_lesson_device():
    """gc.lesson_start declares the lesson's device for the whole process, and the budget follows it: a test that
    calls it (the bad-input table does) must not decide the budget of the tests that run after it in the worker."""
    yield
    from gancourse import config

    config.set_lesson_device(None)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The rendered course for one lesson (02) at the smoke budget, built once per session by
    scripts/build_site.py (used by tests/test_site.py and the browser test). Skips without jupyter-book, unless
    GANCOURSE_REQUIRE_SITE=1 (set by .ci/run)."""
    import shutil
    import subprocess
    import sys
    import time
    from pathlib import Path

    jb = shutil.which("jupyter-book", path=str(Path(sys.executable).parent))
    if jb is None:
        reason = "jupyter-book is not installed (pip install -r requirements-docs.txt)"
        if os.environ.get("GANCOURSE_REQUIRE_SITE") == "1":
            pytest.fail(f"GANCOURSE_REQUIRE_SITE=1 but {reason}")
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("site")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve().parent.parent / "scripts" / "build_site.py"),
                           "--only", "02", "--budget", "smoke", "--out", str(out)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {"html": out / "html", "log": proc.stdout, "seconds": time.perf_counter() - start}
