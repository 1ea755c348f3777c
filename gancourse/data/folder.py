"""Images from a folder (any photos you have, or CelebA), as one tensor in [-1, 1].

    images = gc.data.load_image_folder("my_photos", size=64)                     # (N, 3, 64, 64)
    images, labels, classes = gc.data.load_image_folder("pets", size=64, with_labels=True)  # one subfolder a class
    images = gc.data.load_celeba("data/celeba", size=64, limit=20000)            # aligned faces, centre-cropped

Everything is held in memory as float32: 64x64 colour images take 48 KB each, so use ``limit`` for large sets.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from .. import validation
from ..images import center_crop, resize, to_signed
from ..validation import ArgumentError
from .download import check_sha256, check_url, download, safe_extract

__all__ = ["load_image_folder", "load_celeba", "IMAGE_EXTENSIONS"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")


def _read(path: Path, grey: bool, crop: int | None, size: int) -> torch.Tensor:
    from PIL import Image

    with Image.open(path) as im:
        arr = np.asarray(im.convert("L" if grey else "RGB"), dtype=np.float32) / 255.0
    x = torch.from_numpy(arr)
    x = x[None, None] if grey else x.permute(2, 0, 1)[None]  # (1, C, H, W)
    h, w = x.shape[-2:]
    side = min(h, w) if crop is None else crop
    if side > min(h, w):
        raise validation.ArgumentError(f"crop {crop} is larger than image {os.fspath(path)!r} ({h}x{w})")
    x = center_crop(x, side)  # square, from the centre
    return resize(x, size, mode="bilinear").clamp(0, 1)[0]


def _suffixes(extensions) -> tuple[str, ...]:
    what = "file suffixes such as ('.png', '.jpg')"
    if isinstance(extensions, str):
        extensions = (extensions,)
    if not isinstance(extensions, (list, tuple, set, frozenset)) or not extensions:
        raise ArgumentError(f"extensions must be {what}, got {extensions!r}")
    return tuple(validation.string("extensions", e, pattern=r"\.[^./\\]+", what=what).lower() for e in extensions)


def load_image_folder(root: str | os.PathLike, size: int = 64, *, crop: int | None = None, grey: bool = False,
                      limit: int | None = None, with_labels: bool = False, extensions=IMAGE_EXTENSIONS):
    """Every image file under ``root`` (searched recursively, sorted by path), centre-cropped to a square and
    resized to ``size`` x ``size``.

    Args:
        size: output side in pixels.
        crop: side of the centre crop before resizing (default: the largest square that fits).
        grey: convert to one channel (else RGB, 3 channels).
        limit: keep only the first ``limit`` files (a positive integer), or None for all.
        with_labels: also return int64 labels from each file's first-level subfolder and the sorted class names.

    Returns:
        float32 (N, C, size, size) in [-1, 1], or ``(images, labels, classes)`` with ``with_labels``.
    """
    root = validation.path("root", root)
    size = validation.positive_int("size", size)
    crop = None if crop is None else validation.positive_int("crop", crop)
    grey = validation.boolean("grey", grey)
    limit = None if limit is None else validation.positive_int("limit", limit)
    with_labels = validation.boolean("with_labels", with_labels)
    exts = _suffixes(extensions)
    if not root.is_dir():
        raise FileNotFoundError(f"no folder at {os.fspath(root)!r}")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in exts)[:limit]
    if not files:
        raise ValueError(f"no images ({', '.join(exts)}) under {os.fspath(root)!r}")
    images = to_signed(torch.stack([_read(p, grey, crop, size) for p in files]))
    if not with_labels:
        return images
    parts = [p.relative_to(root).parts for p in files]
    if any(len(pt) < 2 for pt in parts):
        raise ValueError("with_labels=True needs every image inside a class subfolder of root")
    classes = sorted({pt[0] for pt in parts})
    labels = torch.tensor([classes.index(pt[0]) for pt in parts], dtype=torch.int64)
    return images, labels, classes


def load_celeba(root: str | os.PathLike = "data/celeba", size: int = 64, *, crop: int = 140, limit: int | None = None,
                url: str | None = None, sha256: str | None = None):
    """CelebA's aligned faces (``img_align_celeba``, 178x218 JPEGs): centre-cropped to ``crop`` and resized.

    CelebA is distributed through Google Drive behind a confirmation page, so the course does not hard-code an
    address or a checksum: download ``img_align_celeba.zip`` yourself into ``root`` (it is extracted safely here),
    or pass ``url`` *and* the archive's ``sha256`` that you trust to fetch and verify it.
    """
    root = validation.path("root", root)
    size, crop = validation.positive_int("size", size), validation.positive_int("crop", crop)
    limit = None if limit is None else validation.positive_int("limit", limit)
    if url is not None or sha256 is not None:  # checked now, not only once a download is needed
        if url is None or sha256 is None:
            raise ArgumentError("url and sha256 go together: pass both to download CelebA, or neither")
        check_url(url)
        check_sha256(sha256)
    folder = root / "img_align_celeba"
    archive = root / "img_align_celeba.zip"
    if not folder.is_dir():  # it appears only once extracted whole
        if not archive.exists():
            if url is None:
                raise FileNotFoundError(
                    f"CelebA not found: put img_align_celeba.zip (or the extracted img_align_celeba/ folder) in "
                    f"{os.fspath(root)!r}, or pass url=... and sha256=... to download and verify it."
                )
            download(url, archive, sha256, progress=True)
        safe_extract(archive, root)
    return load_image_folder(folder, size, crop=crop, limit=limit)
