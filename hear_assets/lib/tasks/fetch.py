"""Downloads that resume and verify, and archive extraction that stays inside its target.

``download`` streams a URL (or copies a local file, or fetches the same file name from a mirror)
into ``<dest>.part``, resuming a partial file with an HTTP ``Range`` request, retrying connection
errors, stalls and 5xx/429 answers with exponential back-off, and renames the part onto ``dest``
only once its md5 matches. ``extract`` unpacks zip and tar archives into a temporary sibling of
the target, refusing entries that could write outside it, and renames it when complete.

Only the standard library: no third-party HTTP client, no Dagster.
"""

import hashlib
import logging
import lzma
import os
import posixpath
import shutil
import stat
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from http.client import HTTPException
from pathlib import Path

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.tasks.wavcheck import truncation

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None] | None
CHUNK = 1 << 20
MAX_BACKOFF_S = 60.0
TMP_MARK = ".tmp-"  # the prefix hear_assets.lib.store.files.clean_temp removes
USER_AGENT = "hear-dagster (https://hearbenchmark.com)"
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class TransientError(Exception):
    """A failed attempt worth retrying (connection lost, stall, 5xx, short body)."""


def md5_file(path: Path) -> str:
    """Hex md5 of a file's bytes."""
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def url_file_name(url: str) -> str:
    """The last component of a URL's path (query dropped) or of a local path."""
    name = posixpath.basename(urllib.parse.urlparse(url).path) if "://" in url else Path(url).name
    if not name:
        raise TaskDataError(f"{url}: the URL names no file; give a URL ending in a file name")
    return urllib.parse.unquote(name)


def _local_path(location: str) -> Path | None:
    """A local path for ``file://`` URLs and plain paths; None for http(s) and other schemes."""
    parsed = urllib.parse.urlparse(location)
    if parsed.scheme == "file":
        return Path(urllib.request.url2pathname(parsed.path))
    if "://" in location:
        return None
    return Path(location).expanduser()


def resolve_source(url: str, mirror: str | None) -> str:
    """Where to get ``url``'s file: the URL itself or the same file name under ``mirror``."""
    if not mirror:
        return url
    name = url_file_name(url)
    local = _local_path(mirror)
    if local is not None:
        return str(local / name)
    return mirror.rstrip("/") + "/" + urllib.parse.quote(name)


def _move_aside(path: Path, dest: Path) -> Path:
    bad = dest.with_name(dest.name + ".bad-md5")
    os.replace(path, bad)
    return bad


def _md5_error(dest: Path, source: str, expected: str, actual: str, bad: Path) -> TaskDataError:
    return TaskDataError(
        f"{dest.name}: md5 {actual} but expected {expected} (from {source}); kept aside as "
        f"{bad}; the source changed or the transfer is corrupt: delete it and retry, or point "
        f"HEAR_MIRROR at a folder or URL holding the right {dest.name}"
    )


def download(
    url: str,
    dest: Path,
    md5: str,
    *,
    mirror: str | None = None,
    retries: int = 4,
    backoff_s: float = 0.5,
    timeout_s: float = 30,
    progress: Progress = None,
) -> Path:
    """Fetch ``url`` into ``dest`` and check its md5; return ``dest``.

    Args:
        url: http(s) URL, ``file://`` URL or local path of the file.
        dest: final path; the transfer goes to ``<dest>.part`` (kept to resume after a failure).
        md5: expected hex md5 of the whole file.
        mirror: folder or base URL holding the same file name; used instead of ``url``.
        retries: further attempts after the first on transient errors.
        backoff_s: first back-off; doubled after each failed attempt.
        timeout_s: socket timeout of the connection and of each read (a stall).
        progress: called with (bytes so far, total bytes or 0 when unknown).

    Raises:
        TaskDataError: the md5 differs (the file is moved aside to ``<dest>.bad-md5``), the
            source is missing, or the retries are exhausted.
    """
    dest = Path(dest)
    md5 = md5.lower()
    if dest.is_file():
        if md5_file(dest) == md5:
            return dest
        bad = _move_aside(dest, dest)
        log.warning("%s: md5 differs from %s; moved aside to %s, fetching again", dest, md5, bad)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_suffix(dest.suffix + ".part")
    source = resolve_source(url, mirror)
    local = _local_path(source)
    if local is not None:
        _copy_local(local, part)
        if progress:
            progress(part.stat().st_size, part.stat().st_size)
        actual = md5_file(part)
    else:
        stale = part.is_file() and part.stat().st_size > 0  # left by an earlier run
        _fetch_http(source, part, retries, backoff_s, timeout_s, progress)
        actual = md5_file(part)
        if actual != md5 and stale:
            # The old part may come from another version of the file: start once from zero.
            log.warning("%s: md5 differs after resuming an old part; fetching again", dest)
            part.unlink()
            _fetch_http(source, part, retries, backoff_s, timeout_s, progress)
            actual = md5_file(part)
    if actual != md5:
        raise _md5_error(dest, source, md5, actual, _move_aside(part, dest))
    os.replace(part, dest)
    log.info("fetched %s (md5 ok) from %s", dest, source)
    return dest


