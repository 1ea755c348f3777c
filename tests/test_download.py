"""Downloads against a local HTTP server on 127.0.0.1 (no internet); extraction is in test_archives.py."""
import hashlib
import http.server
import os
import socket
import threading

import pytest

from gancourse.data.download import ChecksumError, DownloadError, download, sha256sum
from gancourse.validation import ArgumentError

PAYLOAD = bytes(range(256)) * 40  # 10,240 bytes
SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        srv = self.server
        srv.requests.append(self.headers.get("Range"))
        if self.path != "/file.bin":
            self.send_error(404)
            return
        start = 0
        rng = self.headers.get("Range")
        if rng and srv.wrong_range:  # 206, but from byte 0 instead of the range asked for
            self.send_response(206)
            self.send_header("Content-Range", f"bytes 0-{len(srv.payload) - 1}/{len(srv.payload)}")
        elif rng and srv.honour_range:
            start = int(rng.split("=")[1].split("-")[0])
            if start >= len(srv.payload):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(srv.payload) - 1}/{len(srv.payload)}")
        else:
            self.send_response(200)
        body = srv.payload[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if srv.cut_after is not None:  # drop the connection part-way, once
            self.wfile.write(body[: srv.cut_after])
            srv.cut_after = None
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.payload, srv.requests, srv.cut_after, srv.honour_range, srv.wrong_range = PAYLOAD, [], None, True, False
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}/file.bin"
    yield srv
    srv.shutdown()
    srv.server_close()


def test_download_verifies_and_leaves_no_temporary_file(server, tmp_path):
    path = download(server.url, tmp_path / "sub" / "file.bin", SHA)
    assert path.read_bytes() == PAYLOAD
    assert os.listdir(tmp_path / "sub") == ["file.bin"]
    assert sha256sum(path) == SHA
    # a second call finds the verified file and does not touch the network
    assert download(server.url, path, SHA.upper()) == path
    assert server.requests == [None]


def test_hash_mismatch_is_clear_and_removes_the_bytes(server, tmp_path):
    wrong = "0" * 64
    with pytest.raises(ChecksumError, match=f"SHA-256 mismatch.*got {SHA}, expected {wrong}"):
        download(server.url, tmp_path / "file.bin", wrong)
    assert os.listdir(tmp_path) == []


def test_interrupted_download_leaves_no_target_and_resumes_with_range(server, tmp_path):
    server.cut_after = 3000
    path = tmp_path / "file.bin"
    with pytest.raises(DownloadError):
        download(server.url, path, SHA)
    assert not path.exists()  # never a partial file under the real name
    part = tmp_path / "file.bin.part"
    assert part.read_bytes() == PAYLOAD[:3000]
    download(server.url, path, SHA)
    assert server.requests == [None, "bytes=3000-"]
    assert path.read_bytes() == PAYLOAD and not part.exists()


def test_server_that_ignores_range_restarts_cleanly(server, tmp_path):
    server.honour_range = False
    (tmp_path / "file.bin.part").write_bytes(b"garbage that must be overwritten")
    download(server.url, tmp_path / "file.bin", SHA)
    assert (tmp_path / "file.bin").read_bytes() == PAYLOAD


def test_complete_partial_file_is_finished_without_refetching(server, tmp_path):
    (tmp_path / "file.bin.part").write_bytes(PAYLOAD)  # the server answers 416: nothing left to send
    download(server.url, tmp_path / "file.bin", SHA)
    assert (tmp_path / "file.bin").read_bytes() == PAYLOAD


def test_keep_partial_false_removes_the_part_file(server, tmp_path):
    server.cut_after = 100
    with pytest.raises(DownloadError):
        download(server.url, tmp_path / "file.bin", SHA, keep_partial=False)
    assert os.listdir(tmp_path) == []


