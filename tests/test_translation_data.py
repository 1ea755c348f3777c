"""Real-data loaders for Pix2Pix/CycleGAN, on small archives built here (file:// URLs, no network)."""
import io
import tarfile
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from gancourse.data import translation
from gancourse.data.download import ChecksumError, UnsafeArchiveError, sha256sum


def _png(colour, size=(8, 4)):
    buf = io.BytesIO()
    Image.fromarray(np.full((size[1], size[0], 3), colour, dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _side_by_side(left, right, h=4):
    arr = np.zeros((h, 2 * h, 3), dtype=np.uint8)
    arr[:, :h], arr[:, h:] = left, right
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def _add(tf, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tf.addfile(info, io.BytesIO(data))


def test_facades_download_extract_and_load(tmp_path):
    archive = tmp_path / "src" / "facades.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tf:
        for split in ("train", "val"):
            for k in range(3):  # photo (left) | label map (right)
                _add(tf, f"facades/{split}/{k + 1}.png", _side_by_side((255, 0, 0), (0, 0, 255)))
    root = translation.download_facades(tmp_path / "data", sha256sum(archive), url=archive.as_uri())
    labels, photos = translation.load_facades(root, "train")
    assert labels.shape == photos.shape == (3, 3, 4, 4)
    assert torch.allclose(photos[:, :, 0, 0], torch.tensor([1.0, -1.0, -1.0]))  # red photo, in [-1, 1]
    assert torch.allclose(labels[:, :, 0, 0], torch.tensor([-1.0, -1.0, 1.0]))  # blue labels
    small_labels, _ = translation.load_facades(root, "val", size=2, limit=2)
    assert small_labels.shape == (2, 3, 2, 2)


def test_a_wrong_checksum_is_refused(tmp_path):
    archive = tmp_path / "facades.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        _add(tf, "facades/train/1.png", _side_by_side((0, 0, 0), (9, 9, 9)))
    with pytest.raises(ChecksumError):
        translation.download_facades(tmp_path / "data", "0" * 64, url=archive.as_uri())
    assert not (tmp_path / "data" / "facades").exists()
    with pytest.raises(ValueError, match="sha256"):
        translation.download_facades(tmp_path / "data", "not-a-hash", url=archive.as_uri())


def test_a_path_traversal_archive_is_refused(tmp_path):
    archive = tmp_path / "src" / "facades.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tf:
        _add(tf, "facades/train/1.png", _side_by_side((0, 0, 0), (9, 9, 9)))
        _add(tf, "../../escaped.png", _png((1, 2, 3)))
    with pytest.raises(UnsafeArchiveError):
        translation.download_facades(tmp_path / "data", sha256sum(archive), url=archive.as_uri())
    assert not (tmp_path / "escaped.png").exists() and not (tmp_path.parent / "escaped.png").exists()
    assert not (tmp_path / "data" / "facades").exists()  # nothing was extracted


def test_horse2zebra_zip(tmp_path):
    archive = tmp_path / "src" / "horse2zebra.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf:
        for k in range(4):
            zf.writestr(f"horse2zebra/trainA/h{k}.png", _png((200, 100, 50), size=(8, 8)))
        for k in range(2):
            zf.writestr(f"horse2zebra/trainB/z{k}.png", _png((255, 255, 255), size=(16, 16)))
    root = translation.download_horse2zebra(tmp_path / "data", sha256sum(archive), url=archive.as_uri())
    horses, zebras = translation.load_horse2zebra(root, size=8)
    assert horses.shape == (4, 3, 8, 8) and zebras.shape == (2, 3, 8, 8)
    assert torch.allclose(zebras, torch.ones_like(zebras))


def test_zip_with_traversal_is_refused(tmp_path):
    archive = tmp_path / "horse2zebra.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("horse2zebra/trainA/h.png", _png((0, 0, 0)))
        zf.writestr("../evil.png", _png((0, 0, 0)))
    with pytest.raises(UnsafeArchiveError):
        translation.download_horse2zebra(tmp_path / "data", sha256sum(archive), url=archive.as_uri())
    assert not (tmp_path / "evil.png").exists()


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="split"):
        translation.load_facades(tmp_path, split="dev")
    with pytest.raises(ValueError, match="split"):
        translation.load_horse2zebra(tmp_path, split="val")
    with pytest.raises(FileNotFoundError):
        translation.load_side_by_side(tmp_path / "missing")
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "a.png").write_bytes(_png((0, 0, 0), size=(4, 4)))
    (tmp_path / "mixed" / "b.png").write_bytes(_png((0, 0, 0), size=(6, 4)))
    with pytest.raises(ValueError, match="different shapes"):
        translation.load_side_by_side(tmp_path / "mixed")
    with pytest.raises(ValueError, match="size"):
        translation.load_side_by_side(tmp_path / "mixed", size=0)
    (tmp_path / "odd").mkdir()
    (tmp_path / "odd" / "a.png").write_bytes(_png((0, 0, 0), size=(5, 4)))
    with pytest.raises(ValueError, match="even width"):
        translation.load_side_by_side(tmp_path / "odd")


def test_a_second_download_reuses_the_extracted_folder(tmp_path):
    archive = tmp_path / "src" / "facades.tar.gz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tf:
        _add(tf, "facades/train/1.png", _side_by_side((0, 0, 0), (9, 9, 9)))
    first = translation.download_facades(tmp_path / "data", sha256sum(archive), url=archive.as_uri())
    again = translation.download_facades(tmp_path / "data", sha256sum(archive), url=archive.as_uri())
    assert first == again and sorted(p.name for p in (tmp_path / "data").iterdir()) == ["facades", "facades.tar.gz"]


def test_an_archive_without_the_expected_folder_is_reported(tmp_path):
    from gancourse.data.download import CorruptArchiveError

    archive = tmp_path / "src" / "horse2zebra.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zebras/trainA/h.png", _png((0, 0, 0)))
    with pytest.raises(CorruptArchiveError, match="no horse2zebra/ folder"):
        translation.download_horse2zebra(tmp_path / "data", sha256sum(archive), url=archive.as_uri())


def test_arguments_are_named(tmp_path):
    from gancourse.validation import ArgumentError

    (tmp_path / "pairs").mkdir()
    (tmp_path / "pairs" / "a.png").write_bytes(_side_by_side((0, 0, 0), (9, 9, 9)))
    for kwargs, name in [(dict(limit=-1), "limit"), (dict(size=2.5), "size"), (dict(swap="yes"), "swap"),
                         (dict(folder=None), "folder")]:
        with pytest.raises(ArgumentError, match=f"^{name} must"):
            translation.load_side_by_side(**(dict(folder=tmp_path / "pairs") | kwargs))
    with pytest.raises(ArgumentError, match="^split must"):
        translation.load_facades(tmp_path, split=None)
    with pytest.raises(ArgumentError, match="^root must"):
        translation.download_facades(None, "0" * 64)
    with pytest.raises(ArgumentError, match="^url must"):
        translation.download_horse2zebra(tmp_path, "0" * 64, url="")
