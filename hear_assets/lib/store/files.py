"""Atomic file output: write to a temporary path in the same folder, then rename."""

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

TMP_MARK = ".tmp-"


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``path``; rename it onto ``path`` if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f"{TMP_MARK}{os.getpid()}.{path.name}.", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_dir(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder; it replaces ``path`` whole if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_MARK}{os.getpid()}.{path.name}.", dir=path.parent))
    try:
        yield tmp
        old = None
        if path.exists():
            old = path.parent / f"{TMP_MARK}{os.getpid()}.{path.name}.old"
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_text(path: Path, text: str) -> None:
    """Atomically write ``text`` (utf-8) to ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: Path, obj: Any) -> None:
    """Atomically write ``obj`` as indented, key-sorted json."""
    write_text(path, json.dumps(obj, indent=1, sort_keys=True) + "\n")


def write_npy(path: Path, array: np.ndarray) -> None:
    """Atomically write a true ``.npy`` file."""
    with atomic_path(path) as tmp, tmp.open("wb") as f:
        np.save(f, array, allow_pickle=False)


def read_json(path: Path) -> Any:
    """Read a json file."""
    return json.loads(path.read_text(encoding="utf-8"))


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def digest_tree(root: Path, pattern: str = "**/*") -> str:
    """sha256 over the relative paths and contents of every file under ``root`` (sorted)."""
    found = (q for q in root.glob(pattern) if q.is_file() and TMP_MARK not in q.name)
    return digest_of_hashes({str(p.relative_to(root)): sha256_file(p) for p in found})


def digest_of_hashes(hashes: dict[str, str]) -> str:
    """``digest_tree``'s value from ``{relative path: hex sha256 of the file}``: for a writer
    that hashed its bytes as it wrote them (re-reading gigabytes of audio is minutes once
    they no longer fit the page cache)."""
    h = hashlib.sha256()
    for rel in sorted(hashes, key=lambda r: Path(r).parts):
        h.update(rel.encode())
        h.update(hashes[rel].encode())
    return h.hexdigest()


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _writer_alive(name: str) -> bool:
    """Whether the process that made temp entry ``name`` (``.tmp-<pid>.…``) still runs."""
    try:
        pid = int(name[len(TMP_MARK) :].split(".", 1)[0])
    except ValueError:
        return False
    return process_alive(pid)


def clean_temp(root: Path) -> int:
    """Remove temp files and folders left under ``root`` by writers that died; return the count.

    Temp names carry their writer's pid, so a run in progress elsewhere keeps its own.
    """
    if not root.exists():
        return 0
    stale = [p for p in root.rglob(f"{TMP_MARK}*") if not _writer_alive(p.name)]
    stale = [p for p in stale if not any(q in stale for q in p.parents)]
    for p in stale:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    return len(stale)
