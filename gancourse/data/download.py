"""Download files with pooch: SHA-256 verified, atomic, resumable. Archives are extracted by :mod:`.archives`.

    path = download(url, "data/train.gz", sha256="ab12...")   # returns the path once verified
    safe_extract("data/archive.zip", "data")                  # all or nothing; refuses links and escapes

What :func:`download` guarantees:

- **Verified and atomic.** :func:`pooch.retrieve` (the downloader SciPy and scikit-image use) receives the bytes
  in a temporary file beside the target, checks its SHA-256 and only then renames it into place; on a mismatch it
  deletes it. The target never exists half-written or unverified.
- **Never overwrites.** A file already at ``path`` is verified and used without the network; a wrong one raises
  :class:`ChecksumError` and is left alone.
- **Resumable.** pooch's own HTTP downloader cannot resume: it sends no ``Range`` request and its retries start
  from zero. The course's archives reach 1.4 GB (CelebA) over classroom and Binder connections, so this module
  passes pooch a small downloader of its own, built on requests (pooch's HTTP library): bytes go to
  ``<path>.part``, which survives a dropped connection, and the next call asks only for the rest. When it is
  complete the ``.part`` file becomes pooch's temporary file and pooch verifies it as above. If a resumed file
  fails the check (its ``.part`` came from another file), the download runs once more from zero before the server
  is blamed. ``keep_partial=False`` removes the ``.part`` file after a failure instead.
- **Clear errors.** :class:`DownloadError` when offline, refused (HTTP 4xx/5xx) or cut off, saying how to put the
  file in place by hand; :class:`ChecksumError` for a wrong file; :class:`~gancourse.validation.ArgumentError`
  (a ``ValueError``) for a bad argument, naming it.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

from .. import validation
from ..validation import ArgumentError
from .archives import CorruptArchiveError, UnsafeArchiveError, safe_extract

__all__ = ["download", "sha256sum", "safe_extract", "check_sha256", "check_url", "DownloadError", "ChecksumError",
           "UnsafeArchiveError", "CorruptArchiveError"]

_URL = r"(?i)(https?://[^/\s]+(/\S*)?|file:/\S+)"


class DownloadError(OSError):
    """The file could not be fetched (offline, server error); the message says what to do."""


class ChecksumError(ValueError):
    """The downloaded (or existing) file's SHA-256 differs from the expected one."""


def sha256sum(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """The SHA-256 of a file, as 64 lowercase hex digits."""
    path = validation.path("path", path)
    chunk_size = validation.positive_int("chunk_size", chunk_size)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk_size), b""):
            h.update(block)
    return h.hexdigest()


def check_sha256(sha256) -> str:
    """``sha256`` as 64 lowercase hex digits, or an ArgumentError that says how to compute it."""
    validation.string("sha256", sha256, pattern=r"\s*[0-9a-fA-F]{64}\s*", what=(
        "the file's expected SHA-256 as 64 hex digits (every download is verified; compute it on a trusted copy "
        "with `sha256sum FILE` or gancourse.data.download.sha256sum)"))
    return sha256.strip().lower()


def check_url(url) -> str:
    """``url`` when it is an http://, https:// or file:// address, else an ArgumentError."""
    return validation.string("url", url, pattern=_URL, what="an http://, https:// or file:// address")


def _offline_message(url, path, sha, reason) -> str:
    return (
        f"could not download {url} ({reason}). If this machine is offline, download the file elsewhere, copy "
        f"it to {os.fspath(path)!r} (its SHA-256 must be {sha}) and call again; it will be verified and used "
        "without the network. The course's offline default needs no download: gancourse.data.load_digits()."
    )


