"""MNIST / Fashion-MNIST IDX loaders and the image-folder loader, on small files built here (no network)."""
import gzip
import hashlib
import struct

import numpy as np
import pytest
import torch
from PIL import Image

from gancourse.data import mnist
from gancourse.data.download import DownloadError
from gancourse.data.folder import load_celeba, load_image_folder


def write_idx(path, array, code=0x08, compress=True):
    array = np.asarray(array)
    dtype = {0x08: ">u1", 0x0B: ">i2", 0x0D: ">f4"}[code]
    raw = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    raw += array.astype(dtype).tobytes()
    data = gzip.compress(raw) if compress else raw
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def test_read_idx_types_and_shapes(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "a.gz", a)
    assert np.array_equal(mnist.read_idx(tmp_path / "a.gz"), a)
    f = np.array([1.5, -2.25, 1e6], dtype=np.float32)
    write_idx(tmp_path / "f.idx", f, code=0x0D, compress=False)
    assert np.array_equal(mnist.read_idx(tmp_path / "f.idx"), f)
    s = np.array([[-300, 2], [7, 32000]])
    write_idx(tmp_path / "s.gz", s, code=0x0B)
    assert mnist.read_idx(tmp_path / "s.gz").tolist() == s.tolist()


def test_read_idx_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x00\x08\x01\x00\x00\x00\x02ab")
    with pytest.raises(ValueError, match="not an IDX file"):
        mnist.read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">i", 5) + b"abc")
    with pytest.raises(ValueError, match="shape \\(5,\\)"):
        mnist.read_idx(tmp_path / "short")


