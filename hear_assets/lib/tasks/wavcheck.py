"""Truncated WAV files: a header that declares more audio than the file holds.

libsndfile reads such a file without complaint (it shortens the data chunk to what is there),
and a standardized clip is then padded with silence, which changes scores without a word. We
read the RIFF header ourselves and refuse the file instead.
"""

import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

from hear_assets.lib.store.errors import TaskDataError

UNSPECIFIED = (0, 0xFFFFFFFF)  # data sizes that streaming writers leave for "until the end"
MAX_CHUNKS = 64  # chunks walked before the data chunk (real files have a handful)


def wave_layout(read_at: Callable[[int, int], bytes]) -> tuple[str, bytes, int, int] | None:
    """Where a RIFF/RIFX WAVE file's audio is: ``(byte order, the fmt chunk's first 16 bytes,
    the data chunk's offset, its declared size)``, walking at most ``MAX_CHUNKS`` chunks.

    ``read_at(pos, n)`` returns up to ``n`` bytes at ``pos`` (a file or bytes in memory). None
    when it is not such a file or no ``fmt`` chunk comes before the ``data`` chunk.
    """
    head = read_at(0, 12)
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
        return None
    order = "<" if head[:4] == b"RIFF" else ">"
    fmt, pos = None, 12
    for _ in range(MAX_CHUNKS):
        chunk = read_at(pos, 8)
        if len(chunk) < 8:
            return None
        chunk_id, chunk_size = chunk[:4], struct.unpack(f"{order}I", chunk[4:])[0]
        if chunk_id == b"fmt ":
            fmt = read_at(pos + 8, 16)
            if len(fmt) < 16:
                return None
        elif chunk_id == b"data":
            return None if fmt is None else (order, fmt, pos + 8, chunk_size)
        pos += 8 + chunk_size + (chunk_size & 1)
    return None


@dataclass(frozen=True)
class WavHeader:
    """What a RIFF/RIFX WAVE file's header says (``encoding`` 1 is integer PCM)."""

    encoding: int
    channels: int
    rate: int
    bits: int
    declared: int  # frames the data chunk declares
    present: int  # frames the file holds

    @property
    def frames(self) -> int:
        """What libsndfile reports: the frames present (of those declared)."""
        return min(self.declared, self.present)


@dataclass(frozen=True)
class WavFacts:
    """A wav's rate, channels, soundfile subtype (``PCM_16`` for 16-bit integer PCM) and frames."""

    rate: int
    channels: int
    subtype: str
    frames: int


def wav_facts(path: Path) -> WavFacts:
    """``WavFacts`` from the RIFF header where the file is plain RIFF/RIFX (a few small reads),
    else from libsndfile (``sf.info``: milliseconds a file, minutes over a 50k-clip task)."""
    head = read_header(path)
    if head is None:
        info = sf.info(path)
        return WavFacts(info.samplerate, info.channels, info.subtype, info.frames)
    subtype = "PCM_16" if head.encoding == 1 and head.bits == 16 else f"{head.bits}-bit"
    return WavFacts(head.rate, head.channels, subtype, head.frames)


def frame_counts(path: Path) -> tuple[int, int] | None:
    """``(declared, present)`` frames of a RIFF/RIFX WAVE file's data chunk.

    None when the file is not such a WAVE file, has no ``fmt``/``data`` chunk before
    ``MAX_CHUNKS`` chunks, or leaves its data size unspecified (0 or 0xFFFFFFFF, as writers
    to a pipe do): there is nothing to compare then, and libsndfile judges the file alone.
    """
    found = read_header(path)
    return None if found is None else (found.declared, found.present)


def read_header(path: Path) -> WavHeader | None:
    """A RIFF/RIFX WAVE file's header, in a few small reads (many times cheaper than opening
    the file with libsndfile); None as ``frame_counts``."""
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as f:

        def read_at(pos: int, n: int) -> bytes:
            f.seek(pos)
            return f.read(n)

        layout = wave_layout(read_at)
    if layout is None:
        return None
    order, fmt, start, declared = layout
    encoding, channels, rate, _, block_align, bits = struct.unpack(f"{order}HHIIHH", fmt)
    if block_align == 0 or rate == 0 or declared in UNSPECIFIED:
        return None
    present = max(0, size - start) // block_align
    return WavHeader(encoding, channels, rate, bits, declared // block_align, present)


def truncation(path: Path) -> str | None:
    """Why ``path`` is a WAVE file cut short of what its header declares, or None."""
    counts = frame_counts(path)
    if counts is None or counts[0] <= counts[1]:
        return None
    return f"truncated: its header declares {counts[0]} frames but the file holds {counts[1]}"


def check_complete(path: Path) -> None:
    """Raise TaskDataError, naming the file and both frame counts, if ``path`` is truncated."""
    why = truncation(path)
    if why:
        raise TaskDataError(f"{path}: {why}; export or download it again")
