"""Audio standardization as HEAR does it: mono, trim/pad at the native rate, resample, 16-bit.

Resampling is soxr's (python-soxr), as the original kit's ffmpeg ``aresample=resampler=soxr``;
resampy's Kaiser filters stay available by name. Batches of clips are standardized on every
core (threads: soundfile, soxr and numpy release the GIL).
"""

import hashlib
import logging
import os
import shutil
import struct
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.files import TMP_MARK, atomic_dir
from hear_assets.lib.tasks.wavcheck import check_complete
from hear_models.api import HEAR_SAMPLE_RATES

log = logging.getLogger(__name__)
VERSION = "2"  # 2: soxr by default, batches on every core
# Resamplers by name: soxr's recipes (``soxr_hq``: 20-bit precision, ffmpeg's default for
# ``aresample``; ``soxr_vhq``: 28-bit) and resampy's filters. bench/resampling.py measures them.
SOXR_QUALITY = {"soxr_hq": "HQ", "soxr_vhq": "VHQ"}
RESAMPY_FILTERS = ("kaiser_best", "kaiser_fast")
RESAMPLERS = (*SOXR_QUALITY, *RESAMPY_FILTERS)
DEFAULT_FILTER = "soxr_hq"
BATCH_CLIPS = 32  # clips per unit of work (one thread reads, resamples and writes them)


def workers() -> int:
    """Threads for standardization: ``$HEAR_AUDIO_WORKERS``, else the cores this process may use."""
    env = os.environ.get("HEAR_AUDIO_WORKERS", "").strip()
    if env:
        if not env.isdigit() or int(env) < 1:
            raise ValueError(f"HEAR_AUDIO_WORKERS={env!r}: expected a positive integer")
        return int(env)
    return max(1, len(os.sched_getaffinity(0)))


def read_audio(path: Path) -> tuple[np.ndarray, int]:
    """Read any file libsndfile reads as float32 ``(n_samples, n_channels)`` and its rate."""
    try:
        audio, sr = sf.read(path, dtype="float32", always_2d=True)
    except Exception as exc:  # libsndfile raises LibsndfileError, RuntimeError or TypeError
        raise TaskDataError(f"{path}: not a readable audio file ({exc})") from exc
    if audio.shape[0] == 0:
        raise TaskDataError(f"{path}: holds no samples")
    check_complete(path)
    return audio, int(sr)


def to_mono(audio: np.ndarray) -> np.ndarray:
    """Average the channels (ffmpeg's default downmix): ``(n, ch)`` → ``(n,)``."""
    return audio.mean(axis=1) if audio.ndim == 2 else audio


def trim_pad(audio: np.ndarray, n_samples: int) -> np.ndarray:
    """Keep the start; cut the end or append zeros to exactly ``n_samples``."""
    if len(audio) >= n_samples:
        return audio[:n_samples]
    return np.concatenate([audio, np.zeros(n_samples - len(audio), dtype=audio.dtype)])


def resample(
    audio: np.ndarray, sr_in: int, sr_out: int, quality: str = DEFAULT_FILTER
) -> np.ndarray:
    """Band-limited resampling along the last axis (``(n,)`` or ``(clips, n)``); identity when
    the rates agree.

    ``quality`` names the resampler: ``soxr_hq`` (default), ``soxr_vhq``, or resampy's
    ``kaiser_best`` / ``kaiser_fast``. soxr runs in float32 (its native type; the output is
    16-bit).
    """
    if sr_in == sr_out:
        return audio
    if quality in SOXR_QUALITY:
        x = np.ascontiguousarray(np.asarray(audio, dtype=np.float32).T)
        return soxr.resample(x, sr_in, sr_out, quality=SOXR_QUALITY[quality]).T
    if quality in RESAMPY_FILTERS:
        import resampy

        return resampy.resample(audio.astype(np.float64), sr_in, sr_out, filter=quality, axis=-1)
    raise TaskDataError(f"unknown resampler {quality!r}; choose one of {', '.join(RESAMPLERS)}")


def pcm16_bytes(audio: np.ndarray, sample_rate: int) -> bytes:
    """A mono 16-bit PCM WAV file as bytes: samples clipped to [-1, 1), then ``floor(x·32768)``,
    byte for byte what ``soundfile.write(..., subtype="PCM_16")`` writes (a test checks)."""
    x = np.clip(np.asarray(audio, dtype=np.float32), -1.0, 32767 / 32768)
    data = np.floor(x * np.float32(32768)).astype("<i2").tobytes()
    fmt = struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, 2 * sample_rate, 2, 16)
    return b"".join(
        (b"RIFF", struct.pack("<I", 36 + len(data)), b"WAVEfmt ", fmt, b"data",
         struct.pack("<I", len(data)), data)
    )  # fmt: skip


