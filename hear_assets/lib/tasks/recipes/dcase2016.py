"""DCASE 2016 task 2 (office sound event detection) as HEAR's ``dcase2016_task2-hear2021``.

The dev archive holds ``dcase2016_task2_train_dev/dcase2016_task2_dev/{sound,annotation}/``, the
public test archive ``dcase2016_task2_test_public/{sound,annotation}/``; each ``sound/<stem>.wav``
(44.1 kHz, 2 min) has ``annotation/<stem>.txt`` with tab-separated ``onset offset label`` lines in
seconds. As HEAR does (its final version), dev and test are pooled as ``train`` (downloads
``train/dev`` and ``train/eval``) and re-split by file 60/20/20 (72 files → 44/14/14): clips.csv
leaves the split empty and ``params["split_percentage"]`` drives our splitter. Events are in
milliseconds, dropped when they start at or after ``sample_duration`` and cut there otherwise.
HEAR's default 5 h caps (133/16/16 clips of 120 s) never bind on 72 files, so no cap is applied.
The class count (11) comes from the dataset description (**uncertain** in the reference).
"""

import csv
from pathlib import Path

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.tasks import TaskSpec
from hear_assets.lib.tasks.recipes.base import (
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

# download name → folder inside its archive that holds sound/ and annotation/
ROOTS = {
    "dev": "dcase2016_task2_train_dev/dcase2016_task2_dev",
    "eval": "dcase2016_task2_test_public",
}


def read_annotation(path: Path) -> list[tuple[float, float, str]]:
    """``onset<TAB>offset<TAB>label`` lines (seconds) → (start_ms, end_ms, label)."""
    events = []
    with path.open(newline="") as f:
        for n, row in enumerate(csv.reader(f, delimiter="\t"), start=1):
            if not row or not "".join(row).strip():
                continue
            if len(row) < 3:
                row = " ".join(row).split()  # some copies use spaces
            try:
                start, end, label = float(row[0]), float(row[1]), row[2].strip()
            except (ValueError, IndexError) as exc:
                raise TaskDataError(
                    f"{path}:{n}: expected 'onset offset label', got {row}"
                ) from exc
            if not label or end < start:
                raise TaskDataError(f"{path}:{n}: bad event {row}")
            events.append((start * 1000.0, end * 1000.0, label))
    return events


def catalogue(spec: TaskSpec, raw_dir: Path) -> Catalogue:
    """Every annotated sound file of both archives, split left to the splitter."""
    clips, events = [], []
    for name, inner in ROOTS.items():
        base = extracted_dir(raw_dir, entry_of(spec, "train", name))
        root = find_root(base, inner)
        annotations = sorted((root / "annotation").glob("*.txt"))
        if not annotations:
            raise TaskDataError(f"{root / 'annotation'}: no annotation files in the {name} archive")
        for ann in annotations:
            sound = root / "sound" / f"{ann.stem}.wav"
            row = clip(ann.stem, "", "", relpath(raw_dir, sound))
            clips.append(row)
            events += [
                {"filename": row["filename"], "start_ms": s, "end_ms": e, "label": lab}
                for s, e, lab in read_annotation(ann)
            ]
    return Catalogue(clips, events)


FULL = (
    dl(
        "train",
        "https://archive.org/download/dcase2016_task2_train_dev/dcase2016_task2_train_dev.zip",
        "4e1b5e8887159193e8624dec801eb9e7",
        "dev",
    ),
    dl(
        "train",
        "https://archive.org/download/dcase2016_task2_test_public/dcase2016_task2_test_public.zip",
        "ac98768b39a08fc0c6c2ddd15a981dd7",
        "eval",
    ),
)
SMALL = (
    dl(
        "train",
        OPEN_SMALL + "dcase2016_task2_train_dev-small.zip",
        "aa9b43c40e9d496163caab83becf972e",
        "dev",
    ),
    dl(
        "train",
        OPEN_SMALL + "dcase2016_task2_test_public-small.zip",
        "14539d85dec03cb7ac75eb62dd1dd21e",
        "eval",
    ),
)

RECIPE = Recipe(
    task_name="dcase2016_task2",
    version="hear2021",
    task_type="event",
    prediction_type="multilabel",
    sample_duration=120.0,
    evaluation=("event_onset_200ms_fms", "segment_1s_er"),
    split_mode="trainvaltest",
    nfolds=0,
    source_sample_rate=44100,
    default_mode="full",
    modes={"full": Mode(FULL), "small": Mode(SMALL)},
    catalogue=catalogue,
    params={"split_percentage": {"train": 60.0, "valid": 20.0, "test": 20.0}},
)
