"""Atomic file output: write to a temporary path in the same folder, then rename."""

import contextlib
import hashlib
import io
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


class NpyRows:
    """A float32 ``(rows, dim)`` ``.npy`` written a block of rows at a time, so no more than a
    block is held: the bytes ``np.save`` writes for the whole array (the header, whose shape
    is known only at the end, has a fixed 128 bytes for any 2-D shape up to 10**40 rows)."""

    HEADER = 128

    def __init__(self, f, dim: int) -> None:
        self._f, self.dim, self.rows = f, dim, 0
        f.write(b"\0" * self.HEADER)

    def append(self, block: np.ndarray) -> None:
        block = np.ascontiguousarray(block, dtype=np.float32)
        if block.ndim != 2 or block.shape[1] != self.dim:
            raise ValueError(f"rows of shape {block.shape}; expected (n, {self.dim})")
        self._f.write(memoryview(block).cast("B"))
        self.rows += len(block)

    def close(self) -> None:
        header = {"descr": "<f4", "fortran_order": False, "shape": (self.rows, self.dim)}
        buf = io.BytesIO()
        np.lib.format.write_array_header_1_0(buf, header)
        if len(buf.getvalue()) != self.HEADER:
            raise ValueError(f"npy header of {len(buf.getvalue())} bytes, not {self.HEADER}")
        self._f.seek(0)
        self._f.write(buf.getvalue())


@contextlib.contextmanager
def npy_rows(path: Path, dim: int) -> Iterator[NpyRows]:
    """Atomically write a float32 ``(rows, dim)`` ``.npy`` from blocks of rows."""
    with atomic_path(path) as tmp, tmp.open("wb") as f:
        out = NpyRows(f, dim)
        yield out
        out.close()


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