def download(url: str, path: str | os.PathLike, sha256: str, *, timeout: float = 30.0, chunk_size: int = 1 << 16,
             keep_partial: bool = True, progress: bool = False) -> Path:
    """Fetch ``url`` to ``path`` unless a verified copy is already there; return ``path``.

    Args:
        url: http(s):// or file:// address.
        path: where the file goes (a file name, not a folder). Its folder is created.
        sha256: expected SHA-256 (64 hex digits). Required: nothing is used unverified.
        timeout: seconds to wait for the server (to connect, and between bytes).
        chunk_size: bytes read at a time.
        keep_partial: keep ``<path>.part`` after a network failure so the next call resumes (HTTP Range).
        progress: show a tqdm bar.

    Raises:
        ArgumentError: a bad argument (a ``ValueError``), e.g. ``sha256`` that is not 64 hex digits.
        ChecksumError: the file's SHA-256 differs (the bad bytes are removed; an existing file at ``path`` is
            left alone and the message says to delete it).
        DownloadError: offline or the server failed; the message says how to provide the file by hand.
    """
    url = check_url(url)
    path = validation.path("path", path)
    sha = check_sha256(sha256)
    timeout = validation.positive("timeout", timeout)
    chunk_size = validation.positive_int("chunk_size", chunk_size)
    keep_partial = validation.boolean("keep_partial", keep_partial)
    progress = validation.boolean("progress", progress)
    if path.is_dir():
        raise ArgumentError(f"path must name a file, but {os.fspath(path)!r} is a folder")
    if path.exists():
        actual = sha256sum(path)
        if actual != sha:
            raise ChecksumError(
                f"{os.fspath(path)!r} exists but its SHA-256 is {actual}, expected {sha}. It is not the expected "
                "file (corrupt, or another version): delete it and call again to download it afresh."
            )
        return path
    try:
        import pooch  # imported here: the course runs offline without it
    except ModuleNotFoundError as e:
        raise ModuleNotFoundError("downloads need pooch: pip install 'pooch>=1.8' (in requirements.txt)") from e
    part = path.with_name(path.name + ".part")
    fetch = _Fetch(url, path, sha, part, timeout, chunk_size, progress)
    try:
        for attempt in range(2):
            try:
                pooch.retrieve(url, known_hash=f"sha256:{sha}", fname=path.name, path=path.parent, downloader=fetch)
                return path
            except ValueError as e:  # pooch found the hash wrong and deleted the file
                if fetch.actual is None or fetch.actual == sha:
                    raise
                if fetch.resumed_from and attempt == 0:  # the old .part may be the culprit (it is gone now)
                    continue  # so once more, from zero
                raise ChecksumError(
                    f"SHA-256 mismatch for {url}: got {fetch.actual}, expected {sha}. The download was removed; the "
                    "file on the server may have changed or been tampered with, so check the address and the "
                    "expected hash."
                ) from e
    except BaseException:
        if not keep_partial:
            _remove(part)
        raise


class _Fetch:
    """A pooch downloader that keeps the bytes in ``<path>.part`` and resumes it with an HTTP Range request."""

    def __init__(self, url, path, sha, part: Path, timeout, chunk_size, progress):
        self.url, self.path, self.sha, self.part = url, path, sha, part
        self.timeout, self.chunk_size, self.progress = timeout, chunk_size, progress
        self.actual = None  # SHA-256 of what was handed to pooch
        self.resumed_from = 0  # bytes reused from an earlier attempt

    def __call__(self, url, output_file, pooch_obj) -> None:  # pooch's downloader signature
        self.actual, self.resumed_from = None, 0
        h = hashlib.sha256()
        have = self.part.stat().st_size if self.part.is_file() else 0
        blocks, total, have = self._open_file() if url.lower().startswith("file:") else self._open_http(have)
        if have:
            self.resumed_from = have
            with open(self.part, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
        bar = None
        if self.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, initial=have, unit="B", unit_scale=True, desc=self.path.name)
        size = have
        try:
            with open(self.part, "ab" if have else "wb") as f:
                for block in blocks:
                    f.write(block)
                    h.update(block)
                    size += len(block)
                    if bar is not None:
                        bar.update(len(block))
        finally:
            if bar is not None:
                bar.close()
        if total is not None and size < total:
            raise DownloadError(f"the connection to {url} closed early: got {size:,} of {total:,} bytes. Call "
                                "download() again to resume from there.")
        self.actual = h.hexdigest()
        os.replace(self.part, output_file)  # pooch checks the hash and renames it into place

    def _open_file(self):
        try:
            response = urllib.request.urlopen(self.url, timeout=self.timeout)
        except (urllib.error.URLError, OSError) as e:
            raise DownloadError(_offline_message(self.url, self.path, self.sha, getattr(e, "reason", e))) from e

        def blocks():
            with response:
                yield from iter(lambda: response.read(self.chunk_size), b"")
        return blocks(), None, 0

    def _open_http(self, have: int):
        import requests  # pooch's HTTP library, installed with it

        headers = {"User-Agent": "gancourse", "Accept-Encoding": "identity"}  # identity: Range counts file bytes
        if have:
            headers["Range"] = f"bytes={have}-"
        try:
            r = requests.get(self.url, headers=headers, stream=True, timeout=self.timeout)
        except requests.RequestException as e:
            raise DownloadError(_offline_message(self.url, self.path, self.sha, e)) from e
        if r.status_code == 416 and have:  # nothing left to send: the partial file is already complete
            r.close()
            return iter(()), None, have
        if r.status_code >= 400:
            r.close()
            raise DownloadError(f"the server refused {self.url}: HTTP {r.status_code} {r.reason}. Check the address.")
        start = have if r.status_code == 206 else 0  # a server that ignores Range sends everything again (200)
        if start and not r.headers.get("Content-Range", "").startswith(f"bytes {have}-"):
            r.close()  # a range other than the one asked for: start again from zero
            _remove(self.part)
            return self._open_http(0)
        length = r.headers.get("Content-Length")
        total = start + int(length) if length and length.isdigit() else None
        r.raw.enforce_content_length = False  # else urllib3 drops the last bytes read; a short body is reported below

        def blocks():
            with r:
                try:
                    yield from r.iter_content(self.chunk_size)
                except requests.RequestException as e:
                    raise DownloadError(f"the connection to {self.url} broke ({e}). Call download() again to resume "
                                        "from there.") from e
        return blocks(), total, start


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)
