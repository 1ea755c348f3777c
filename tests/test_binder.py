"""binder/ stays consistent with the course's requirements (offline; scripts/check_binder.sh does the real install)."""
import os
import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"


def _requirements(path: Path) -> tuple[dict, list]:
    reqs, options = {}, []
    for line in path.read_text().splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            options.append(line)
            continue
        r = Requirement(line)
        reqs[canonicalize_name(r.name)] = r
    return reqs, options


def test_binder_pins_what_requirements_txt_pins():
    main, _ = _requirements(ROOT / "requirements.txt")
    binder, _ = _requirements(BINDER / "requirements.txt")
    assert set(main) <= set(binder), f"binder/requirements.txt lacks {sorted(set(main) - set(binder))}"
    for name, r in main.items():
        assert binder[name].specifier == r.specifier, (
            f"{name}: requirements.txt says {r.specifier}, binder/requirements.txt says {binder[name].specifier}")


def test_binder_gets_the_cpu_torch_build():
    binder, options = _requirements(BINDER / "requirements.txt")
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in options
    (spec,) = binder["torch"].specifier
    assert spec.operator == "==", "torch is pinned: a range would pull a multi-GB CUDA build"
    assert spec.contains(spec.version + "+cpu"), "the CPU index's local version must satisfy the pin"


def test_binder_covers_the_package_dependencies():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    binder, _ = _requirements(BINDER / "requirements.txt")
    for dep in deps:
        r = Requirement(dep)
        name = canonicalize_name(r.name)
        assert name in binder, f"binder/requirements.txt lacks the package dependency {r.name}"
        pinned = [s.version for s in binder[name].specifier if s.operator == "=="]
        if pinned:  # a pin must satisfy the package's own range
            assert r.specifier.contains(pinned[0]), f"{name}=={pinned[0]} is outside the package's {r.specifier}"


def test_postbuild_installs_the_package_without_touching_torch():
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK), "binder/postBuild must be executable"
    text = post.read_text()
    assert text.startswith("#!"), "binder/postBuild needs a shebang"
    assert re.search(r"^pip install --no-deps -e \.$", text, re.M), "postBuild installs the package, no deps"


def test_binder_runtime_matches_the_package():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    m = re.fullmatch(r"python-3\.(\d+)", runtime)
    assert m, f"runtime.txt must read python-3.X, got {runtime!r}"
    low = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert Requirement(f"python{low}").specifier.contains(f"3.{m.group(1)}")
