"""Truncated WAV files are found from their header, which libsndfile quietly shortens."""

import io
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.tasks import fetch
from hear_assets.lib.tasks.standardize import read_audio
from hear_assets.lib.tasks.wavcheck import check_complete, frame_counts


def wav(path: Path, frames: int = 1600, channels: int = 1, subtype: str = "PCM_16") -> Path:
    sf.write(path, np.zeros((frames, channels)), 16000, subtype=subtype)
    return path


def cut(path: Path, keep_bytes: int) -> Path:
    path.write_bytes(path.read_bytes()[:keep_bytes])
    return path


def test_complete_files_have_equal_counts(tmp_path: Path) -> None:
    assert frame_counts(wav(tmp_path / "a.wav")) == (1600, 1600)
    assert frame_counts(wav(tmp_path / "b.wav", 100, 2, "FLOAT")) == (100, 100)
    sf.write(tmp_path / "c.flac", np.zeros(100), 16000)
    assert frame_counts(tmp_path / "c.flac") is None  # not a WAVE file: libsndfile judges it


def test_cut_mid_data_is_refused_naming_both_counts(tmp_path: Path) -> None:
    path = cut(wav(tmp_path / "a.wav"), 44 + 2 * 1000 + 1)  # 1000 whole frames and a byte
    assert sf.info(path).frames == 1000  # what libsndfile reads without a word
    assert frame_counts(path) == (1600, 1000)
    with pytest.raises(TaskDataError, match=r"a\.wav: truncated: .*declares 1600 frames.* 1000"):
        check_complete(path)
    with pytest.raises(TaskDataError, match=r"a\.wav: truncated"):
        read_audio(path)  # task_audio refuses it too


def test_unspecified_data_size_is_not_truncation(tmp_path: Path) -> None:
    """Writers to a pipe leave 0xFFFFFFFF as the data size: nothing to compare."""
    raw = bytearray(wav(tmp_path / "a.wav").read_bytes())
    data = raw.index(b"data")
    raw[data + 4 : data + 8] = struct.pack("<I", 0xFFFFFFFF)
    (tmp_path / "a.wav").write_bytes(bytes(raw))
    assert frame_counts(tmp_path / "a.wav") is None
    check_complete(tmp_path / "a.wav")


def test_an_archive_with_a_truncated_wav_is_not_extracted(tmp_path: Path) -> None:
    good = wav(tmp_path / "good.wav").read_bytes()
    bad = cut(wav(tmp_path / "bad.wav"), 1000).read_bytes()
    archive = tmp_path / "corpus.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        for name, body in (("corpus/good.wav", good), ("corpus/sub/bad.wav", bad)):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tf.addfile(info, io.BytesIO(body))
    target = tmp_path / "extracted"
    with pytest.raises(TaskDataError, match=r"'corpus/sub/bad\.wav' is truncated"):
        fetch.extract(archive, target)
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.wav", "corpus.tar.gz", "good.wav"]


@pytest.mark.parametrize(
    ("rate", "channels", "subtype"),
    [(16000, 1, "PCM_16"), (48000, 2, "PCM_16"), (22050, 1, "FLOAT"), (44100, 1, "PCM_24")],
)
def test_the_header_says_what_libsndfile_says(
    tmp_path: Path, rate: int, channels: int, subtype: str
) -> None:
    from hear_assets.lib.tasks.wavcheck import wav_facts

    path = tmp_path / "a.wav"
    sf.write(path, np.zeros((rate // 10, channels)), rate, subtype=subtype)
    info = sf.info(path)
    facts = wav_facts(path)
    assert (facts.rate, facts.channels, facts.frames) == (
        info.samplerate,
        info.channels,
        info.frames,
    )
    assert (facts.subtype == "PCM_16") == (info.subtype == "PCM_16")
    cut(path, path.stat().st_size - 2 * channels * 10)  # libsndfile counts what is there
    assert wav_facts(path).frames == sf.info(path).frames
