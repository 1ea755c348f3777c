"""Extract a zip or tar archive so that nothing lands outside the destination and nothing partial remains.

    safe_extract("data/horse2zebra.zip", "data")     # data/horse2zebra/... appears whole, or not at all

Dataset archives hold folders and regular files, nothing else, so that is all :func:`safe_extract` accepts.
It works in two passes:

1. **Check every member before writing anything.** Refused with :class:`UnsafeArchiveError`: any symbolic link,
   hard link, device, FIFO or other special file (in a tar, and in a zip whose Unix mode bits say so); absolute or
   Windows paths and ``..`` components; two members with the same path, or a file where another member needs a
   folder; more than ``max_members`` members or more than ``max_bytes`` bytes declared in all. As no link is ever
   created, a member's path cannot be redirected: the path as written, with ``.`` and empty parts dropped, *is*
   where it lands (the CVE-2025-4517 link chains that defeat ``tarfile``'s ``filter="data"`` have nothing to
   follow). A tar header may not make ``tarfile`` read more than 16 MiB at once (a long name or pax header is read
   whole). The archive's top-level entries must not exist in ``dest`` yet, unless ``overwrite=True`` (which
   replaces those entries whole; the rest of ``dest`` is never touched).
2. **Write the files ourselves** (never ``extractall``) into a new temporary folder beside ``dest``: each file is
   created exclusively (``O_EXCL``, ``O_NOFOLLOW``) under a parent whose resolved path is checked, and the bytes
   actually written are counted, per member against its declared size and in all against ``max_bytes`` (an
   archive that lies about sizes is stopped). Only when every member has been written is the content moved into
   ``dest`` by renames. On any error the temporary folder is removed: ``dest`` is left as it was. Files get the
   usual permissions (the archive's modes, setuid or executable bits included, are not copied).

A corrupt, truncated or encrypted archive raises :class:`CorruptArchiveError`.
"""
from __future__ import annotations

import bz2
import contextlib
import errno
import gzip
import lzma
import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .. import validation

__all__ = ["safe_extract", "UnsafeArchiveError", "CorruptArchiveError", "MAX_BYTES", "MAX_MEMBERS"]

MAX_BYTES = 16 * 2**30  # 16 GiB: CelebA's aligned faces unpack to 1.4 GB, horse2zebra to 0.1 GB
MAX_MEMBERS = 1_000_000  # CelebA: 202,599 files
_CHUNK = 1 << 20
_MAX_READ = 16 << 20  # the most tarfile may read at once: a header's metadata, or one _CHUNK of a member
_MAX_NAME = 4096  # characters in a member's path: more than file systems allow
# what reading a damaged archive raises (bz2 and gzip raise OSError; zipfile's CRC check BadZipFile)
_READ_ERRORS = (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, zlib.error, lzma.LZMAError,
                NotImplementedError, RuntimeError)


class UnsafeArchiveError(ValueError):
    """An archive member is a link or special file, would land outside the destination, or exceeds a limit."""


class CorruptArchiveError(ValueError):
    """The archive cannot be read: damaged, truncated, encrypted, or neither a zip nor a tar file."""


@dataclass
class _Member:
    path: PurePosixPath  # where it goes, relative to dest
    is_dir: bool
    size: int  # declared size in bytes (0 for a folder)
    ref: object  # the TarInfo or ZipInfo to read it with


