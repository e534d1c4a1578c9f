"""Google Speech Commands v0.02 as HEAR's ``speech_commands-v0.0.2`` (hear-preprocess).

Train archive: ``<word>/<speaker>_nohash_<n>.wav`` (16 kHz), ``_background_noise_/*.wav``,
``validation_list.txt`` and ``testing_list.txt``; test archive: ``<label>/*.wav`` with
``_silence_`` and ``_unknown_`` folders. Labels: the 10 words, ``_silence_`` and ``_unknown_``
(every other word). As HEAR and TFDS do, ``_silence_`` training clips are 1 s slices every 0.5 s
of the background-noise recordings, written to ``raw/<task>/audio/_silence_/<noise>-<start>.wav``;
the ``running_tap`` slices go to valid, the others to train. valid = ``validation_list.txt``,
train = the other word clips minus both lists, test = the test archive. Output names are
``<parent folder>_<stem>.wav``. Modes: ``5h`` (default; train ≤ 16000, valid ≤ 2000 clips by
HEAR's SubsampleSplit, test whole), ``full``, ``small`` (HEAR's downsampled zips).
"""

from pathlib import Path

import numpy as np
import soundfile as sf

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.files import atomic_dir
from hear_assets.lib.tasks import TaskSpec
from hear_assets.lib.tasks.recipes.base import (
    CAPS_5H,
    OPEN_SMALL,
    Catalogue,
    Mode,
    Recipe,
    clip,
    dl,
    entry_of,
    extracted_dir,
    relpath,
)

WORDS = ("down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes")
BACKGROUND_NOISE = "_background_noise_"
UNKNOWN = "_unknown_"
SILENCE = "_silence_"
VALID_SILENCE_PREFIX = "running_tap"


def label_of(folder: str) -> str:
    """HEAR's label of a clip from its parent folder."""
    return folder if folder in WORDS or folder == SILENCE else UNKNOWN


def filestem(path: Path) -> str:
    """HEAR's unique stem: ``<parent folder>_<file stem>``."""
    return f"{path.parent.name}_{path.stem}"


def read_list(path: Path) -> set[str]:
    """A ``validation_list.txt``/``testing_list.txt`` as a set of ``word/file.wav`` paths."""
    if not path.is_file():
        raise TaskDataError(f"{path}: missing from the Speech Commands train archive")
    return {line.strip() for line in path.read_text().splitlines() if line.strip()}


def slice_background(noise_dir: Path, out: Path) -> list[Path]:
    """Write 1 s slices every 0.5 s of each background recording; return their paths."""
    written = []
    with atomic_dir(out) as tmp:
        for noise in sorted(noise_dir.glob("*.wav")):
            audio, sr = sf.read(noise, dtype="int16")
            if audio.ndim != 1:
                raise TaskDataError(f"{noise}: expected mono background noise")
            for start in range(0, len(audio) - sr, sr // 2):
                name = f"{noise.stem}-{start}.wav"
                sf.write(tmp / name, np.ascontiguousarray(audio[start : start + sr]), sr, "PCM_16")
                written.append(out / name)
    return written


def catalogue(spec: TaskSpec, raw_dir: Path) -> Catalogue:
    """Clips of the train archive (with generated silence) and of the test archive."""
    train_root = extracted_dir(raw_dir, entry_of(spec, "train"))
    test_root = extracted_dir(raw_dir, entry_of(spec, "test"))
    valid_list = read_list(train_root / "validation_list.txt")
    test_list = read_list(train_root / "testing_list.txt")
    rows = []
    for path in sorted(train_root.glob("[!_]*/*.wav")):
        key = f"{path.parent.name}/{path.name}"
        if key in test_list:
            continue
        split = "valid" if key in valid_list else "train"
        rows.append(clip(filestem(path), split, label_of(path.parent.name), relpath(raw_dir, path)))
    noise_dir = train_root / BACKGROUND_NOISE
    if not noise_dir.is_dir():
        raise TaskDataError(f"{noise_dir}: missing from the Speech Commands train archive")
    for path in slice_background(noise_dir, raw_dir / "audio" / SILENCE):
        split = "valid" if path.name.startswith(VALID_SILENCE_PREFIX) else "train"
        rows.append(clip(filestem(path), split, SILENCE, relpath(raw_dir, path)))
    rows.extend(
        clip(filestem(path), "test", label_of(path.parent.name), relpath(raw_dir, path))
        for path in sorted(test_root.glob("*/*.wav"))
    )
    return Catalogue(rows)


FULL = (
    dl(
        "train",
        "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz",
        "6b74f3901214cb2c2934e98196829835",
    ),
    dl(
        "test",
        "http://download.tensorflow.org/data/speech_commands_test_set_v0.02.tar.gz",
        "854c580ee90bff80c516491c84544e32",
    ),
)
SMALL = (
    dl("train", OPEN_SMALL + "speech_commands_v0.02-small.zip", "455123a88b8410d1f955c77ad331524f"),
    dl(
        "test",
        OPEN_SMALL + "speech_commands_test_set_v0.02-small.zip",
        "26d08374a7abd13ca2f4a4b8424f41d0",
    ),
)

RECIPE = Recipe(
    task_name="speech_commands",
    version="v0.0.2",
    task_type="scene",
    prediction_type="multiclass",
    sample_duration=1.0,
    evaluation=("top1_acc",),
    split_mode="trainvaltest",
    nfolds=0,
    source_sample_rate=16000,
    default_mode="5h",
    modes={
        "5h": Mode(FULL, {"train": CAPS_5H["train"], "valid": CAPS_5H["valid"], "test": None}),
        "full": Mode(FULL),
        "small": Mode(SMALL),
    },
    catalogue=catalogue,
)
