"""Helpers of tests/test_setup_script.py (not a test): write tiny wheels, and a PEP 517 backend that builds one.

Copied into the fake project's ``_backend/`` folder, this module is also that project's build backend: its
editable "wheel" is a .pth file that points at the project, so ``pip install -e .`` needs nothing from an index.
"""
import base64
import hashlib
import os
import zipfile
from pathlib import Path


def make_wheel(folder: Path, name: str, version: str, files: dict) -> Path:
    """A pure-Python wheel of ``name`` holding ``files`` (path -> text), written into ``folder``."""
    dist = f"{name}-{version}.dist-info"
    files = {**files,
             f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
             f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{dist}/RECORD"] = "\n".join(record + [f"{dist}/RECORD,,"]) + "\n"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for member, text in files.items():
            z.writestr(member, text)
    return path


# ---- PEP 517 hooks (the fake project's backend)
def get_requires_for_build_editable(config_settings=None):
    return []


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return make_wheel(Path(wheel_directory), "gancourse", "0.0.0", {"gancourse.pth": os.getcwd() + "\n"}).name
