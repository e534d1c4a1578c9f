"""Downloads over a loopback HTTP server (resume, retries, stalls, md5) and safe extraction."""

import hashlib
import io
import os
import stat
import tarfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.tasks import fetch

PAYLOAD = bytes(range(256)) * 64  # 16 KiB, every byte value
PAYLOAD_MD5 = hashlib.md5(PAYLOAD).hexdigest()


@dataclass
class ServerState:
    """What the loopback server serves and how it misbehaves (each switch fires once)."""

    files: dict[str, bytes] = field(default_factory=dict)
    drop_after: int | None = None  # close the connection after this many body bytes
    fail_times: int = 0  # answer 500 this many times
    stall_s: float = 0.0  # after 1 KiB of body, sleep this long
    ignore_range: bool = False  # answer 200 with the whole file to a Range request
    requests: list[dict] = field(default_factory=list)


class Handler(BaseHTTPRequestHandler):
    """GET with Range support and the misbehaviours of ``ServerState``."""

    def log_message(self, *args) -> None:
        """Silence the default stderr log."""

    def do_GET(self) -> None:
        st: ServerState = self.server.state  # type: ignore[attr-defined]
        st.requests.append({"path": self.path, "range": self.headers.get("Range")})
        if st.fail_times > 0:
            st.fail_times -= 1
            self.send_error(500, "flaky")
            return
        body = st.files.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404, "not here")
            return
        start, rng = 0, self.headers.get("Range")
        if rng and not st.ignore_range:
            start = int(rng.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        payload = body[start:]
        try:
            if st.stall_s:
                stall, st.stall_s = st.stall_s, 0.0
                self.wfile.write(payload[:1024])
                self.wfile.flush()
                time.sleep(stall)
                payload = payload[1024:]
            if st.drop_after is not None:
                n, st.drop_after = st.drop_after, None
                self.wfile.write(payload[:n])
                return  # HTTP/1.0: the connection closes short of Content-Length
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on a stalled answer


class QuietServer(ThreadingHTTPServer):
    """A threading server that does not print the tracebacks of dropped clients."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """Ignore errors of abandoned connections."""


@pytest.fixture
def server():
    """A loopback server on a free port; yields (base URL, state)."""
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    httpd.state = ServerState(files={"/data.bin": PAYLOAD})  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", httpd.state  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Back-off delays requested by fetch, recorded instead of slept."""
    delays: list[float] = []
    monkeypatch.setattr(fetch.time, "sleep", delays.append)
    return delays


def test_download_writes_dest_and_reports_progress(server, tmp_path: Path) -> None:
    base, st = server
    seen: list[tuple[int, int]] = []
    dest = tmp_path / "dl" / "data.bin"
    assert (
        fetch.download(
            f"{base}/data.bin?download=1",
            dest,
            PAYLOAD_MD5,
            progress=lambda d, t: seen.append((d, t)),
        )
        == dest
    )
    assert dest.read_bytes() == PAYLOAD
    assert not dest.with_suffix(".bin.part").exists()
    assert seen[-1] == (len(PAYLOAD), len(PAYLOAD))
    assert st.requests[0]["range"] is None


def test_interrupted_transfer_resumes_with_range(server, tmp_path: Path, sleeps) -> None:
    base, st = server
    st.drop_after = 5000
    dest = tmp_path / "data.bin"
    fetch.download(f"{base}/data.bin", dest, PAYLOAD_MD5, backoff_s=0.01)
    assert dest.read_bytes() == PAYLOAD
    assert len(st.requests) == 2
    assert st.requests[1]["range"] == "bytes=5000-"
    assert sleeps == [0.01]


def test_part_left_by_an_earlier_run_is_resumed(server, tmp_path: Path) -> None:
    base, st = server
    dest = tmp_path / "data.bin"
    dest.with_suffix(".bin.part").write_bytes(PAYLOAD[:7000])
    fetch.download(f"{base}/data.bin", dest, PAYLOAD_MD5)
    assert dest.read_bytes() == PAYLOAD
    assert [r["range"] for r in st.requests] == ["bytes=7000-"]


def test_stale_part_of_another_file_is_fetched_again_from_zero(server, tmp_path: Path) -> None:
    base, st = server
    dest = tmp_path / "data.bin"
    dest.with_suffix(".bin.part").write_bytes(b"an older version of the archive")
    fetch.download(f"{base}/data.bin", dest, PAYLOAD_MD5)
    assert dest.read_bytes() == PAYLOAD
    assert [r["range"] for r in st.requests] == ["bytes=31-", None]


def test_server_ignoring_range_restarts_from_zero(server, tmp_path: Path, sleeps) -> None:
    base, st = server
    st.ignore_range, st.drop_after = True, 3000
    dest = tmp_path / "data.bin"
    fetch.download(f"{base}/data.bin", dest, PAYLOAD_MD5, backoff_s=0.01)
    assert dest.read_bytes() == PAYLOAD
    assert st.requests[1]["range"] == "bytes=3000-"  # asked to resume, got the whole file


def test_5xx_answers_are_retried_with_exponential_backoff(server, tmp_path: Path, sleeps) -> None:
    base, st = server
    st.fail_times = 2
    dest = tmp_path / "data.bin"
    fetch.download(f"{base}/data.bin", dest, PAYLOAD_MD5, backoff_s=0.05)
    assert dest.read_bytes() == PAYLOAD
    assert len(st.requests) == 3
    assert sleeps == [0.05, 0.1]


def test_exhausted_retries_name_the_url_and_last_error(server, tmp_path: Path, sleeps) -> None:
    base, st = server
    st.fail_times = 100
    with pytest.raises(TaskDataError) as err:
        fetch.download(f"{base}/data.bin", tmp_path / "data.bin", PAYLOAD_MD5, retries=2)
    assert f"{base}/data.bin" in str(err.value) and "HTTP 500" in str(err.value)
    assert len(st.requests) == 3
    assert not (tmp_path / "data.bin").exists()


def test_stall_longer_than_timeout_is_retried_and_resumed(server, tmp_path: Path) -> None:
    base, st = server
    st.stall_s = 1.5
    dest = tmp_path / "data.bin"
    start = time.monotonic()
    fetch.download(f"{base}/data.bin", dest, PAYLOAD_MD5, timeout_s=0.3, backoff_s=0.01)
    assert time.monotonic() - start < 1.4  # did not wait for the stalled answer
    assert dest.read_bytes() == PAYLOAD
    assert st.requests[1]["range"] == "bytes=1024-"


def test_md5_mismatch_keeps_the_file_aside(server, tmp_path: Path) -> None:
    base, st = server
    st.files["/data.bin"] = b"not the corpus" * 100
    dest = tmp_path / "data.bin"
    with pytest.raises(TaskDataError) as err:
        fetch.download(f"{base}/data.bin", dest, PAYLOAD_MD5)
    msg = str(err.value)
    actual = hashlib.md5(b"not the corpus" * 100).hexdigest()
    assert "data.bin" in msg and PAYLOAD_MD5 in msg and actual in msg and "HEAR_MIRROR" in msg
    assert not dest.exists() and not dest.with_suffix(".bin.part").exists()
    assert (tmp_path / "data.bin.bad-md5").read_bytes() == b"not the corpus" * 100


def test_existing_dest_with_right_md5_is_kept(server, tmp_path: Path) -> None:
    base, st = server
    dest = tmp_path / "data.bin"
    dest.write_bytes(PAYLOAD)
    fetch.download(f"{base}/data.bin", dest, PAYLOAD_MD5)
    assert st.requests == []


def test_missing_url_is_not_retried(server, tmp_path: Path) -> None:
    base, st = server
    with pytest.raises(TaskDataError, match="404"):
        fetch.download(f"{base}/gone.zip", tmp_path / "gone.zip", PAYLOAD_MD5)
    assert len(st.requests) == 1


def test_mirror_local_folder_file_url_and_local_path(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "data.bin").write_bytes(PAYLOAD)
    url = "http://unreachable.invalid/files/data.bin?download=1"
    for i, where in enumerate((str(mirror), mirror.as_uri())):
        dest = tmp_path / f"out{i}" / "data.bin"
        fetch.download(url, dest, PAYLOAD_MD5, mirror=where)
        assert dest.read_bytes() == PAYLOAD
    dest = tmp_path / "out2" / "data.bin"
    fetch.download(str(mirror / "data.bin"), dest, PAYLOAD_MD5)
    assert dest.read_bytes() == PAYLOAD
    with pytest.raises(TaskDataError, match="no such file"):
        fetch.download(url, tmp_path / "x.bin", PAYLOAD_MD5, mirror=str(tmp_path / "empty"))


def test_mirror_url_takes_the_file_name(server, tmp_path: Path) -> None:
    base, st = server
    st.files["/mirror/data.bin"] = PAYLOAD
    fetch.download(
        "https://zenodo.org/record/1/files/data.bin?download=1",
        tmp_path / "d.bin",
        PAYLOAD_MD5,
        mirror=f"{base}/mirror/",
    )
    assert [r["path"] for r in st.requests] == ["/mirror/data.bin"]


# ---------------------------------------------------------------- extraction


def make_zip(path: Path, entries: list[tuple[str, bytes, int | None]]) -> Path:
    """Entries (name, data, unix mode or None)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name)
            if mode is not None:
                info.external_attr = mode << 16
            zf.writestr(info, data)
    return path


def make_tar(path: Path, entries: list[tuple[str, bytes, bytes]]) -> Path:
    """Entries (name, data, type: tarfile.REGTYPE, SYMTYPE, LNKTYPE...); links point at data."""
    with tarfile.open(path, "w:gz") as tf:
        for name, data, kind in entries:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                info.linkname = data.decode()
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return path


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def test_extract_zip_and_tar(tmp_path: Path) -> None:
    good = [("./top/a.wav", b"A"), ("top/sub/b.txt", b"B"), ("top/x/../c.txt", b"C")]
    z = make_zip(tmp_path / "g.zip", [(n, d, None) for n, d in good])
    t = make_tar(tmp_path / "g.tar.gz", [(n, d, tarfile.REGTYPE) for n, d in good])
    for archive in (z, t):
        target = tmp_path / "out" / archive.name
        fetch.extract(archive, target)
        assert (target / "top" / "a.wav").read_bytes() == b"A"
        assert (target / "top" / "sub" / "b.txt").read_bytes() == b"B"
        assert (target / "top" / "c.txt").read_bytes() == b"C"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["g.tar.gz", "g.zip"]
    assert fetch.is_archive(z) and fetch.is_archive(t)


BAD_ZIP = {
    "../evil": [("ok.txt", b"ok", None), ("../evil", b"x", None)],
    "/abs": [("ok.txt", b"ok", None), ("/abs", b"x", None)],
    "link": [("ok.txt", b"ok", None), ("link", b"/etc/passwd", stat.S_IFLNK | 0o777)],
}
BAD_TAR = {
    "../evil": [("ok.txt", b"ok", tarfile.REGTYPE), ("../evil", b"x", tarfile.REGTYPE)],
    "/abs": [("ok.txt", b"ok", tarfile.REGTYPE), ("/abs", b"x", tarfile.REGTYPE)],
    "link": [("ok.txt", b"ok", tarfile.REGTYPE), ("link", b"../../evil", tarfile.SYMTYPE)],
    "hard": [("ok.txt", b"ok", tarfile.REGTYPE), ("hard", b"ok.txt", tarfile.LNKTYPE)],
    "dev": [("ok.txt", b"ok", tarfile.REGTYPE), ("dev", b"", tarfile.CHRTYPE)],
}


@pytest.mark.parametrize(
    ("kind", "entry"), [("zip", e) for e in BAD_ZIP] + [("tar", e) for e in BAD_TAR]
)
def test_extract_refuses_escaping_entries(tmp_path: Path, kind: str, entry: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    if kind == "zip":
        archive = make_zip(tmp_path / "bad.zip", BAD_ZIP[entry])
    else:
        archive = make_tar(tmp_path / "bad.tar.gz", BAD_TAR[entry])
    target = work / "deep" / "target"
    with pytest.raises(TaskDataError) as err:
        fetch.extract(archive, target)
    assert archive.name in str(err.value) and entry in str(err.value)
    assert not target.exists()
    assert files_under(work) <= {"deep"}  # not even a temporary folder is left
    assert sorted(os.listdir(tmp_path)) == sorted([archive.name, "work"])


def test_extract_corrupt_archive_leaves_no_target(tmp_path: Path) -> None:
    archive = make_tar(tmp_path / "a.tar.gz", [("f.txt", b"x" * 5000, tarfile.REGTYPE)])
    archive.write_bytes(archive.read_bytes()[:-40])
    target = tmp_path / "t"
    with pytest.raises(TaskDataError, match=r"a\.tar\.gz"):
        fetch.extract(archive, target)
    assert not target.exists() and sorted(os.listdir(tmp_path)) == ["a.tar.gz"]
    plain = tmp_path / "plain.wav"
    plain.write_bytes(b"RIFF" + b"\0" * 100)
    assert not fetch.is_archive(plain)
    with pytest.raises(TaskDataError, match="not a zip or tar"):
        fetch.extract(plain, target)