class _Plan:
    """The checked list of members; raises on the first one that may not be extracted."""

    def __init__(self, archive: str, max_bytes: int, max_members: int):
        self.archive, self.max_bytes, self.max_members = archive, max_bytes, max_members
        self.members: list[_Member] = []
        self.kinds: dict[PurePosixPath, str] = {}  # path -> "file" or "dir" (folders implied by paths too)
        self.count = self.total = 0

    def refuse(self, name, why: str) -> UnsafeArchiveError:
        return UnsafeArchiveError(f"{self.archive}: member {_shown(name)} {why}; nothing was extracted")

    def too_many(self) -> UnsafeArchiveError:
        return UnsafeArchiveError(f"{self.archive} has more than max_members={self.max_members:,} members; nothing "
                                  "was extracted. If you trust it, pass a larger max_members.")

    def add(self, name: str, is_dir: bool, size: int, ref) -> None:
        self.count += 1
        if self.count > self.max_members:
            raise self.too_many()
        path = self._clean(name)
        if path is None:  # the archive's own root, "./"
            if is_dir:
                return
            raise self.refuse(name, "has no file name")
        for parent in reversed(path.parents[:-1]):  # every folder above it, outermost first
            if self.kinds.setdefault(parent, "dir") != "dir":
                raise self.refuse(name, f"needs {str(parent)!r} to be a folder, but another member is a file there")
        seen = self.kinds.get(path)
        if seen is not None and (seen == "file" or not is_dir):
            raise self.refuse(name, "has the same path as another member (one would overwrite the other)")
        self.kinds[path] = "dir" if is_dir else "file"
        if size < 0:
            raise CorruptArchiveError(f"{self.archive}: member {name!r} declares a negative size")
        self.total += size
        if self.total > self.max_bytes:
            raise UnsafeArchiveError(
                f"{self.archive} declares more than max_bytes={self.max_bytes:,} bytes of content; nothing was "
                "extracted. If you trust it and have the room, pass a larger max_bytes.")
        self.members.append(_Member(path, is_dir, size, ref))

    def _clean(self, name: str) -> PurePosixPath | None:
        if len(name) > _MAX_NAME:
            raise self.refuse(name, f"has a path longer than {_MAX_NAME} characters")
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if "\x00" in name or "\\" in name or name.startswith("/") or any(re.match(r"[A-Za-z]:", p) for p in parts):
            raise self.refuse(name, "has an absolute or Windows path")
        if ".." in parts:
            raise self.refuse(name, "climbs out with '..'")
        return PurePosixPath(*parts) if parts else None

    def top_level(self) -> list[str]:
        return sorted({m.path.parts[0] for m in self.members})


def _shown(text: str) -> str:
    """``repr(text)``, shortened in the middle when long (crafted names run to thousands of characters)."""
    return repr(text) if len(text) <= 160 else f"{text[:100]!r}...{text[-40:]!r}"


def _scan_tar(tf: tarfile.TarFile, plan: _Plan) -> None:
    while (m := tf.next()) is not None:  # one header at a time: the limits stop a huge archive early
        if m.issym() or m.islnk():
            kind = "a symbolic link" if m.issym() else "a hard link"
            raise plan.refuse(m.name, f"is {kind} (-> {_shown(m.linkname)}); dataset archives need no links")
        if not (m.isreg() or m.isdir()):
            raise plan.refuse(m.name, "is a device or special file")
        plan.add(m.name, m.isdir(), 0 if m.isdir() else m.size, m)


def _scan_zip(zf: zipfile.ZipFile, plan: _Plan) -> None:
    infos = zf.infolist()
    if len(infos) > plan.max_members:
        raise plan.too_many()
    for info in infos:
        if info.flag_bits & 0x1:
            raise CorruptArchiveError(f"{plan.archive}: member {info.filename!r} is encrypted; cannot extract it")
        kind = stat.S_IFMT(info.external_attr >> 16)  # Unix mode bits, where the zip tool stored them
        if kind == stat.S_IFLNK:
            raise plan.refuse(info.filename, "is a symbolic link (Unix mode bits); dataset archives need no links")
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise plan.refuse(info.filename, "is a device or special file (Unix mode bits)")
        is_dir = info.is_dir() or kind == stat.S_IFDIR
        plan.add(info.filename, is_dir, 0 if is_dir else info.file_size, info)


