"""Audio standardization: the resamplers against an analytic reference, and the threaded task
writer (same bytes whatever the threads, nothing half-written on a bad file)."""

import hashlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.files import digest_of_hashes, digest_tree
from hear_assets.lib.tasks import standardize

RATES = (16000, 22050, 32000, 44100, 48000)


def tones(sr: int, seconds: float, freqs: np.ndarray, phases: np.ndarray) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return 0.1 * np.sin(2 * np.pi * freqs[:, None] * t[None, :] + phases[:, None]).sum(axis=0)


def error_db(y: np.ndarray, ref: np.ndarray, sr: int) -> float:
    """Error energy relative to the reference's, edges (50 ms) left out."""
    m, n = int(0.05 * sr), min(len(y), len(ref))
    d = y[m : n - m] - ref[m : n - m]
    return float(10 * np.log10(np.mean(d**2) / np.mean(ref[m : n - m] ** 2)))


@pytest.mark.parametrize(
    ("quality", "ceiling_db"), [("soxr_hq", -70), ("soxr_vhq", -70), ("kaiser_best", -50)]
)
@pytest.mark.parametrize("sr_in", [44100, 48000])
def test_resamplers_match_the_analytic_signal_and_reject_what_would_alias(
    quality: str, ceiling_db: float, sr_in: int
) -> None:
    rng = np.random.default_rng(1)
    freqs = rng.uniform(50, 0.85 * 8000, 6)  # below every target's Nyquist
    phases = rng.uniform(0, 2 * np.pi, 6)
    x = tones(sr_in, 1.0, freqs, phases)
    for sr_out in RATES:
        y = standardize.resample(x, sr_in, sr_out, quality)
        assert len(y) == int(round(sr_out * len(x) / sr_in))
        if sr_out != sr_in:
            assert error_db(y, tones(sr_out, 1.0, freqs, phases), sr_out) < ceiling_db
    # A tone above 16 kHz's Nyquist must not fold back into the band.
    high = tones(sr_in, 1.0, np.array([10_000.0]), np.zeros(1))
    folded = standardize.resample(high, sr_in, 16000, quality)[800:-800]
    assert 10 * np.log10(np.mean(folded**2) / np.mean(high**2)) < -60


def test_an_unknown_resampler_is_named_with_the_choices() -> None:
    with pytest.raises(TaskDataError, match=r"unknown resampler 'sinc'.*soxr_hq"):
        standardize.resample(np.zeros(100), 44100, 16000, "sinc")


def _sources(root: Path, n: int) -> list[tuple[Path, str, str]]:
    """``n`` clips of mixed rates, lengths and channel counts."""
    rng = np.random.default_rng(0)
    jobs = []
    for i in range(n):
        sr = (44100, 48000, 22050)[i % 3]
        ch = 1 + i % 2
        audio = 0.3 * rng.standard_normal((int(sr * (0.4 + 0.05 * (i % 7))), ch))
        path = root / f"src{i:03d}.wav"
        sf.write(path, audio.astype(np.float32), sr, subtype="PCM_16")
        jobs.append((path, "train" if i % 4 else "test", f"clip{i:03d}.wav"))
    return jobs


def _tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*.wav")):
        h.update(str(p.relative_to(folder)).encode() + p.read_bytes())
    return h.hexdigest()


