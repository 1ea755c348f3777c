"""safe_extract on crafted archives built here: nothing lands outside the destination, nothing partial remains."""
import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from gancourse.data import archives
from gancourse.data.archives import CorruptArchiveError, UnsafeArchiveError, safe_extract
from gancourse.validation import ArgumentError


def _zip(path, names, data=None):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            zf.writestr(name, data if data is not None else b"data:" + name.encode())
    return path


def _tar(path, members, mode="w:gz"):
    with tarfile.open(path, mode) as tf:
        for info, data in members:
            tf.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def _file(name, data=b"x"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _dir(name):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    return info, None


def _link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def _special(name, kind):
    info = tarfile.TarInfo(name)
    info.type = kind
    return info, None


def _only(tmp_path, *names):
    """tmp_path holds exactly ``names``: no destination, no temporary folder, nothing that escaped."""
    assert sorted(os.listdir(tmp_path)) == sorted(names)


def test_zip_and_tar_are_extracted(tmp_path):
    z = _zip(tmp_path / "a.zip", ["img/a.png", "img/sub/b.png", "img/empty/"])
    out = safe_extract(z, tmp_path / "z")
    assert out == tmp_path / "z"
    assert (out / "img" / "sub" / "b.png").read_bytes() == b"data:img/sub/b.png"
    assert (out / "img" / "empty").is_dir()
    assert stat.S_IMODE(os.stat(out).st_mode) == stat.S_IMODE(os.stat(out / "img").st_mode)  # not mkdtemp's 0700
    t = _tar(tmp_path / "a.tar.gz", [_dir("."), _dir("./d"), _file("./d/one.txt", b"1"), _file("d//two.txt", b"2")])
    out = safe_extract(t, tmp_path / "t")
    assert sorted(os.listdir(out / "d")) == ["one.txt", "two.txt"] and (out / "d" / "one.txt").read_bytes() == b"1"
    for mode, ext in (("w", "tar"), ("w:bz2", "tar.bz2"), ("w:xz", "tar.xz")):
        t = _tar(tmp_path / f"c.{ext}", [_file("c/x.txt", b"xyz")], mode=mode)
        assert (safe_extract(t, tmp_path / ext) / "c" / "x.txt").read_bytes() == b"xyz"
    _only(tmp_path, "a.zip", "z", "a.tar.gz", "t", "c.tar", "tar", "c.tar.bz2", "tar.bz2", "c.tar.xz", "tar.xz")


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "/tmp/evil_abs.txt", "C:/evil.txt",
                                  "..\\evil.txt", "a/" + "b" * 200 + "/../../../evil.txt"])
def test_zip_traversal_is_refused_before_writing(tmp_path, name):
    z = _zip(tmp_path / "bad.zip", ["ok.txt", name])
    with pytest.raises(UnsafeArchiveError, match="nothing was extracted"):
        safe_extract(z, tmp_path / "out")
    _only(tmp_path, "bad.zip")  # nothing written, not even the good member
    assert not os.path.exists("/tmp/evil_abs.txt")


@pytest.mark.parametrize("member", [
    _file("../evil.txt"),
    _file("/abs/evil.txt"),
    _file("a/" + "b" * 200 + "/../../../evil.txt"),  # a GNU long name
    _link("escape", "../../outside"),
    _link("abs", "/etc/passwd"),
    _link("hard", "../outside", kind=tarfile.LNKTYPE),
    _link("inside", "ok.txt"),  # even a link that stays inside: dataset archives need none
    _link("hard_inside", "ok.txt", kind=tarfile.LNKTYPE),
])
def test_tar_traversal_and_every_link_are_refused(tmp_path, member):
    t = _tar(tmp_path / "bad.tar", [_file("ok.txt"), member], mode="w")
    with pytest.raises(UnsafeArchiveError, match="nothing was extracted"):
        safe_extract(t, tmp_path / "out")
    _only(tmp_path, "bad.tar")


def test_short_link_chain_is_refused_with_our_error_before_anything_is_written(tmp_path):
    """a -> ., a/b -> .., a/b/x: every path looks inside as written; tarfile's filter saw it only after writing."""
    (tmp_path / "x").mkdir()
    t = _tar(tmp_path / "x" / "chain.tar", [_link("a", "."), _link("a/b", ".."), _file("a/b/x", b"escaped")])
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        safe_extract(t, tmp_path / "x" / "out")
    _only(tmp_path, "x")
    _only(tmp_path / "x", "chain.tar")


