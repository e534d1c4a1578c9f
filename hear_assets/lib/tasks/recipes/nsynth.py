"""NSynth v2.2.3 pitch as HEAR's ``nsynth_pitch-v2.2.3`` (hear-preprocess).

Each archive holds ``nsynth-<split>/examples.json`` (note id → attributes, among them
``note_str`` and the MIDI ``pitch``) and ``nsynth-<split>/audio/<note_str>.wav`` (16 kHz, 4 s).
Label: the pitch as an integer string, kept only within 21–108 (the piano range); the dataset's
train/valid/test splits are kept. Modes: ``5h`` (default; at most 4000/500/500 clips by HEAR's
SubsampleSplit at 4 s), ``50h`` (40000/5000/5000), ``small`` (HEAR's downsampled zips, whose
metadata still lists every note: missing files are dropped, as HEAR does in small mode).
"""

import json
from pathlib import Path

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.tasks import TaskSpec
from hear_assets.lib.tasks.recipes.base import (
    CAPS_5H,
    CAPS_50H,
    OPEN_SMALL,
    Catalogue,
    Mode,
    Recipe,
    clip,
    dl,
    entry_of,
    extracted_dir,
    find_root,
    relpath,
)

SPLITS = ("train", "valid", "test")
PITCH_MIN, PITCH_MAX = 21, 108
BASE = "http://download.magenta.tensorflow.org/datasets/nsynth/"


def read_examples(path: Path) -> dict[str, dict]:
    """``examples.json``: note id → attributes."""
    try:
        examples = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise TaskDataError(f"{path}: not a readable NSynth examples.json ({exc})") from exc
    if not isinstance(examples, dict):
        raise TaskDataError(f"{path}: expected an object of notes, got {type(examples).__name__}")
    return examples


def catalogue(spec: TaskSpec, raw_dir: Path) -> Catalogue:
    """One clip per note of each split with a pitch in the piano range."""
    rows = []
    for split in SPLITS:
        root = find_root(extracted_dir(raw_dir, entry_of(spec, split)), f"nsynth-{split}")
        examples = read_examples(root / "examples.json")
        for key in sorted(examples):
            note = examples[key]
            try:
                pitch = int(note["pitch"])
            except (KeyError, TypeError, ValueError) as exc:
                raise TaskDataError(f"{root / 'examples.json'}: note {key} has no pitch") from exc
            if not PITCH_MIN <= pitch <= PITCH_MAX:
                continue
            stem = str(note.get("note_str", key))
            source = relpath(raw_dir, root / "audio" / f"{stem}.wav")
            rows.append(clip(stem, split, str(pitch), source))
    return Catalogue(rows)


FULL = tuple(
    dl(split, f"{BASE}nsynth-{split}.jsonwav.tar.gz", md5)
    for split, md5 in (
        ("train", "fde6665a93865503ba598b9fac388660"),
        ("valid", "87e94a00a19b6dbc99cf6d4c0c0cae87"),
        ("test", "5e6f8719bf7e16ad0a00d518b78af77d"),
    )
)
SMALL = tuple(
    dl(split, f"{OPEN_SMALL}nsynth-{split}-small.zip", md5)
    for split, md5 in (
        ("train", "c17070e4798655d8bea1231506479ba8"),
        ("valid", "e36722262497977f6b945bb06ab0969d"),
        ("test", "9a98e869ed4add8ba9ebb0d7c22becca"),
    )
)

RECIPE = Recipe(
    task_name="nsynth_pitch",
    version="v2.2.3",
    task_type="scene",
    prediction_type="multiclass",
    sample_duration=4.0,
    evaluation=("pitch_acc", "chroma_acc"),
    split_mode="trainvaltest",
    nfolds=0,
    source_sample_rate=16000,
    default_mode="5h",
    modes={"5h": Mode(FULL, CAPS_5H), "50h": Mode(FULL, CAPS_50H), "small": Mode(SMALL)},
    catalogue=catalogue,
)
