"""The spoken-words generator: espeak-ng voices in noise, deterministic from the seed."""

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.tasks import TaskSpec, speech
from hear_assets.lib.tasks.synthetic import generate

ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(
    ESPEAK is None and not os.environ.get("CI"),
    reason="espeak-ng not installed (.ci/run installs it)",
)


def spec(**params) -> TaskSpec:
    return TaskSpec(
        name="words",
        task_type="scene",
        prediction_type="multiclass",
        sample_duration=1.0,
        evaluation=("top1_acc",),
        source_sample_rate=16000,
        params={"generator": "spoken_words", "seed": 3, "per_class": 5,
                "words": ["yes", "no"], **params},
    )  # fmt: skip


@needs_espeak
def test_words_are_spoken_placed_and_noisy(tmp_path: Path) -> None:
    generate(spec(snr_db=[10.0, 10.0]), tmp_path / "a")
    clips = pd.read_csv(tmp_path / "a" / "clips.csv")
    assert len(clips) == 10 and sorted(clips["label"].unique()) == ["no", "yes"]
    assert sorted(clips["split"].value_counts().to_dict().items()) == [
        ("test", 2), ("train", 6), ("valid", 2)
    ]  # fmt: skip
    for name in clips["filename"]:
        audio, sr = sf.read(tmp_path / "a" / "audio" / name)
        assert sr == 16000 and audio.shape == (16000,)
        assert 0.25 < np.abs(audio).max() <= 0.95
        # Speech is louder than the noise floor at 10 dB SNR: the loudest 100 ms carry much
        # more energy than the quietest.
        frames = (audio[: 16000 // 1600 * 1600].reshape(-1, 1600) ** 2).mean(axis=1)
        assert frames.max() > 5 * frames.min() > 0
    # Deterministic from the seed; another seed gives other clips.
    generate(spec(snr_db=[10.0, 10.0]), tmp_path / "b")
    first = clips["filename"].iloc[0]
    assert (tmp_path / "a/audio" / first).read_bytes() == (
        tmp_path / "b/audio" / first
    ).read_bytes()
    generate(spec(snr_db=[10.0, 10.0], seed=4), tmp_path / "c")
    assert (tmp_path / "a/audio" / first).read_bytes() != (
        tmp_path / "c/audio" / first
    ).read_bytes()
    assert "espeak_ng" in (tmp_path / "a" / "speech.json").read_text()


@needs_espeak
def test_a_word_longer_than_the_clip_is_cut_to_it(tmp_path: Path) -> None:
    audio, sr = speech.say(ESPEAK or "espeak-ng", "extraordinarily", "en-us", 80, 50)
    assert len(audio) > sr  # over a second at 80 words a minute
    placed = speech._fit(np.random.default_rng(0), audio, sr // 2)
    assert placed.shape == (sr // 2,) and np.abs(placed).max() > 0


def test_without_espeak_the_error_says_how_to_install_it(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(TaskDataError, match="apt-get install espeak-ng"):
        generate(spec(), tmp_path / "x")
    assert not (tmp_path / "x").exists()
