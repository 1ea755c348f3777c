"""MNIST and Fashion-MNIST from their IDX files, downloaded only when asked (SHA-256 verified).

    images, labels = gc.data.load_mnist("data/mnist", download=True, size=32)        # (60000, 1, 32, 32) in [-1, 1]
    images, labels = gc.data.load_fashion_mnist("data/fashion", train=False)         # files already in place

Offline? Copy the four ``*-ubyte.gz`` files into ``root`` by hand; they are verified against the SHA-256 values
below and used without the network.
"""
from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import torch

from .. import validation
from ..images import resize, to_signed
from .download import DownloadError, download

__all__ = ["read_idx", "load_mnist", "load_fashion_mnist", "MNIST", "FASHION_MNIST", "FASHION_CLASSES"]

# file -> SHA-256 of the gzipped file (as published by many independent projects that verify these downloads)
MNIST = {
    "mirrors": ["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"],
    "files": {
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
}
FASHION_MNIST = {
    "mirrors": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
    "files": {
        "train-images-idx3-ubyte.gz": "08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc",
        "train-labels-idx1-ubyte.gz": "b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc",
        "t10k-images-idx3-ubyte.gz": "78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229",
        "t10k-labels-idx1-ubyte.gz": "42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf",
    },
}
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzipped when the name ends in .gz) into a numpy array of its declared type and shape.

    Format: two zero bytes, a type code (0x08 ubyte, 0x09 byte, 0x0B int16, 0x0C int32, 0x0D float32,
    0x0E float64), the number of dimensions, each dimension as a big-endian int32, then the data, big-endian.
    """
    path = validation.path("path", path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES or raw[3] < 1:
        raise ValueError(f"{os.fspath(path)!r} is not an IDX file (bad magic number {raw[:4].hex()})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{os.fspath(path)!r}: truncated IDX header")
    shape = struct.unpack(f">{ndim}i", raw[4:header])
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"{os.fspath(path)!r}: IDX header says shape {shape} ({expected} bytes of data), "
                         f"the file has {len(raw) - header}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _load(spec: dict, name: str, root, train: bool, size: int | None, download_missing: bool, limit: int | None,
          timeout: float):
    root = Path(root)
    prefix = "train" if train else "t10k"
    files = {kind: f"{prefix}-{kind}-idx{3 if kind == 'images' else 1}-ubyte.gz" for kind in ("images", "labels")}
    for fname in files.values():
        path = root / fname
        if path.exists() or download_missing:
            _fetch(spec, fname, path, timeout)  # verifies the SHA-256 of a file already there, too
        else:
            raise FileNotFoundError(
                f"{name}: {os.fspath(path)!r} is missing. Pass download=True to fetch it (about 10 MB in all, SHA-256 "
                f"verified), or copy the four *-ubyte.gz files of {name} into {os.fspath(root)!r}."
            )
    x = read_idx(root / files["images"])
    y = read_idx(root / files["labels"])
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
        raise ValueError(f"{name}: images {x.shape} and labels {y.shape} do not match")
    if limit is not None:
        x, y = x[:limit], y[:limit]
    images = torch.from_numpy(x.astype(np.float32) / 255.0)[:, None]  # (N, 1, 28, 28) in [0, 1]
    if size is not None:
        images = resize(images, size).clamp(0, 1)
    return to_signed(images).contiguous(), torch.from_numpy(y.astype(np.int64))


def _fetch(spec, fname, path, timeout):
    errors = []
    for mirror in spec["mirrors"]:
        try:
            return download(mirror + fname, path, spec["files"][fname], timeout=timeout)
        except DownloadError as e:
            errors.append(str(e))
    raise DownloadError(" | ".join(errors))


def _check(root, train, size, download_missing, limit, timeout):
    """The loaders' arguments, checked before any file is touched."""
    return (validation.path("root", root), validation.boolean("train", train),
            None if size is None else validation.positive_int("size", size),
            validation.boolean("download", download_missing),
            None if limit is None else validation.positive_int("limit", limit), validation.positive("timeout", timeout))


def load_mnist(root: str | os.PathLike = "data/mnist", train: bool = True, size: int | None = 32,
               download: bool = False, limit: int | None = None, timeout: float = 60.0):
    """MNIST digits as ``(images, labels)``: float32 (N, 1, size, size) in [-1, 1] (ink = +1) and int64 (N,).

    Args:
        root: folder holding (or receiving) the ``*-ubyte.gz`` files.
        train: the 60,000 training images, or the 10,000 test images.
        size: resize 28x28 to this side (bilinear); 32 suits a DCGAN; None keeps 28.
        download: fetch missing files from the mirrors (SHA-256 verified). Off by default: nothing touches the
            network unless asked.
        limit: keep only the first ``limit`` images (a positive integer), or None for all.
        timeout: seconds to wait for a mirror.
    """
    return _load(MNIST, "MNIST", *_check(root, train, size, download, limit, timeout))


def load_fashion_mnist(root: str | os.PathLike = "data/fashion-mnist", train: bool = True, size: int | None = 32,
                       download: bool = False, limit: int | None = None, timeout: float = 60.0):
    """Fashion-MNIST (Zalando's clothes, same format as MNIST; class names in ``FASHION_CLASSES``).

    Arguments as :func:`load_mnist`.
    """
    return _load(FASHION_MNIST, "Fashion-MNIST", *_check(root, train, size, download, limit, timeout))
