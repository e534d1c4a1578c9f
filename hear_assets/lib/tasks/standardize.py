"""Audio standardization as HEAR does it: mono, trim/pad at the native rate, resample, 16-bit."""

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import resampy
import soundfile as sf

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.files import TMP_MARK, atomic_dir, atomic_path
from hear_assets.lib.tasks.wavcheck import check_complete
from hear_models.api import HEAR_SAMPLE_RATES

log = logging.getLogger(__name__)
VERSION = "1"
DEFAULT_FILTER = "kaiser_best"
BATCH_CLIPS = 64  # clips resampled per resampy call


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
    """resampy's band-limited sinc resampling; identity when the rates agree.

    ``quality`` is resampy's filter: ``kaiser_best`` (default, for real tasks) or
    ``kaiser_fast`` (about 4x faster; the built-in synthetic tasks use it).
    """
    if sr_in == sr_out:
        return audio
    return resampy.resample(audio.astype(np.float64), sr_in, sr_out, filter=quality, axis=-1)


def write_wav(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    """Atomically write mono 16-bit PCM; samples are clipped to [-1, 1)."""
    clipped = np.clip(audio, -1.0, 32767 / 32768).astype(np.float32)
    with atomic_path(path) as tmp:
        sf.write(tmp, clipped, sample_rate, subtype="PCM_16", format="WAV")


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

    Clips of one length and rate are resampled together in one call (resampy's per-call cost
    dominates on short clips); others one by one.
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
) -> list[Path]:
    """Write ``task_dir/<rate>/<split>/<filename>`` for every ``(src, split, filename)`` job.

    Everything is written into one staging folder first; each ``<rate>/`` folder then replaces
    the old one, so a crash never leaves a rate half-written. Rates in ``present`` are not
    resampled but taken from ``present_root/<rate>/<split>/<filename>`` (imported tasks keep
    the rates they came with). Returns the rate folders.
    """
    task_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{TMP_MARK}{os.getpid()}.audio.", dir=task_dir))
    try:
        for first in range(0, len(jobs), BATCH_CLIPS):
            batch = jobs[first : first + BATCH_CLIPS]
            to_resample = tuple(r for r in rates if r not in present)
            outs = standardize_batch([src for src, _, _ in batch], duration_s, to_resample, quality)
            for (_, split, name), out in zip(batch, outs, strict=True):
                for rate in present:
                    assert present_root is not None
                    kept = present_root / str(rate) / split / name
                    audio, sr = load_mono(kept, duration_s)
                    if sr != rate:
                        raise TaskDataError(f"{kept}: {sr} Hz, expected {rate} Hz")
                    out[rate] = audio
                for rate, audio in out.items():
                    write_wav(staging / str(rate) / split / name, audio, rate)
            if progress:
                progress(first + len(batch), len(jobs))
        for rate in rates:
            (staging / str(rate)).mkdir(exist_ok=True)
            with atomic_dir(task_dir / str(rate)) as tmp:
                tmp.rmdir()
                os.replace(staging / str(rate), tmp)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [task_dir / str(rate) for rate in rates]