def _inside(root: str, path: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _write(plan: _Plan, content: Path, open_member) -> None:
    """Create every member under ``content`` (a folder only this call writes to), counting the bytes written."""
    root = os.path.realpath(content)
    written = 0
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for m in plan.members:
        target = content.joinpath(*m.path.parts)
        try:
            if m.is_dir:
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if not _inside(root, os.path.realpath(target.parent)):  # cannot happen without links; checked anyway
                raise plan.refuse(str(m.path), "would land outside the destination")
            fd = os.open(target, flags, 0o666)
        except (FileExistsError, NotADirectoryError) as e:  # e.g. 'A.png' and 'a.png' on a case-insensitive disk
            raise plan.refuse(str(m.path), "collides with another member on this file system") from e
        with open(fd, "wb") as out:
            written += _copy(plan, m, open_member, out, plan.max_bytes - written)


def _copy(plan: _Plan, m: _Member, open_member, out, budget: int) -> int:
    n = 0
    try:
        with open_member(m.ref) as src:
            while block := src.read(_CHUNK):
                n += len(block)
                if n > m.size:
                    raise plan.refuse(str(m.path), f"holds more than the {m.size:,} bytes it declares")
                if n > budget:
                    raise UnsafeArchiveError(f"{plan.archive}: more than max_bytes={plan.max_bytes:,} bytes written; "
                                             "nothing was extracted")
                out.write(block)
    except UnsafeArchiveError:
        raise
    except _READ_ERRORS as e:
        raise CorruptArchiveError(f"{plan.archive}: could not read member {str(m.path)!r} ({e}); the archive is "
                                  "damaged or truncated: delete it and download it again. Nothing was extracted."
                                  ) from e
    if n < m.size:
        raise CorruptArchiveError(f"{plan.archive}: member {str(m.path)!r} is truncated ({n:,} of {m.size:,} bytes); "
                                  "nothing was extracted")
    return n


def _rename(src: Path, dst: Path) -> None:
    try:
        os.rename(src, dst)
    except OSError as e:
        if e.errno != errno.EXDEV:
            raise
        shutil.move(os.fspath(src), os.fspath(dst))  # dest on another file system: copy, then delete


def _move_into(content: Path, dest: Path, names: list[str], overwrite: bool) -> None:
    """Move the extracted ``names`` from ``content`` into ``dest``; undo the moves already made if one fails."""
    if not os.path.lexists(dest):
        _rename(content, dest)  # one rename: dest appears complete or not at all
        return
    moved, set_aside = [], []
    try:
        for name in names:
            old = dest / name
            if os.path.lexists(old):
                if not overwrite:
                    raise _exists(dest, [name])
                aside = Path(tempfile.mkdtemp(prefix=f".{name}.replaced-", dir=dest))
                os.rename(old, aside / name)
                set_aside.append((old, aside))
            _rename(content / name, old)
            moved.append(name)
    except BaseException:
        for name in reversed(moved):
            with contextlib.suppress(OSError):
                _rename(dest / name, content / name)
        for old, aside in set_aside:
            with contextlib.suppress(OSError):
                os.rename(aside / old.name, old)
                os.rmdir(aside)
        raise
    for _, aside in set_aside:
        shutil.rmtree(aside, ignore_errors=True)


def _exists(dest: Path, names: list[str]) -> FileExistsError:
    shown = ", ".join(repr(n) for n in names[:5]) + (" ..." if len(names) > 5 else "")
    return FileExistsError(
        f"{shown} already in {os.fspath(dest)!r}: safe_extract does not overwrite. Delete it, extract somewhere "
        "else, or pass overwrite=True to replace it.")


def _open(archive: Path):
    """``(handle, scan, open_member)`` for a zip or a tar (plain, gz, bz2, xz); raises CorruptArchiveError."""
    stack = contextlib.ExitStack()
    try:
        if zipfile.is_zipfile(archive):
            zf = stack.enter_context(zipfile.ZipFile(archive))
            return stack, (lambda plan: _scan_zip(zf, plan)), zf.open
        raw = stack.enter_context(open(archive, "rb"))
        magic = raw.read(6)
        raw.seek(0)
        unpack = {b"\x1f\x8b": lambda f: gzip.GzipFile(fileobj=f, mode="rb"), b"BZh": bz2.BZ2File,
                  b"\xfd7zXZ\x00": lzma.LZMAFile}
        opener = next((f for m, f in unpack.items() if magic.startswith(m)), None)
        stream = stack.enter_context(opener(raw)) if opener else raw
        try:
            tf = stack.enter_context(tarfile.open(fileobj=_Capped(stream, archive.name), mode="r:"))
        except tarfile.ReadError:
            stack.close()
            raise CorruptArchiveError(f"{os.fspath(archive)!r} is neither a zip nor a tar archive") from None
        return stack, (lambda plan: _scan_tar(tf, plan)), tf.extractfile
    except BaseException as e:
        stack.close()
        if isinstance(e, _READ_ERRORS):
            raise _damaged(archive.name, e) from e
        raise


class _Capped:
    """The tar's (decompressed) stream, refusing any single read larger than ``_MAX_READ``. tarfile reads a GNU
    long name or a pax header whole, before any member is returned: a crafted one declaring gigabytes (a few MB
    once compressed) would otherwise fill the memory. Member data is read in ``_CHUNK`` blocks."""

    def __init__(self, f, archive: str):
        self.f, self.archive = f, archive

    def read(self, n=-1):
        if n is None or n < 0 or n > _MAX_READ:
            raise UnsafeArchiveError(f"{self.archive}: a header declares {n:,} bytes of metadata (more than "
                                     f"{_MAX_READ:,}); nothing was extracted")
        return self.f.read(n)

    def seek(self, offset, whence=0):
        return self.f.seek(offset, whence)

    def tell(self):
        return self.f.tell()


def _damaged(archive: str, error) -> CorruptArchiveError:
    return CorruptArchiveError(f"{archive} cannot be read ({error}); the archive is damaged or truncated: delete it "
                               "and download it again. Nothing was extracted.")


def safe_extract(archive: str | os.PathLike, dest: str | os.PathLike, *, overwrite: bool = False,
                 max_bytes: int = MAX_BYTES, max_members: int = MAX_MEMBERS) -> Path:
    """Extract a zip or tar (.tar, .tar.gz, .tgz, .tar.bz2, .tar.xz) archive into ``dest``; return ``dest``.

    All or nothing: the archive's top-level entries appear in ``dest`` (created if missing) only once the whole
    archive has been checked and written; after any error ``dest`` is as it was. See the module docstring.

    Args:
        archive: the archive file.
        dest: the folder to extract into. It may exist; what is already in it stays untouched.
        overwrite: replace top-level entries of ``dest`` that the archive also holds (default: refuse).
        max_bytes: the most bytes the archive may hold, declared and written (default 16 GiB).
        max_members: the most members (files and folders) it may hold (default 1,000,000).

    Raises:
        UnsafeArchiveError: a link, special file, path outside ``dest``, duplicate path, or limit exceeded.
        CorruptArchiveError: not a zip or tar, damaged, truncated or encrypted.
        FileExistsError: ``dest`` already holds one of the archive's top-level entries (without ``overwrite``).
        NotADirectoryError: ``dest`` exists and is not a folder.
    """
    archive = validation.path("archive", archive)
    dest = validation.path("dest", dest)
    overwrite = validation.boolean("overwrite", overwrite)
    max_bytes = validation.positive_int("max_bytes", max_bytes)
    max_members = validation.positive_int("max_members", max_members)
    if not archive.is_file():
        raise FileNotFoundError(f"no archive at {os.fspath(archive)!r}")
    if os.path.lexists(dest) and not dest.is_dir():
        raise NotADirectoryError(f"dest {os.fspath(dest)!r} exists and is not a folder")
    plan = _Plan(archive.name, max_bytes, max_members)
    handle, scan, open_member = _open(archive)
    with handle:
        try:
            scan(plan)
        except (UnsafeArchiveError, CorruptArchiveError):
            raise
        except _READ_ERRORS as e:
            raise _damaged(archive.name, e) from e
        names = plan.top_level()
        if dest.is_dir() and not overwrite:
            clashes = [n for n in names if os.path.lexists(dest / n)]
            if clashes:
                raise _exists(dest, clashes)
        target = Path(os.path.abspath(dest))
        target.parent.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(target.parent).free
        if plan.total > free:
            raise OSError(errno.ENOSPC, f"{archive.name} holds {plan.total:,} bytes but {os.fspath(target.parent)!r} "
                                        f"has only {free:,} bytes free; nothing was extracted")
        try:
            work = Path(tempfile.mkdtemp(prefix=f".{target.name}.extracting-", dir=target.parent))
        except OSError:  # a parent we may not write to (Binder's /home): work inside dest, when it exists
            if not target.is_dir():
                raise
            work = Path(tempfile.mkdtemp(prefix=".extracting-", dir=target))
        try:
            content = work / "content"
            content.mkdir()  # made by mkdir, not mkdtemp: ordinary permissions once moved into place
            _write(plan, content, open_member)
            _move_into(content, target, names, overwrite)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return dest