def cve_2025_4517_tar(path):
    """16 nested 247-character folders reached through links, a link whose resolved path exceeds PATH_MAX pointing
    back to the top (realpath cannot follow it, so filter="data" is fooled), then escape -> that/../../outside and
    a regular file escape/pwn. On Python 3.11.7 the old safe_extract wrote pwn to <dest>/../../outside/pwn."""
    comp, steps, prefix, members = "d" * 247, "abcdefghijklmnop", "", []
    for letter in steps:
        members += [_dir(prefix + comp), _link(prefix + letter, comp)]
        prefix += comp + "/"
    long_link = "/".join(steps) + "/" + "l" * 254
    members += [_link(long_link, "../" * len(steps)), _link("escape", long_link + "/../../outside"),
                _file("escape/pwn", b"pwned")]
    return _tar(path, members, mode="w")


def test_cve_2025_4517_link_chain_is_refused_before_anything_is_written(tmp_path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "data").mkdir()
    t = cve_2025_4517_tar(tmp_path / "data" / "poc.tar")
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        safe_extract(t, tmp_path / "data" / "out")
    assert os.listdir(tmp_path / "outside") == []
    _only(tmp_path, "outside", "data")
    _only(tmp_path / "data", "poc.tar")


@pytest.mark.parametrize("kind", [tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE, b"Z"])
def test_tar_devices_fifos_and_unknown_types_are_refused(tmp_path, kind):
    t = _tar(tmp_path / "dev.tar", [_file("ok.txt"), _special("dev", kind)], mode="w")
    with pytest.raises(UnsafeArchiveError, match="device or special"):
        safe_extract(t, tmp_path / "out")
    _only(tmp_path, "dev.tar")


@pytest.mark.parametrize("mode, what", [(stat.S_IFLNK | 0o777, "symbolic link"), (stat.S_IFIFO | 0o644, "special"),
                                        (stat.S_IFCHR | 0o644, "special")])
def test_zip_members_with_link_or_special_mode_bits_are_refused(tmp_path, mode, what):
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as zf:
        zf.writestr("ok.txt", b"ok")
        info = zipfile.ZipInfo("link")
        info.create_system, info.external_attr = 3, mode << 16
        zf.writestr(info, b"../../etc/passwd")
    with pytest.raises(UnsafeArchiveError, match=what):
        safe_extract(tmp_path / "bad.zip", tmp_path / "out")
    _only(tmp_path, "bad.zip")


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    """A 199 KB zip and a 199 KB tar.gz that each unpack to 200 MB of zeros."""
    folder = tmp_path_factory.mktemp("bombs")
    with zipfile.ZipFile(folder / "bomb.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("zeros.bin", "w") as f:
            for _ in range(200):
                f.write(bytes(1 << 20))
    info = tarfile.TarInfo("zeros.bin")
    info.size = 200 << 20
    with tarfile.open(folder / "bomb.tar.gz", "w:gz", compresslevel=9) as tf:
        tf.addfile(info, io.BytesIO(bytes(info.size)))
    return folder


@pytest.mark.parametrize("name", ["bomb.zip", "bomb.tar.gz"])
def test_size_limit_refuses_a_bomb_before_writing(bombs, tmp_path, name):
    assert (bombs / name).stat().st_size < 200 * 1024
    with pytest.raises(UnsafeArchiveError, match="max_bytes=104,857,600"):
        safe_extract(bombs / name, tmp_path / "out", max_bytes=100 << 20)
    _only(tmp_path)


def test_a_size_beyond_the_default_limit_is_refused(tmp_path):
    info = tarfile.TarInfo("huge.bin")
    info.size = archives.MAX_BYTES + 1  # declared only: the tar is a few KB
    (tmp_path / "huge.tar").write_bytes(info.tobuf(tarfile.PAX_FORMAT) + bytes(2048))
    with pytest.raises(UnsafeArchiveError, match="max_bytes"):
        safe_extract(tmp_path / "huge.tar", tmp_path / "out")
    _only(tmp_path, "huge.tar")


@pytest.mark.parametrize("kind", [tarfile.GNUTYPE_LONGNAME, tarfile.XHDTYPE])
def test_a_huge_long_name_or_pax_header_is_refused_without_reading_it(tmp_path, kind):
    """tarfile reads such a header whole, before returning any member: 32 MiB here, gzipped to a few KB."""
    import gzip

    header = tarfile.TarInfo("././@LongLink")
    header.type, header.size = kind, 32 << 20
    body = header.tobuf(tarfile.GNU_FORMAT) + b"a" * header.size + tarfile.TarInfo("x").tobuf() + bytes(1024)
    (tmp_path / "long.tar.gz").write_bytes(gzip.compress(body))
    with pytest.raises(UnsafeArchiveError, match="header declares 33,554,432 bytes of metadata"):
        safe_extract(tmp_path / "long.tar.gz", tmp_path / "out")
    _only(tmp_path, "long.tar.gz")


def test_member_count_limit(tmp_path):
    z = _zip(tmp_path / "many.zip", [f"f{i}.txt" for i in range(11)], data=b"")
    t = _tar(tmp_path / "many.tar.gz", [_file(f"f{i}.txt", b"") for i in range(11)])
    for archive in (z, t):
        with pytest.raises(UnsafeArchiveError, match="max_members=10 "):
            safe_extract(archive, tmp_path / "out", max_members=10)
        assert (safe_extract(archive, tmp_path / (archive.name + ".out"), max_members=11) / "f10.txt").exists()
    _only(tmp_path, "many.zip", "many.tar.gz", "many.zip.out", "many.tar.gz.out")


def test_bytes_are_counted_while_writing(tmp_path, monkeypatch):
    """A member that yields more bytes than it declares is stopped, whatever the reader believes."""
    z = _zip(tmp_path / "liar.zip", ["a.txt"], data=b"12345")
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, info: io.BytesIO(b"x" * (3 << 20)))
    with pytest.raises(UnsafeArchiveError, match="holds more than the 5 bytes it declares"):
        safe_extract(z, tmp_path / "out")
    _only(tmp_path, "liar.zip")