def _copy_local(src: Path, part: Path) -> None:
    if not src.is_file():
        raise TaskDataError(f"{src}: no such file; check the path or the HEAR_MIRROR folder")
    shutil.copyfile(src, part)


def _fetch_http(
    url: str, part: Path, retries: int, backoff_s: float, timeout_s: float, progress: Progress
) -> None:
    last: Exception | None = None
    for attempt in range(retries + 1):
        if attempt:
            delay = min(backoff_s * 2 ** (attempt - 1), MAX_BACKOFF_S)
            log.warning("%s: %s; retry %d/%d in %.2f s", url, last, attempt, retries, delay)
            time.sleep(delay)
        try:
            _attempt(url, part, timeout_s, progress)
            return
        except TransientError as exc:
            last = exc
        except (urllib.error.URLError, HTTPException, OSError) as exc:
            last = exc  # connection refused/reset, timeout (a stall), truncated chunk
    raise TaskDataError(
        f"{url}: download failed after {retries + 1} attempts (last error: {last}); the partial "
        f"file {part} is kept and resumed next time; retry later or set HEAR_MIRROR"
    )


def _attempt(url: str, part: Path, timeout_s: float, progress: Progress) -> None:
    """One GET, resuming ``part``; returns when the body is complete."""
    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout_s)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            return  # the part is already whole; its md5 decides
        if exc.code in RETRY_STATUS or exc.code >= 500:
            raise TransientError(f"HTTP {exc.code} {exc.reason}") from exc
        raise TaskDataError(
            f"{url}: HTTP {exc.code} {exc.reason}; the URL is wrong or gone: set HEAR_MIRROR "
            "to a folder or URL holding the file"
        ) from exc
    with response:
        status = response.status
        length = response.headers.get("Content-Length")
        if status == 206:
            start, total = _content_range(response.headers.get("Content-Range", ""))
            if start != offset:
                raise TransientError(f"server resumed at byte {start}, not {offset}")
            mode = "ab"
        elif status == 200:
            if offset:
                log.info("%s: server ignored the Range header; restarting from zero", url)
            offset, mode = 0, "wb"
            total = int(length) if length else None
        else:
            raise TransientError(f"unexpected HTTP status {status}")
        done = offset
        with part.open(mode) as f:
            while True:
                try:
                    block = response.read1(CHUNK)  # what has arrived: kept on a stall
                except TimeoutError as exc:
                    raise TransientError(f"stalled for {timeout_s} s at byte {done}") from exc
                if not block:
                    break
                f.write(block)
                done += len(block)
                if progress:
                    progress(done, total or 0)
    if total is not None and done < total:
        raise TransientError(f"connection closed at byte {done} of {total}")


def _content_range(value: str) -> tuple[int, int | None]:
    """``bytes START-END/TOTAL`` → (START, TOTAL or None)."""
    try:
        unit, spec = value.split(" ", 1)
        span, total = spec.split("/", 1)
        start = int(span.split("-", 1)[0])
    except ValueError as exc:
        raise TransientError(f"unreadable Content-Range '{value}'") from exc
    if unit != "bytes":
        raise TransientError(f"unreadable Content-Range '{value}'")
    return start, None if total.strip() == "*" else int(total)


# ---------------------------------------------------------------- extraction


def is_archive(path: Path) -> bool:
    """Whether ``path`` is a zip or (compressed) tar archive, judged by its content."""
    return zipfile.is_zipfile(path) or _is_tar(path)


