"""Downloads and extraction, against a local HTTP server on 127.0.0.1 and archives built here (no internet)."""
import hashlib
import http.server
import io
import os
import socket
import tarfile
import threading
import zipfile

import pytest

from gancourse.data.download import (
    ChecksumError, DownloadError, UnsafeArchiveError, download, safe_extract, sha256sum,
)

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
        if rng and srv.honour_range:
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
    srv.payload, srv.requests, srv.cut_after, srv.honour_range = PAYLOAD, [], None, True
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
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
    def no_network(*a, **k):
        raise AssertionError("network used")
    assert download(server.url, path, SHA.upper(), opener=no_network) == path


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


# ------------------------------------------------------------------------------------------------- extraction
def _zip(path, names):
    with zipfile.ZipFile(path, "w") as zf:
        for name in names:
            zf.writestr(name, b"data:" + name.encode())
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


def _link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info, None


def test_safe_extract_zip_and_tar(tmp_path):
    z = _zip(tmp_path / "a.zip", ["img/a.png", "img/sub/b.png"])
    out = safe_extract(z, tmp_path / "z")
    assert (out / "img" / "sub" / "b.png").read_bytes() == b"data:img/sub/b.png"
    t = _tar(tmp_path / "a.tar.gz", [_file("d/one.txt", b"1"), _link("d/alias", "one.txt")])
    out = safe_extract(t, tmp_path / "t")
    assert (out / "d" / "one.txt").read_bytes() == b"1"
    assert os.readlink(out / "d" / "alias") == "one.txt"


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "/tmp/evil_abs.txt", "C:/evil.txt"])
def test_zip_traversal_is_refused_before_writing(tmp_path, name):
    z = _zip(tmp_path / "bad.zip", ["ok.txt", name])
    with pytest.raises(UnsafeArchiveError):
        safe_extract(z, tmp_path / "out")
    assert os.listdir(tmp_path / "out") == []  # nothing written, not even the good member
    assert not (tmp_path / "evil.txt").exists()


@pytest.mark.parametrize("member", [
    _file("../evil.txt"),
    _file("/abs/evil.txt"),
    _link("escape", "../../outside"),
    _link("abs", "/etc/passwd"),
    _link("hard", "../outside", kind=tarfile.LNKTYPE),
])
def test_tar_traversal_and_outside_links_are_refused(tmp_path, member):
    t = _tar(tmp_path / "bad.tar", [_file("ok.txt"), member], mode="w")
    with pytest.raises(UnsafeArchiveError):
        safe_extract(t, tmp_path / "out")
    assert os.listdir(tmp_path / "out") == []


def test_tar_device_files_are_refused(tmp_path):
    info = tarfile.TarInfo("dev")
    info.type = tarfile.CHRTYPE
    t = _tar(tmp_path / "dev.tar", [(info, None)], mode="w")
    with pytest.raises(UnsafeArchiveError, match="device"):
        safe_extract(t, tmp_path / "out")


def test_not_an_archive(tmp_path):
    p = tmp_path / "plain.txt"
    p.write_text("hello")
    with pytest.raises(ValueError, match="neither a zip nor a tar"):
        safe_extract(p, tmp_path / "out")
    with pytest.raises(FileNotFoundError):
        safe_extract(tmp_path / "none.zip", tmp_path / "out")