def test_corrupt_zip_leaves_nothing_behind(tmp_path):
    """The issue's case: the first member was written in full, the second empty, then the error."""
    z = _zip(tmp_path / "bad.zip", ["a/one.bin", "a/two.bin"], data=os.urandom(50_000))
    raw = bytearray(z.read_bytes())
    second = raw.index(b"a/two.bin") + len("a/two.bin") + 100  # inside the second member's compressed data
    raw[second:second + 200] = bytes(200)
    z.write_bytes(bytes(raw))
    with pytest.raises(CorruptArchiveError, match="damaged or truncated"):
        safe_extract(z, tmp_path / "out")
    _only(tmp_path, "bad.zip")


@pytest.mark.parametrize("keep", [3000, 700, 60])
def test_truncated_tar_gz_leaves_nothing_behind(tmp_path, keep):
    t = _tar(tmp_path / "t.tar.gz", [_file("a/one.bin", os.urandom(4000)), _file("a/two.bin", os.urandom(4000))])
    t.write_bytes(t.read_bytes()[:keep])
    with pytest.raises(CorruptArchiveError):
        safe_extract(t, tmp_path / "out")
    _only(tmp_path, "t.tar.gz")


def test_encrypted_zip_member_is_refused(tmp_path):
    z = _zip(tmp_path / "enc.zip", ["a.txt"])
    raw = bytearray(z.read_bytes())
    for sig in (b"PK\x03\x04", b"PK\x01\x02"):  # set the 'encrypted' flag in both headers
        at = raw.index(sig) + (6 if sig == b"PK\x03\x04" else 8)
        raw[at] |= 1
    z.write_bytes(bytes(raw))
    with pytest.raises(CorruptArchiveError, match="encrypted"):
        safe_extract(z, tmp_path / "out")


@pytest.mark.parametrize("members", [
    [_file("a/x.txt", b"1"), _file("a/x.txt", b"2")],  # the same file twice
    [_file("a", b"1"), _file("a/x.txt", b"2")],  # a file where a folder is needed
    [_file("a/x.txt", b"2"), _file("a", b"1")],
    [_dir("a/x.txt"), _file("a/x.txt", b"1")],
    [_file("a/x.txt", b"1"), _file("./a//x.txt", b"2")],  # the same path, spelt differently
])
def test_members_that_would_overwrite_each_other_are_refused(tmp_path, members):
    with pytest.raises(UnsafeArchiveError, match="another member"):
        safe_extract(_tar(tmp_path / "dup.tar", members, mode="w"), tmp_path / "out")
    _only(tmp_path, "dup.tar")