def _is_tar(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except (OSError, tarfile.TarError, EOFError):
        return False


def safe_member_path(archive: Path, name: str) -> str | None:
    """The normalized relative path of an entry, None for the archive's root; refuses escapes."""
    clean = name.replace("\\", "/")
    if clean.startswith("/") or (len(clean) > 1 and clean[1] == ":"):
        raise TaskDataError(f"{archive}: refusing entry '{name}' with an absolute path")
    norm = posixpath.normpath(clean)
    if norm == ".." or norm.startswith("../"):
        raise TaskDataError(f"{archive}: refusing entry '{name}' that escapes the target folder")
    return None if norm == "." else norm


def extract(archive: Path, target: Path) -> None:
    """Unpack a zip or tar(.gz/.bz2/.xz) archive into ``target``, atomically.

    Entries with absolute paths, ``..`` components leaving the target, links or devices are
    refused (TaskDataError naming the archive and the entry). Everything goes into a temporary
    sibling folder first, renamed to ``target`` when complete: a failure leaves no target.
    An existing ``target`` is replaced.
    """
    archive, target = Path(archive), Path(target)
    if not archive.is_file():
        raise TaskDataError(f"{archive}: no such archive; download it first")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(
        tempfile.mkdtemp(prefix=f"{TMP_MARK}{os.getpid()}.{target.name}.", dir=target.parent)
    )
    try:
        if zipfile.is_zipfile(archive):
            _extract_zip(archive, tmp)
        elif _is_tar(archive):
            _extract_tar(archive, tmp)
        else:
            raise TaskDataError(
                f"{archive}: not a zip or tar archive; delete it and download again"
            )
        _check_wavs(archive, tmp)
        if target.exists():
            old = target.with_name(f"{TMP_MARK}{os.getpid()}.{target.name}.old")
            os.replace(target, old)
            shutil.rmtree(old, ignore_errors=True)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _check_wavs(archive: Path, root: Path) -> None:
    """Refuse an archive holding a WAVE file shorter than its header declares."""
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() == ".wav" and path.is_file():
            why = truncation(path)
            if why:
                raise TaskDataError(
                    f"{archive}: entry '{path.relative_to(root).as_posix()}' is {why}; "
                    "the archive is damaged: delete it and download again"
                )


def _write_member(root: Path, rel: str, data) -> None:
    out = root / rel
    if not out.resolve().is_relative_to(root.resolve()):
        raise TaskDataError(f"refusing to write {out}: outside {root}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as f:
        shutil.copyfileobj(data, f, CHUNK)


def _extract_zip(archive: Path, root: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            plan = []
            for info in infos:  # check every entry before writing any
                rel = safe_member_path(archive, info.filename)
                kind_bits = stat.S_IFMT(info.external_attr >> 16)  # 0: no unix mode stored
                if kind_bits not in (0, stat.S_IFREG, stat.S_IFDIR):
                    kind = "symlink" if kind_bits == stat.S_IFLNK else "special file"
                    raise TaskDataError(f"{archive}: refusing {kind} entry '{info.filename}'")
                plan.append((info, rel))
            for info, rel in plan:
                if rel is None:
                    continue
                if info.is_dir():
                    (root / rel).mkdir(parents=True, exist_ok=True)
                    continue
                with zf.open(info) as data:
                    _write_member(root, rel, data)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, OSError) as exc:
        raise TaskDataError(
            f"{archive}: cannot extract ({exc}); if it is corrupt, delete it and run again"
        ) from exc


def _extract_tar(archive: Path, root: Path) -> None:
    # Stream mode: one pass over a compressed archive; each entry is checked before it is
    # written, and a refusal discards the temporary folder.
    try:
        with tarfile.open(archive, "r|*") as tf:
            for member in tf:
                rel = safe_member_path(archive, member.name)
                if member.issym() or member.islnk():
                    raise TaskDataError(f"{archive}: refusing link entry '{member.name}'")
                if not (member.isfile() or member.isdir()):
                    raise TaskDataError(f"{archive}: refusing special entry '{member.name}'")
                if rel is None:
                    continue
                if member.isdir():
                    (root / rel).mkdir(parents=True, exist_ok=True)
                    continue
                data = tf.extractfile(member)
                assert data is not None
                _write_member(root, rel, data)
    except (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError) as exc:
        raise TaskDataError(
            f"{archive}: cannot extract ({exc}); if it is corrupt, delete it and run again"
        ) from exc
