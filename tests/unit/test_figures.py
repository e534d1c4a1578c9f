"""The PNG encoder, read back by an independent decoder, and log-mel spectrograms of known audio."""

import base64
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hear_assets.lib.report import figures


def decode_png(data: bytes) -> tuple[dict, np.ndarray, np.ndarray | None]:
    """Header fields, pixels and palette of an 8-bit, non-interlaced PNG (filters 0-4)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(tag + body) & 0xFFFFFFFF, f"bad CRC in {tag!r}"
        chunks.append((tag, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1] == (b"IEND", b"")
    width, height, depth, ctype, comp, filt, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    header = {"width": width, "height": height, "depth": depth, "color_type": ctype}
    assert (depth, comp, filt, interlace) == (8, 0, 0, 0)
    channels = {0: 1, 2: 3, 3: 1}[ctype]
    raw = zlib.decompress(b"".join(body for tag, body in chunks if tag == b"IDAT"))
    stride = width * channels
    assert len(raw) == height * (stride + 1)
    out = np.zeros((height, stride), np.int64)
    prev = np.zeros(stride, np.int64)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int64)
        row = np.zeros(stride, np.int64)
        for x in range(stride):
            left = row[x - channels] if x >= channels else 0
            up, up_left = prev[x], (prev[x - channels] if x >= channels else 0)
            p = left + up - up_left
            paeth = min(
                (abs(p - left), 0, left), (abs(p - up), 1, up), (abs(p - up_left), 2, up_left)
            )
            pred = [0, left, up, (left + up) // 2, paeth[2]][kind]
            row[x] = (line[x] + pred) % 256
        out[y], prev = row, row
    pixels = out.astype(np.uint8).reshape(
        (height, width, channels) if channels > 1 else (height, width)
    )
    plte = [body for tag, body in chunks if tag == b"PLTE"]
    palette = np.frombuffer(plte[0], np.uint8).reshape(-1, 3) if plte else None
    return header, pixels, palette


@pytest.mark.parametrize("shape", [(5, 7), (4, 3, 3)])
def test_png_decodes_to_the_same_pixels(shape: tuple[int, ...]) -> None:
    pixels = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    header, got, palette = decode_png(figures.encode_png(pixels))
    assert header == {
        "width": shape[1],
        "height": shape[0],
        "depth": 8,
        "color_type": 2 if len(shape) == 3 else 0,
    }
    np.testing.assert_array_equal(got, pixels)
    assert palette is None


def test_palette_png_keeps_indices_and_colours(tmp_path: Path) -> None:
    pixels = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    colours = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255]], np.uint8)
    path = tmp_path / "figs" / "p.png"
    figures.write_png(path, figures.encode_png(pixels, palette=colours))
    header, got, palette = decode_png(path.read_bytes())
    assert header["color_type"] == 3 and (header["width"], header["height"]) == (3, 2)
    np.testing.assert_array_equal(got, pixels)
    np.testing.assert_array_equal(palette, colours)
    assert [p.name for p in path.parent.iterdir()] == ["p.png"]  # no temporary left
    with pytest.raises(ValueError, match="palette"):
        figures.encode_png(np.array([[3]], np.uint8), palette=colours)


def test_viridis_runs_from_dark_blue_to_yellow() -> None:
    cmap = figures.viridis()
    assert cmap.shape == (256, 3) and cmap.dtype == np.uint8
    assert cmap[0].tolist() == [68, 1, 84] and cmap[-1].tolist() == [253, 231, 37]


def test_data_uri_round_trips() -> None:
    uri = figures.data_uri(b"\x89PNG-bytes")
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == b"\x89PNG-bytes"


def test_spectrogram_of_a_1khz_tone_is_brightest_in_the_1khz_band(tmp_path: Path) -> None:
    rate = figures.SPECTROGRAM_RATE
    t = np.arange(rate) / rate
    wav = tmp_path / "tone.wav"
    sf.write(wav, 0.5 * np.sin(2 * np.pi * 1000 * t), rate, subtype="PCM_16")
    db = figures.log_mel(sf.read(wav)[0])
    assert db.shape == (figures.N_MELS, 1 + rate // figures.HOP)
    png = figures.spectrogram_png(wav)
    assert len(png) <= figures.MAX_PNG_BYTES
    header, pixels, palette = decode_png(png)
    assert (header["width"], header["height"]) == (400, 2 * figures.N_MELS)
    np.testing.assert_array_equal(palette, figures.viridis())
    brightest_row = int(np.argmax(pixels.astype(float).mean(axis=1)))
    band = figures.N_MELS - 1 - brightest_row // 2  # low bands at the bottom
    bank = figures.mel_filterbank(rate, figures.N_FFT, figures.N_MELS)
    centre_hz = np.argmax(bank[band]) * rate / figures.N_FFT
    assert abs(centre_hz - 1000) < 100


def test_example_clip_is_the_first_training_file(tmp_path: Path) -> None:
    (tmp_path / "train.json").write_text(json.dumps({"b.wav": ["x"], "a.wav": ["y"]}))
    (tmp_path / "fold00.json").write_text(json.dumps({}))
    (tmp_path / "fold01.json").write_text(json.dumps({"z.wav": []}))
    assert figures.example_clip(tmp_path, ["train"]) == ("train", "a.wav")
    assert figures.example_clip(tmp_path, ["fold00", "fold01"]) == ("fold01", "z.wav")
    assert figures.example_clip(tmp_path, ["fold00"]) is None
