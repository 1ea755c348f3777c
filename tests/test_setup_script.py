"""scripts/setup.sh takes the CPU build of torch from PyTorch's CPU index when it answers, and falls back to pip's
configured registry when it does not; both paths offline, with fake indexes and a fake, tiny torch.

The fakes: a "public registry" (PEP 503 folder) whose torch 2.13.0 reports a CUDA build, as PyPI's Linux wheel
does, and a "CPU index" with torch 2.13.0+cpu. pip reads nothing else: no config files, no find-links.
"""
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


spec = importlib.util.spec_from_file_location("fake_wheel", Path(__file__).with_name("fake_wheel.py"))
fake_wheel = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fake_wheel)


def _torch(folder: Path, version: str, cuda: str | None) -> Path:
    """A fake torch that only knows its version and build."""
    return fake_wheel.make_wheel(folder, "torch", version, {
        "torch/__init__.py": f"__version__ = {version!r}\nfrom . import version, cuda\n",
        "torch/version.py": f"cuda = {cuda!r}\n",
        "torch/cuda.py": "def is_available():\n    return False\n"})


def _index(root: Path, wheels: list[Path]) -> str:
    """A PEP 503 simple index in a folder, serving ``wheels`` as the project torch; returns its file:// URL."""
    page = root / "torch"
    page.mkdir(parents=True)
    links = []
    for w in wheels:
        shutil.copy(w, page / w.name)
        links.append(f'<a href="{w.name}">{w.name}</a>')
    (page / "index.html").write_text("<!DOCTYPE html><html><body>\n" + "\n".join(links) + "\n</body></html>\n")
    (root / "index.html").write_text('<!DOCTYPE html><html><body><a href="torch/">torch</a></body></html>\n')
    return root.as_uri()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A copy of the course's set-up script in a tiny project: requirements.txt pins torch==2.13.0 only."""
    tmp = tmp_path_factory.mktemp("setup")
    repo = tmp / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "setup.sh", repo / "scripts" / "setup.sh")
    (repo / "requirements.txt").write_text("torch==2.13.0\n")
    (repo / "gancourse").mkdir()
    (repo / "gancourse" / "__init__.py").write_text('__version__ = "0.0.test"\n')
    (repo / "_backend").mkdir()  # its build backend: tests/fake_wheel.py (nothing to fetch for `pip install -e .`)
    shutil.copy(Path(__file__).with_name("fake_wheel.py"), repo / "_backend" / "fake_wheel.py")
    (repo / "pyproject.toml").write_text('[build-system]\nrequires = []\nbuild-backend = "fake_wheel"\n'
                                         'backend-path = ["_backend"]\n')
    wheels = tmp / "wheels"
    public = _index(tmp / "public", [_torch(wheels / "cuda", "2.13.0", "12.8")])
    cpu = _index(tmp / "cpu", [_torch(wheels / "cpu", "2.13.0+cpu", None)])
    return {"repo": repo, "public": public, "cpu": cpu, "tmp": tmp}


def _run(course, venv: str, index: str, timeout: str = "5"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL=course["public"],
               GANCOURSE_VENV=venv, GANCOURSE_TORCH_INDEX=index, GANCOURSE_TORCH_INDEX_TIMEOUT=timeout,
               PYTHON=sys.executable)
    out = subprocess.run(["bash", "scripts/setup.sh"], cwd=course["repo"], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_the_cpu_index_gives_the_cpu_build(course):
    out = _run(course, "venv-cpu", course["cpu"])
    assert "PyTorch's CPU index answers" in out
    assert "torch 2.13.0+cpu: the CPU build" in out
    assert "environment: " in out and "in venv-cpu" in out


def _silent_server():
    """A TCP port that accepts connections and never answers (an index that hangs)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                pass
    threading.Thread(target=accept, daemon=True).start()
    return srv, stop, held


def test_an_index_that_does_not_answer_falls_back_to_the_configured_registry(course):
    srv, stop, held = _silent_server()
    try:
        port = srv.getsockname()[1]
        out = _run(course, "venv-fallback", f"http://127.0.0.1:{port}/whl/cpu", timeout="1")
    finally:
        stop.set()
        for c in held:
            c.close()
        srv.close()
    assert "did not answer (waited up to 1 s)" in out
    # the configured registry's torch is the CUDA build: the script says so, and how to get the CPU one
    assert "torch 2.13.0: a CUDA 12.8 build (with its GPU libraries)" in out
    assert "--index-url https://download.pytorch.org/whl/cpu torch==2.13.0" in out
