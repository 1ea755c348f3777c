"""Download files safely: resumable, atomic, SHA-256 verified. Archives are extracted by :mod:`.archives`.

    path = download(url, "data/train.gz", sha256="ab12...")   # returns the path once verified
    safe_extract("data/archive.zip", "data")                  # all or nothing; refuses links and escapes

While downloading, bytes go to ``<path>.part`` beside the target; the target only appears, by an atomic
rename, once its SHA-256 matches. If the connection drops, the ``.part`` file stays so the next call resumes
with an HTTP Range request (pass ``keep_partial=False`` to remove it instead). A hash mismatch removes it.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

from .archives import CorruptArchiveError, UnsafeArchiveError, safe_extract

__all__ = ["download", "sha256sum", "safe_extract", "DownloadError", "ChecksumError", "UnsafeArchiveError",
           "CorruptArchiveError"]

_HEX64 = re.compile(r"[0-9a-f]{64}")


class DownloadError(OSError):
    """The file could not be fetched (offline, server error); the message says what to do."""


class ChecksumError(ValueError):
    """The downloaded (or existing) file's SHA-256 differs from the expected one."""


def sha256sum(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """The SHA-256 of a file, as 64 lowercase hex digits."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk_size), b""):
            h.update(block)
    return h.hexdigest()


def _check_sha(sha256) -> str:
    if not isinstance(sha256, str) or not _HEX64.fullmatch(sha256.strip().lower()):
        raise ValueError(
            f"sha256 must be the file's expected SHA-256 as 64 hex digits, got {sha256!r}; every download is "
            "verified. Compute it on a trusted copy with `sha256sum FILE` (or gancourse.data.sha256sum)."
        )
    return sha256.strip().lower()


def _offline_message(url, path, sha, reason) -> str:
    return (
        f"could not download {url} ({reason}). If this machine is offline, download the file elsewhere, copy "
        f"it to {os.fspath(path)!r} (its SHA-256 must be {sha}) and call again; it will be verified and used "
        "without the network. The course's offline default needs no download: gancourse.data.load_digits()."
    )


def download(url: str, path: str | os.PathLike, sha256: str, *, timeout: float = 30.0, chunk_size: int = 1 << 16,
             keep_partial: bool = True, progress: bool = False, opener=None) -> Path:
    """Fetch ``url`` to ``path`` unless a verified copy is already there; return ``path``.

    Args:
        url: http(s):// or file:// address.
        path: where the file goes. Its folder is created.
        sha256: expected SHA-256 (64 hex digits). Required: nothing is used unverified.
        timeout: seconds to wait for the server.
        keep_partial: keep ``<path>.part`` after a network failure so the next call resumes (HTTP Range).
        progress: show a tqdm bar.
        opener: function ``(request, timeout) -> response``; default ``urllib.request.urlopen`` (tests swap it).

    Raises:
        ValueError: bad ``sha256``.
        ChecksumError: the file's SHA-256 differs (the bad bytes are removed; an existing file at ``path`` is
            left alone and the message says to delete it).
        DownloadError: offline or the server failed; the message says how to provide the file by hand.
    """
    sha = _check_sha(sha256)
    path = Path(path)
    if path.exists():
        actual = sha256sum(path)
        if actual != sha:
            raise ChecksumError(
                f"{os.fspath(path)!r} exists but its SHA-256 is {actual}, expected {sha}. It is not the expected "
                "file (corrupt, or another version): delete it and call again to download it afresh."
            )
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    opener = opener or urllib.request.urlopen
    try:
        _fetch(url, part, timeout, chunk_size, progress, opener)
    except DownloadError:
        if not keep_partial:
            _remove(part)
        raise
    except urllib.error.HTTPError as e:
        if not keep_partial:
            _remove(part)
        raise DownloadError(f"the server refused {url}: HTTP {e.code} {e.reason}. Check the address.") from e
    except (urllib.error.URLError, OSError) as e:
        if not keep_partial:
            _remove(part)
        reason = getattr(e, "reason", None) or e
        raise DownloadError(_offline_message(url, path, sha, reason)) from e
    except BaseException:
        if not keep_partial:
            _remove(part)
        raise
    actual = sha256sum(part)
    if actual != sha:
        _remove(part)
        raise ChecksumError(
            f"SHA-256 mismatch for {url}: got {actual}, expected {sha}. The download was removed; the file on "
            "the server may have changed or been tampered with, so check the address and the expected hash."
        )
    os.replace(part, path)  # atomic: the target appears complete or not at all
    return path


def _fetch(url, part: Path, timeout, chunk_size, progress, opener) -> None:
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "gancourse"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = opener(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # nothing left to send: the partial file is already complete
            return
        raise
    with response:
        status = getattr(response, "status", None) or response.getcode()
        resumed = have and status == 206
        mode = "ab" if resumed else "wb"  # a server that ignores Range sends everything again (200)
        length = response.headers.get("Content-Length") if response.headers else None
        total = (int(length) + (have if resumed else 0)) if length else None
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, initial=have if resumed else 0, unit="B", unit_scale=True, desc=part.stem)
        try:
            with open(part, mode) as f:
                for block in iter(lambda: response.read(chunk_size), b""):
                    f.write(block)
                    if bar is not None:
                        bar.update(len(block))
                f.flush()
                os.fsync(f.fileno())
        finally:
            if bar is not None:
                bar.close()
        if total is not None and part.stat().st_size < total:
            raise DownloadError(
                f"the connection to {url} closed early: got {part.stat().st_size} of {total} bytes. Call download() "
                "again to resume from there."
            )


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