def test_offline_error_says_what_to_do(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = tmp_path / "file.bin"
    with pytest.raises(DownloadError, match="offline") as info:
        download(f"http://127.0.0.1:{port}/file.bin", path, SHA, timeout=5)
    msg = str(info.value)
    assert str(path) in msg and SHA in msg and "load_digits" in msg
    assert not path.exists()


def test_http_error_and_bad_arguments(server, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404"):
        download(server.url.replace("file.bin", "missing"), tmp_path / "x", SHA)
    with pytest.raises(ValueError, match="64 hex digits"):
        download(server.url, tmp_path / "x", "abc")
    with pytest.raises(ValueError, match="64 hex digits"):
        download(server.url, tmp_path / "x", None)


def test_existing_wrong_file_is_not_overwritten(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(b"someone else's file")
    with pytest.raises(ChecksumError, match="delete it"):
        download("http://127.0.0.1:9/never", path, SHA)
    assert path.read_bytes() == b"someone else's file"


def test_file_url(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(PAYLOAD)
    out = download(src.as_uri(), tmp_path / "out" / "copy.bin", SHA)
    assert out.read_bytes() == PAYLOAD


def test_a_corrupt_part_file_is_not_blamed_on_the_server(server, tmp_path):
    """A .part left by another file makes the resumed download fail the hash: it starts again from zero."""
    (tmp_path / "file.bin.part").write_bytes(b"not the start of this file")
    path = download(server.url, tmp_path / "file.bin", SHA)
    assert path.read_bytes() == PAYLOAD and os.listdir(tmp_path) == ["file.bin"]
    assert server.requests == ["bytes=26-", None]


def test_a_wrong_file_on_the_server_is_blamed_once_a_fresh_download_fails_too(server, tmp_path):
    (tmp_path / "file.bin.part").write_bytes(PAYLOAD[:100])
    server.payload = PAYLOAD[::-1]
    with pytest.raises(ChecksumError, match="on the server may have changed"):
        download(server.url, tmp_path / "file.bin", SHA)
    assert server.requests == ["bytes=100-", None] and os.listdir(tmp_path) == []


def test_a_range_other_than_the_one_asked_for_restarts_from_zero(server, tmp_path):
    server.wrong_range = True
    (tmp_path / "file.bin.part").write_bytes(PAYLOAD[:100])
    download(server.url, tmp_path / "file.bin", SHA)
    assert (tmp_path / "file.bin").read_bytes() == PAYLOAD and server.requests == ["bytes=100-", None]


@pytest.mark.parametrize("kwargs, name", [
    (dict(url=""), "url"),
    (dict(url=None), "url"),
    (dict(url="ftp://example.org/file.bin"), "url"),
    (dict(url="127.0.0.1/file.bin"), "url"),
    (dict(path=None), "path"),
    (dict(path=""), "path"),
    (dict(sha256=None), "sha256"),
    (dict(sha256="g" * 64), "sha256"),
    (dict(timeout=-1), "timeout"),
    (dict(timeout=0), "timeout"),
    (dict(timeout=float("nan")), "timeout"),
    (dict(timeout="30"), "timeout"),
    (dict(chunk_size=0), "chunk_size"),
    (dict(chunk_size=2.5), "chunk_size"),
    (dict(keep_partial="no"), "keep_partial"),
    (dict(progress=1), "progress"),
])
def test_bad_arguments_are_named_and_nothing_is_written(server, tmp_path, kwargs, name):
    args = dict(url=server.url, path=tmp_path / "file.bin", sha256=SHA) | kwargs
    with pytest.raises(ArgumentError, match=f"^{name} must be"):
        download(**args)
    assert os.listdir(tmp_path) == [] and server.requests == []


def test_a_folder_as_target_is_refused(server, tmp_path):
    with pytest.raises(ArgumentError, match="path must name a file.*is a folder"):
        download(server.url, tmp_path, SHA)
    assert server.requests == []


def test_sha256sum_arguments(tmp_path):
    (tmp_path / "f").write_bytes(PAYLOAD)
    assert sha256sum(tmp_path / "f", chunk_size=7) == SHA
    with pytest.raises(ArgumentError, match="chunk_size"):
        sha256sum(tmp_path / "f", chunk_size=0)
    with pytest.raises(ArgumentError, match="path"):
        sha256sum(None)