def test_every_clip_at_every_rate_and_the_same_bytes_with_one_or_three_threads(
    tmp_path: Path, monkeypatch
) -> None:
    (tmp_path / "src").mkdir()
    jobs = _sources(tmp_path / "src", 2 * standardize.BATCH_CLIPS + 5)
    digests, seen = [], []
    for threads in ("1", "3"):
        monkeypatch.setenv("HEAR_AUDIO_WORKERS", threads)
        out = tmp_path / f"task{threads}"
        seen.clear()
        hashes: dict[str, str] = {}
        standardize.standardize_task(
            jobs, out, 0.5, progress=lambda done, total: seen.append((done, total)), hashes=hashes
        )
        digests.append(_tree_digest(out))
        # the digest of the bytes as written is the one of the files read back
        assert len(hashes) == len(jobs) * len(RATES)
        assert digest_of_hashes(hashes) == digest_tree(out, "[0-9]*/**/*.wav")
        for rate in RATES:
            for _, split, name in jobs:
                info = sf.info(out / str(rate) / split / name)
                assert (info.samplerate, info.channels, info.frames) == (rate, 1, rate // 2)
                assert info.subtype == "PCM_16"
        assert sorted(p.name for p in out.iterdir()) == sorted(str(r) for r in RATES)
    assert digests[0] == digests[1]
    assert seen[-1] == (len(jobs), len(jobs))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_a_bad_file_stops_the_task_and_leaves_the_old_audio_whole(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("HEAR_AUDIO_WORKERS", "2")
    (tmp_path / "src").mkdir()
    jobs = _sources(tmp_path / "src", 3 * standardize.BATCH_CLIPS)
    out = tmp_path / "task"
    standardize.standardize_task(jobs[:10], out, 0.5)
    before = _tree_digest(out)
    bad = tmp_path / "src" / "broken.wav"
    bad.write_bytes(b"RIFF....WAVEfmt not audio")
    jobs[40] = (bad, "train", "broken.wav")
    with pytest.raises(TaskDataError, match=r"broken\.wav"):
        standardize.standardize_task(jobs, out, 0.5)
    assert _tree_digest(out) == before
    assert sorted(p.name for p in out.iterdir()) == sorted(str(r) for r in RATES)


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_hear_audio_workers_must_be_a_positive_integer(monkeypatch, value: str) -> None:
    monkeypatch.setenv("HEAR_AUDIO_WORKERS", value)
    with pytest.raises(ValueError, match="HEAR_AUDIO_WORKERS"):
        standardize.workers()


def test_wav_bytes_are_what_soundfile_writes(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    edges = [-1.5, -1.0, -1 / 32768, -0.5 / 32768, 0.0, 0.5 / 32768, 32767 / 32768, 1.0, 2.0]
    x = np.concatenate([rng.uniform(-1.2, 1.2, 50_000), edges]).astype(np.float32)
    sf.write(tmp_path / "ref.wav", np.clip(x, -1.0, 32767 / 32768), 22050, subtype="PCM_16")
    assert standardize.pcm16_bytes(x, 22050) == (tmp_path / "ref.wav").read_bytes()


def test_the_fast_wav_reader_reads_what_soundfile_reads_or_declines(tmp_path: Path) -> None:
    from hear_assets.lib.embedding.embed import load_wav, read_pcm16

    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (3001, 2)).astype(np.float32)
    cases = {
        "mono.wav": (x[:, :1], "PCM_16"),
        "stereo.wav": (x, "PCM_16"),
        "float.wav": (x[:, :1], "FLOAT"),
        "pcm24.wav": (x[:, :1], "PCM_24"),
    }
    for name, (audio, subtype) in cases.items():
        sf.write(tmp_path / name, audio, 22050, subtype=subtype)
    with sf.SoundFile(tmp_path / "tagged.wav", "w", 22050, 1, "PCM_16") as fh:
        fh.title = "a LIST chunk"  # metadata chunk around the data
        fh.write(x[:, 0])
    for name in ("mono.wav", "stereo.wav", "tagged.wav"):
        audio, sr = read_pcm16(tmp_path / name)
        ref, ref_sr = sf.read(tmp_path / name, dtype="float32", always_2d=True)
        assert sr == ref_sr == 22050
        np.testing.assert_array_equal(audio, ref)
    assert read_pcm16(tmp_path / "float.wav") is None
    assert read_pcm16(tmp_path / "pcm24.wav") is None
    truncated = (tmp_path / "mono.wav").read_bytes()[:-100]
    (tmp_path / "cut.wav").write_bytes(truncated)
    assert read_pcm16(tmp_path / "cut.wav") is None
    (tmp_path / "junk.wav").write_bytes(b"not a wav at all")
    assert read_pcm16(tmp_path / "junk.wav") is None
    with pytest.raises(TaskDataError, match="junk"):
        load_wav(tmp_path / "junk.wav", 22050)
    with pytest.raises(TaskDataError, match="2 channel"):
        load_wav(tmp_path / "stereo.wav", 22050)
    np.testing.assert_array_equal(load_wav(tmp_path / "float.wav", 22050), x[:, 0])