def write_pcm16(path: Path, audio: np.ndarray, sample_rate: int) -> str:
    """Write mono 16-bit PCM to ``path`` in one write (not atomic: for private folders);
    return the hex sha256 of the bytes written."""
    data = pcm16_bytes(audio, sample_rate)
    with open(path, "wb") as fh:
        fh.write(data)
    return hashlib.sha256(data).hexdigest()


def load_mono(src: Path, duration_s: float | None) -> tuple[np.ndarray, int]:
    """One source file → mono, trimmed/padded to ``duration_s`` at its native rate."""
    audio, sr = read_audio(src)
    mono = to_mono(audio)
    if duration_s is not None:
        mono = trim_pad(mono, int(round(duration_s * sr)))
    return mono, sr


def standardize_batch(
    srcs: list[Path], duration_s: float | None, rates: tuple[int, ...], quality: str
) -> list[dict[int, np.ndarray]]:
    """Several source files → for each, ``{rate: float array (n_samples,)}``.

    Clips of one length and rate are resampled together in one call (soxr treats them as
    channels; resampy's per-call cost dominates on short clips); others one by one.
    """
    clips = [load_mono(src, duration_s) for src in srcs]
    shapes = {(len(a), sr) for a, sr in clips}
    if len(shapes) == 1:
        ((_, sr),) = shapes
        stacked = np.stack([a for a, _ in clips])
        per_rate = {rate: resample(stacked, sr, rate, quality) for rate in rates}
        return [{rate: per_rate[rate][i] for rate in rates} for i in range(len(clips))]
    return [{rate: resample(a, sr, rate, quality) for rate in rates} for a, sr in clips]


def standardize_task(
    jobs: list[tuple[Path, str, str]],
    task_dir: Path,
    duration_s: float | None,
    rates: tuple[int, ...] = HEAR_SAMPLE_RATES,
    progress: Callable[[int, int], None] | None = None,
    quality: str = DEFAULT_FILTER,
    present: tuple[int, ...] = (),
    present_root: Path | None = None,
    hashes: dict[str, str] | None = None,
) -> list[Path]:
    """Write ``task_dir/<rate>/<split>/<filename>`` for every ``(src, split, filename)`` job.

    Everything is written into one staging folder first; each ``<rate>/`` folder then replaces
    the old one, so a crash never leaves a rate half-written. Rates in ``present`` are not
    resampled but taken from ``present_root/<rate>/<split>/<filename>`` (imported tasks keep
    the rates they came with). Returns the rate folders; ``hashes``, if given, receives each
    written file's sha256 by its path relative to ``task_dir`` (``files.digest_of_hashes``).
    """
    task_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{TMP_MARK}{os.getpid()}.audio.", dir=task_dir))
    to_resample = tuple(r for r in rates if r not in present)

    written: dict[str, str] = {}

    def one_batch(batch: list[tuple[Path, str, str]]) -> dict[str, str]:
        sums = {}
        outs = standardize_batch([src for src, _, _ in batch], duration_s, to_resample, quality)
        for (_, split, name), out in zip(batch, outs, strict=True):
            for rate in present:
                assert present_root is not None
                kept = present_root / str(rate) / split / name
                audio, sr = load_mono(kept, duration_s)
                if sr != rate:
                    raise TaskDataError(f"{kept}: {sr} Hz, expected {rate} Hz")
                out[rate] = audio
            for rate, audio in out.items():  # the staging folder is private: no temp names
                rel = str(Path(str(rate), split, name))
                sums[rel] = write_pcm16(staging / rel, audio, rate)
        return sums

    try:
        folders = {Path(split, name).parent for _, split, name in jobs}
        for rate in rates:
            for folder in folders:
                (staging / str(rate) / folder).mkdir(parents=True, exist_ok=True)
        batches = [jobs[i : i + BATCH_CLIPS] for i in range(0, len(jobs), BATCH_CLIPS)]
        done = 0
        pool = ThreadPoolExecutor(min(workers(), max(1, len(batches))))
        try:
            for batch, fut in [(b, pool.submit(one_batch, b)) for b in batches]:
                written.update(fut.result())  # in order; the first error stops the task
                done += len(batch)
                if progress:
                    progress(done, len(jobs))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        for rate in rates:
            (staging / str(rate)).mkdir(exist_ok=True)
            with atomic_dir(task_dir / str(rate)) as tmp:
                tmp.rmdir()
                os.replace(staging / str(rate), tmp)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if hashes is not None:
        hashes.update(written)
    return [task_dir / str(rate) for rate in rates]