def fake_mnist(folder, n=6, seed=0):
    """Four small IDX files in MNIST's layout; returns the table of their SHA-256 values."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    table = {}
    for prefix, count in (("train", n), ("t10k", n // 2)):
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        labels = np.arange(count) % 10
        table[f"{prefix}-images-idx3-ubyte.gz"] = write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        table[f"{prefix}-labels-idx1-ubyte.gz"] = write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return table


def test_load_mnist_from_local_files(tmp_path, monkeypatch):
    table = fake_mnist(tmp_path / "m")
    monkeypatch.setitem(mnist.MNIST, "files", table)
    x, y = mnist.load_mnist(tmp_path / "m", size=None)
    raw = mnist.read_idx(tmp_path / "m" / "train-images-idx3-ubyte.gz")
    assert x.shape == (6, 1, 28, 28) and y.tolist() == [0, 1, 2, 3, 4, 5]
    assert torch.allclose(x[:, 0], torch.from_numpy(raw).float() / 255 * 2 - 1)
    x32, _ = mnist.load_mnist(tmp_path / "m", size=32, train=False)
    assert x32.shape == (3, 1, 32, 32) and x32.min() >= -1 and x32.max() <= 1
    assert len(mnist.load_mnist(tmp_path / "m", limit=2)[0]) == 2
    with pytest.raises(ValueError, match="size"):
        mnist.load_mnist(tmp_path / "m", size=0)


def test_local_files_are_verified(tmp_path):
    fake_mnist(tmp_path / "m")  # the real table's hashes do not match these fake files
    with pytest.raises(ValueError, match="SHA-256"):
        mnist.load_mnist(tmp_path / "m")


def test_missing_files_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True"):
        mnist.load_fashion_mnist(tmp_path / "none")


def test_download_from_a_mirror_then_load(tmp_path, monkeypatch):
    table = fake_mnist(tmp_path / "server")
    monkeypatch.setitem(mnist.FASHION_MNIST, "files", table)
    monkeypatch.setitem(mnist.FASHION_MNIST, "mirrors", [(tmp_path / "nowhere").as_uri() + "/",
                                                          (tmp_path / "server").as_uri() + "/"])
    x, y = mnist.load_fashion_mnist(tmp_path / "local", download=True, size=16)
    assert x.shape == (6, 1, 16, 16)
    assert sorted(p.name for p in (tmp_path / "local").iterdir()) == ["train-images-idx3-ubyte.gz",
                                                                      "train-labels-idx1-ubyte.gz"]


def test_all_mirrors_failing_raises_download_error(tmp_path, monkeypatch):
    monkeypatch.setitem(mnist.MNIST, "mirrors", [(tmp_path / "a").as_uri() + "/", (tmp_path / "b").as_uri() + "/"])
    with pytest.raises(DownloadError, match="offline"):
        mnist.load_mnist(tmp_path / "local", download=True)


def test_published_hashes_are_well_formed():
    for spec in (mnist.MNIST, mnist.FASHION_MNIST):
        assert len(spec["files"]) == 4
        assert all(len(h) == 64 and int(h, 16) >= 0 for h in spec["files"].values())


# ------------------------------------------------------------------------------------------------ image folder
def make_folder(root):
    (root / "cats").mkdir(parents=True)
    (root / "dogs" / "deep").mkdir(parents=True)
    Image.new("RGB", (40, 20), (255, 0, 0)).save(root / "cats" / "a.png")
    Image.new("RGB", (20, 20), (0, 0, 255)).save(root / "dogs" / "deep" / "b.png")
    Image.new("L", (30, 30), 255).save(root / "dogs" / "c.bmp")
    (root / "notes.txt").write_text("not an image")


def test_load_image_folder(tmp_path):
    make_folder(tmp_path)
    x, y, classes = load_image_folder(tmp_path, size=8, with_labels=True)
    assert x.shape == (3, 3, 8, 8) and classes == ["cats", "dogs"] and y.tolist() == [0, 1, 1]
    assert torch.allclose(x[0], torch.tensor([1.0, -1, -1])[:, None, None].expand(3, 8, 8))   # red
    assert torch.allclose(x[1], torch.ones(3, 8, 8))  # dogs/c.bmp: white (a grey source) -> 1 in every channel
    assert torch.allclose(x[2], torch.tensor([-1.0, -1, 1])[:, None, None].expand(3, 8, 8))  # dogs/deep/b.png: blue
    grey = load_image_folder(tmp_path, size=4, grey=True, limit=2)
    assert grey.shape == (2, 1, 4, 4)


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_image_folder(tmp_path / "none")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no images"):
        load_image_folder(tmp_path / "empty")
    Image.new("RGB", (10, 10)).save(tmp_path / "loose.png")
    with pytest.raises(ValueError, match="class subfolder"):
        load_image_folder(tmp_path, with_labels=True)
    with pytest.raises(ValueError, match="crop"):
        load_image_folder(tmp_path, crop=20)


def test_celeba_extracts_a_local_zip_and_says_what_to_do_without_it(tmp_path):
    import zipfile

    with pytest.raises(FileNotFoundError, match="img_align_celeba.zip"):
        load_celeba(tmp_path / "c")
    (tmp_path / "c").mkdir()
    src = tmp_path / "face.jpg"
    Image.new("RGB", (178, 218), (0, 255, 0)).save(src)
    with zipfile.ZipFile(tmp_path / "c" / "img_align_celeba.zip", "w") as zf:
        zf.write(src, "img_align_celeba/000001.jpg")
    faces = load_celeba(tmp_path / "c", size=16)
    assert faces.shape == (1, 3, 16, 16)
    assert abs(faces[0, 1].mean().item() - 1) < 0.05 and faces[0, 0].mean().item() < -0.9  # green


def test_loader_arguments_are_checked_before_any_file_is_read(tmp_path):
    from gancourse.validation import ArgumentError

    make_folder(tmp_path / "f")
    for kwargs, name in [(dict(limit=-1), "limit"), (dict(limit=0), "limit"), (dict(limit=1.5), "limit"),
                         (dict(size=True), "size"), (dict(crop=0), "crop"), (dict(grey="yes"), "grey"),
                         (dict(with_labels=1), "with_labels"), (dict(extensions="png"), "extensions"),
                         (dict(extensions=None), "extensions"), (dict(extensions=()), "extensions")]:
        with pytest.raises(ArgumentError, match=f"^{name} must"):
            load_image_folder(tmp_path / "f", **kwargs)
    with pytest.raises(ArgumentError, match="^root must"):
        load_image_folder(None)
    assert len(load_image_folder(tmp_path / "f", size=4, extensions=".BMP")) == 1
    fake_mnist(tmp_path / "m")
    for kwargs, name in [(dict(limit=-1), "limit"), (dict(train="yes"), "train"), (dict(timeout=-1), "timeout"),
                         (dict(download=1), "download"), (dict(size=0), "size"), (dict(root=None), "root")]:
        with pytest.raises(ArgumentError, match=f"^{name} must"):
            mnist.load_mnist(**(dict(root=tmp_path / "m") | kwargs))
    with pytest.raises(ArgumentError, match="url and sha256 go together"):
        load_celeba(tmp_path / "c", url="https://example.org/celeba.zip")
    with pytest.raises(ArgumentError, match="^url must"):
        load_celeba(tmp_path / "c", url="celeba.zip", sha256="0" * 64)
    with pytest.raises(ArgumentError, match="^crop must"):
        load_celeba(tmp_path / "c", crop=-3)
