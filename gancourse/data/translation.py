"""Real image-to-image data sets, downloaded on request: CMP Facades (paired) and horse2zebra (unpaired).

    root = gc.data.translation.download_facades("data", sha256="...")      # verified, safely extracted
    A, B = gc.data.translation.load_facades(root, split="train", size=64)  # label maps -> photos
    root = gc.data.translation.download_horse2zebra("data", sha256="...")
    horses, zebras = gc.data.translation.load_horse2zebra(root, size=64)

The course never needs these (its lessons run on ``gc.data.scenes``, generated offline); they are here for
longer runs on a GPU. Downloads go through :func:`gancourse.data.download.download` (atomic, resumable,
SHA-256 verified) and :func:`~gancourse.data.archives.safe_extract` (files and folders only, nothing outside
``root``, all or nothing).

The course ships no checksum it has not verified itself: pass the SHA-256 of the archive you trust (compute it
once on a trusted copy with ``sha256sum``). Images are decoded with Pillow (a dependency of matplotlib) and
returned as float32 (N, 3, H, W) tensors in [-1, 1].
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from .. import validation
from ..images import resize
from .download import CorruptArchiveError, download, safe_extract
from .folder import load_image_folder

__all__ = [
    "FACADES_URL", "HORSE2ZEBRA_URL", "download_facades", "download_horse2zebra", "load_facades",
    "load_horse2zebra", "load_side_by_side",
]

FACADES_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz"
HORSE2ZEBRA_URL = "http://efrosgans.eecs.berkeley.edu/cyclegan/datasets/horse2zebra.zip"
_EXTENSIONS = (".jpg", ".jpeg", ".png")


def _read(path: Path) -> torch.Tensor:
    from PIL import Image

    with Image.open(path) as im:
        arr = np.asarray(im.convert("RGB"), dtype=np.float32) / 127.5 - 1.0
    return torch.from_numpy(arr).permute(2, 0, 1).contiguous()  # (3, H, W) in [-1, 1]


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {os.fspath(folder)!r}")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in _EXTENSIONS)
    if not files:
        raise FileNotFoundError(f"no images ({', '.join(_EXTENSIONS)}) in {os.fspath(folder)!r}")
    return files


def _load_all(folder, limit: int | None) -> torch.Tensor:
    """Every image in ``folder`` (sorted by name, at most ``limit``) at its own size; all must share one shape."""
    images = [_read(p) for p in _files(Path(folder))[:limit]]
    shapes = {tuple(x.shape) for x in images}
    if len(shapes) > 1:
        raise ValueError(f"images in {os.fspath(folder)!r} have different shapes {sorted(shapes)}")
    return torch.stack(images)


def load_side_by_side(folder, size: int | None = None, limit: int | None = None,
                      swap: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Paired images stored as one file with the two halves side by side (the Pix2Pix format ``left|right``).

    Returns ``(left, right)`` (or ``(right, left)`` with ``swap=True``), each (N, 3, H, W) in [-1, 1].
    """
    folder = validation.path("folder", folder)
    size = None if size is None else validation.positive_int("size", size)
    limit = None if limit is None else validation.positive_int("limit", limit)
    swap = validation.boolean("swap", swap)
    both = _load_all(folder, limit)
    w = both.shape[-1]
    if w % 2:
        raise ValueError(f"side-by-side images must have an even width, got {w}")
    left, right = both[..., : w // 2], both[..., w // 2:]
    if size is not None:
        left, right = resize(left, size), resize(right, size)
    return (right, left) if swap else (left, right)


def _fetch(root, archive_name: str, folder_name: str, sha256, url) -> Path:
    """Download (or verify) ``root/archive_name`` and extract it unless ``root/folder_name`` is already there:
    :func:`safe_extract` makes that folder appear only whole, so a folder that exists is complete."""
    root = validation.path("root", root)
    archive = download(url, root / archive_name, sha256)
    folder = root / folder_name
    if not folder.is_dir():
        safe_extract(archive, root)
        if not folder.is_dir():
            raise CorruptArchiveError(f"{archive_name} holds no {folder_name}/ folder: is it the right archive?")
    return folder


def download_facades(root, sha256: str, url: str = FACADES_URL) -> Path:
    """Download ``facades.tar.gz`` into ``root`` (verified against ``sha256``), extract it safely and return
    the folder holding ``train/``, ``val/`` and ``test/``. A second call verifies the archive and reuses the folder."""
    return _fetch(root, "facades.tar.gz", "facades", sha256, url)


def load_facades(root, split: str = "train", size: int | None = None, limit: int | None = None):
    """CMP Facades in the Pix2Pix format: each file is ``photo | label map``. Returns ``(labels, photos)``:
    the label map as the input and the photo as the target (the paper's "labels -> photo" direction)."""
    split = validation.choice("split", split, ("train", "val", "test"))
    photos, labels = load_side_by_side(validation.path("root", root) / split, size, limit)
    return labels, photos


def download_horse2zebra(root, sha256: str, url: str = HORSE2ZEBRA_URL) -> Path:
    """Download ``horse2zebra.zip`` into ``root`` (verified), extract it safely and return the folder holding
    ``trainA/``, ``trainB/``, ``testA/`` and ``testB/``."""
    return _fetch(root, "horse2zebra.zip", "horse2zebra", sha256, url)


def load_horse2zebra(root, split: str = "train", size: int = 64, limit: int | None = None):
    """The two unpaired domains of a CycleGAN data set (``<split>A/``, ``<split>B/``): ``(horses, zebras)``,
    each centre-cropped and resized to ``size`` by :func:`gancourse.data.folder.load_image_folder`."""
    split = validation.choice("split", split, ("train", "test"))
    root = validation.path("root", root)
    horses = load_image_folder(root / f"{split}A", size, limit=limit)
    zebras = load_image_folder(root / f"{split}B", size, limit=limit)
    return horses, zebras
