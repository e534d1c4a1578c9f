"""Embedding arrays memory-mapped from ``.npy`` files, read without staying resident.

A probe reads each split's embeddings (``np.load(..., mmap_mode="r")``) to standardize them
and then works on the standardized copy. Pages of a mapping that were read count in the
process's resident set until it is unmapped, so a task's raw embeddings would stay resident
beside their copy. ``release`` drops a block of rows from the resident set once it has been
read (the kernel's page cache keeps it; a later read maps it again), so reading a split
costs one block of resident memory, not the split.
"""

import mmap

import numpy as np


def _mapping(x: np.ndarray) -> mmap.mmap | None:
    """The ``mmap`` object ``x``'s memory belongs to, if any."""
    base = x
    while base is not None:
        if isinstance(base, mmap.mmap):
            return base
        base = getattr(base, "base", None)
    return None


def release(x: np.ndarray, start: int = 0, stop: int | None = None) -> None:
    """Drop rows ``[start, stop)`` of ``x`` from this process's resident memory when ``x`` is a
    C-contiguous, read-only memory map of a file (``np.load(path, mmap_mode="r")``, or a view
    of one); anything else is left alone. The values do not change: a later read pages them
    in again from the page cache. Whole pages are dropped, so rows that share a page with the
    block may be paged in again when read."""
    mm = _mapping(x)
    if mm is None or x.flags.writeable or not x.flags.c_contiguous or x.ndim == 0:
        return
    stop = len(x) if stop is None else min(stop, len(x))
    if stop <= start:
        return
    origin = np.frombuffer(mm, np.uint8).__array_interface__["data"][0]
    row = x.strides[0] if x.ndim > 1 else x.itemsize
    begin = x.__array_interface__["data"][0] - origin + start * row
    end = min(begin + (stop - start) * row, len(mm))
    aligned = begin - begin % mmap.PAGESIZE
    if end > aligned:
        mm.madvise(mmap.MADV_DONTNEED, aligned, end - aligned)


def stack_rows(parts: list[np.ndarray]) -> np.ndarray:
    """The rows of ``parts`` as one array; a single part as it is (a memory map stays one,
    not a resident copy)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