def test_existing_files_are_not_overwritten_unless_asked(tmp_path):
    dest = tmp_path / "data"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine")
    (dest / "set").mkdir()
    (dest / "set" / "old.txt").write_text("old")
    t = _tar(dest / "set.tar.gz", [_file("set/new.txt", b"new"), _file("readme.txt", b"r")])
    with pytest.raises(FileExistsError, match="'set' already in .*overwrite=True"):
        safe_extract(t, dest)
    assert sorted(os.listdir(dest)) == ["keep.txt", "set", "set.tar.gz"] and os.listdir(dest / "set") == ["old.txt"]
    safe_extract(t, dest, overwrite=True)  # replaces 'set' as a whole; the rest of dest is untouched
    assert sorted(os.listdir(dest)) == ["keep.txt", "readme.txt", "set", "set.tar.gz"]
    assert os.listdir(dest / "set") == ["new.txt"] and (dest / "keep.txt").read_text() == "mine"
    _only(tmp_path, "data")


def test_a_parent_that_cannot_be_written_to(tmp_path, monkeypatch):
    """Extracting into an existing folder whose parent is read-only (Binder's /home) works inside that folder."""
    import tempfile

    dest = tmp_path / "data"
    dest.mkdir()
    real = tempfile.mkdtemp

    def read_only_parent(prefix, dir):
        if Path(dir) == tmp_path:
            raise PermissionError(13, "Permission denied", dir)
        return real(prefix=prefix, dir=dir)
    monkeypatch.setattr(tempfile, "mkdtemp", read_only_parent)
    t = _tar(dest / "a.tar", [_file("a/x.txt", b"1")], mode="w")
    safe_extract(t, dest)
    assert sorted(os.listdir(dest)) == ["a", "a.tar"] and (dest / "a" / "x.txt").read_bytes() == b"1"
    with pytest.raises(PermissionError):  # a new folder needs its parent
        safe_extract(t, tmp_path / "new")
    _only(tmp_path, "data")


def test_a_failed_move_puts_everything_back(tmp_path, monkeypatch):
    dest = tmp_path / "data"
    dest.mkdir()
    (dest / "b").write_text("old b")
    t = _tar(tmp_path / "ab.tar", [_file("a/x.txt"), _file("b", b"new b"), _file("c/y.txt")], mode="w")
    real = archives._rename

    def failing(src, dst):
        if dst.name == "c":
            raise OSError("disk gone")
        real(src, dst)
    monkeypatch.setattr(archives, "_rename", failing)
    with pytest.raises(OSError, match="disk gone"):
        safe_extract(t, dest, overwrite=True)
    assert os.listdir(dest) == ["b"] and (dest / "b").read_text() == "old b"
    _only(tmp_path, "ab.tar", "data")


def test_not_an_archive_and_bad_arguments(tmp_path):
    p = tmp_path / "plain.txt"
    p.write_text("hello")
    with pytest.raises(CorruptArchiveError, match="neither a zip nor a tar"):
        safe_extract(p, tmp_path / "out")
    with pytest.raises(FileNotFoundError):
        safe_extract(tmp_path / "none.zip", tmp_path / "out")
    z = _zip(tmp_path / "a.zip", ["x.txt"])
    with pytest.raises(NotADirectoryError, match="not a folder"):
        safe_extract(z, p)
    for kwargs, name in [(dict(archive=None), "archive"), (dict(dest=""), "dest"), (dict(overwrite="yes"), "overwrite"),
                         (dict(max_bytes=0), "max_bytes"), (dict(max_bytes=2.5), "max_bytes"),
                         (dict(max_bytes=True), "max_bytes"), (dict(max_members=-1), "max_members")]:
        with pytest.raises(ArgumentError, match=f"^{name} must be"):
            safe_extract(**(dict(archive=z, dest=tmp_path / "out") | kwargs))
    _only(tmp_path, "plain.txt", "a.zip")
