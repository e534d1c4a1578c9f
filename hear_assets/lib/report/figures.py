"""Small figures without a plotting library: a PNG encoder, a colour map and log-mel images.

The UI shows them inline as ``data:`` URIs inside markdown metadata, so they are kept to a few
tens of kilobytes: a palette PNG (one byte per pixel) whose repeated rows compress to nothing.
"""

import base64
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import soundfile as sf

from hear_assets.lib.store.files import atomic_path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Five anchors of matplotlib's viridis; the palette interpolates linearly between them.
VIRIDIS_ANCHORS = np.array(
    [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], np.float64
)
SPECTROGRAM_RATE = 16000
N_FFT, HOP, N_MELS = 512, 160, 64  # 32 ms window, 10 ms hop at 16 kHz
TOP_DB = 80.0
MAX_SECONDS = 10.0
MAX_PNG_BYTES = 48_000  # inline in the UI's metadata: keep it small


def _chunk(tag: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + tag
        + data
        + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    )


def encode_png(pixels: np.ndarray, palette: np.ndarray | None = None) -> bytes:
    """PNG bytes of an 8-bit image.

    Args:
        pixels: ``(H, W)`` uint8 (grey, or palette indices when ``palette`` is given) or
            ``(H, W, 3)`` uint8 RGB.
        palette: ``(n <= 256, 3)`` uint8 RGB colours indexed by ``pixels``.

    Every row uses PNG's "Up" filter (difference to the row above), so rows repeated by
    upscaling compress to almost nothing.
    """
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    if pixels.ndim == 3 and pixels.shape[2] == 3 and palette is None:
        color_type = 2
    elif pixels.ndim == 2:
        color_type = 0 if palette is None else 3
    else:
        raise ValueError(f"pixels of shape {pixels.shape}: expected (H, W) or (H, W, 3)")
    height, width = pixels.shape[:2]
    rows = pixels.reshape(height, -1)
    up = rows.copy()
    up[1:] = rows[1:] - rows[:-1]  # uint8 arithmetic wraps modulo 256, as PNG's filter does
    raw = np.hstack([np.full((height, 1), 2, np.uint8), up]).tobytes()
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    parts = [PNG_SIGNATURE, _chunk(b"IHDR", header)]
    if palette is not None:
        pal = np.asarray(palette, dtype=np.uint8)
        if pal.ndim != 2 or pal.shape[1] != 3 or not 0 < len(pal) <= 256:
            raise ValueError(f"palette of shape {pal.shape}: expected (n <= 256, 3)")
        if int(pixels.max(initial=0)) >= len(pal):
            raise ValueError(f"pixel index {int(pixels.max())} outside a {len(pal)}-colour palette")
        parts.append(_chunk(b"PLTE", pal.tobytes()))
    parts += [_chunk(b"IDAT", zlib.compress(raw, 9)), _chunk(b"IEND", b"")]
    return b"".join(parts)


def viridis(n: int = 256) -> np.ndarray:
    """``(n, 3)`` uint8 colours from dark blue (0) to yellow (n - 1)."""
    pos = np.linspace(0, len(VIRIDIS_ANCHORS) - 1, n)
    cols = [
        np.interp(pos, np.arange(len(VIRIDIS_ANCHORS)), VIRIDIS_ANCHORS[:, c]) for c in range(3)
    ]
    return np.round(np.stack(cols, axis=1)).astype(np.uint8)


def data_uri(png: bytes, mime: str = "image/png") -> str:
    """``data:<mime>;base64,...`` for inline markdown images."""
    return f"data:{mime};base64,{base64.b64encode(png).decode('ascii')}"


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """``(n_mels, n_fft // 2 + 1)`` triangular HTK-mel filters from 0 Hz to Nyquist."""

    def mel(hz):
        return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)

    def hz(m):
        return 700.0 * (10.0 ** (np.asarray(m) / 2595.0) - 1.0)

    edges = hz(np.linspace(0.0, mel(sample_rate / 2), n_mels + 2))
    freqs = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rise = (freqs - lower) / (centre - lower)
    fall = (upper - freqs) / (upper - centre)
    return np.maximum(0.0, np.minimum(rise, fall))


def log_mel(audio: np.ndarray, sample_rate: int = SPECTROGRAM_RATE) -> np.ndarray:
    """``(N_MELS, frames)`` float64 log-mel power in dB (``frames = 1 + len // HOP``)."""
    audio = np.asarray(audio, dtype=np.float64)
    padded = np.pad(audio, (N_FFT // 2, N_FFT // 2), mode="constant")
    frames = 1 + (len(padded) - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(frames)[:, None]
    spec = np.abs(np.fft.rfft(padded[idx] * np.hanning(N_FFT), axis=1)) ** 2
    mels = mel_filterbank(sample_rate, N_FFT, N_MELS) @ spec.T
    return 10.0 * np.log10(np.maximum(mels, 1e-10))


def spectrogram_pixels(db: np.ndarray, width: int = 400, row_repeat: int = 2) -> np.ndarray:
    """Palette indices ``(n_mels * row_repeat, width)`` of a dB image: low bands at the bottom,
    the loudest ``TOP_DB`` decibels spread over 0..255, time stretched or squeezed to ``width``."""
    top = float(db.max()) if db.size else 0.0
    scaled = np.clip((db - (top - TOP_DB)) / TOP_DB, 0.0, 1.0)
    cols = (np.arange(width) * db.shape[1]) // width
    img = np.round(scaled[::-1, cols] * 255).astype(np.uint8)
    return np.repeat(img, row_repeat, axis=0)


def spectrogram_png(wav: Path, widths: tuple[int, ...] = (400, 240, 120)) -> bytes:
    """A log-mel spectrogram PNG of the first ``MAX_SECONDS`` of a 16 kHz mono wav, at the
    first of ``widths`` that fits in ``MAX_PNG_BYTES`` (else the narrowest)."""
    audio, rate = sf.read(wav, dtype="float32", frames=int(MAX_SECONDS * SPECTROGRAM_RATE))
    if rate != SPECTROGRAM_RATE:
        raise ValueError(f"{wav}: {rate} Hz, expected {SPECTROGRAM_RATE} Hz")
    if audio.ndim > 1:
        audio = audio.mean(axis=1)
    db = log_mel(audio)
    png = b""
    for width in widths:
        png = encode_png(spectrogram_pixels(db, width), palette=viridis())
        if len(png) <= MAX_PNG_BYTES:
            break
    return png


def example_clip(task_dir: Path, splits: list[str]) -> tuple[str, str] | None:
    """The clip a task is illustrated by: the first file (by name) of ``train``, else of the
    first split that has one; None for a task without clips."""
    order = (["train"] if "train" in splits else []) + [s for s in splits if s != "train"]
    for split in order:
        names = sorted(json.loads((task_dir / f"{split}.json").read_text()))
        if names:
            return split, names[0]
    return None


def write_png(path: Path, png: bytes) -> None:
    """Atomically write PNG bytes to ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(png)
