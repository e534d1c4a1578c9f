"""ESC-50 as HEAR's ``esc50-v2.0.0`` (hear-secret-tasks).

GitHub's ``master.zip`` holds ``ESC-50-master/meta/esc50.csv`` (``filename,fold,target,
category,esc10,src_file,take``) and ``ESC-50-master/audio/<filename>`` (44.1 kHz, 5 s). Label:
``category``; the dataset's folds 1–5 become ``fold00``–``fold04`` (presplit k-fold). The
archive URL follows the repository's moving ``master`` branch, so its md5 may stop matching
(the reference marks it "moving"): use HEAR_MIRROR with the archived copy then. ``small``:
HEAR's downsampled zip (2 s clips, missing files dropped).
"""

import csv
from pathlib import Path

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.tasks import TaskSpec
from hear_assets.lib.tasks.recipes.base import (
    S4,
    SECRET_SMALL,
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

NFOLDS = 5
REQUIRED = ("filename", "fold", "category")


def catalogue(spec: TaskSpec, raw_dir: Path) -> Catalogue:
    """One clip per row of ``meta/esc50.csv``, in its fold."""
    root = find_root(extracted_dir(raw_dir, entry_of(spec, "all_folds")), "ESC-50-master")
    meta = root / "meta" / "esc50.csv"
    if not meta.is_file():
        raise TaskDataError(f"{meta}: missing from the ESC-50 archive")
    rows = []
    with meta.open(newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise TaskDataError(f"{meta}: missing column(s) {missing}")
        for n, row in enumerate(reader, start=2):
            try:
                fold = int(row["fold"])
            except ValueError as exc:
                raise TaskDataError(f"{meta}:{n}: fold '{row['fold']}' is not a number") from exc
            if not 1 <= fold <= NFOLDS:
                raise TaskDataError(f"{meta}:{n}: fold {fold} not in 1..{NFOLDS}")
            path = root / "audio" / row["filename"]
            rows.append(
                clip(path.stem, f"fold{fold - 1:02d}", row["category"], relpath(raw_dir, path))
            )
    return Catalogue(rows)


RECIPE = Recipe(
    task_name="esc50",
    version="v2.0.0",
    task_type="scene",
    prediction_type="multiclass",
    sample_duration=5.0,
    evaluation=S4,
    split_mode="presplit_kfold",
    nfolds=NFOLDS,
    source_sample_rate=44100,
    default_mode="full",
    modes={
        "full": Mode(
            (
                dl(
                    "all_folds",
                    "https://github.com/karoldvl/ESC-50/archive/master.zip",
                    "7771e4b9d86d0945acce719c7a59305a",
                ),
            )
        ),
        "small": Mode(
            (
                dl(
                    "all_folds",
                    SECRET_SMALL + "esc50-all_folds-small.zip",
                    "08bb240e414ce96529087aba52983b1c",
                ),
            ),
            sample_duration=2.0,
        ),
    },
    catalogue=catalogue,
)
