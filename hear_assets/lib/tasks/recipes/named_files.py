"""Corpora whose labels are spelled in their file names: Mridangam strokes and tonics, and
the Beijing Opera percussion instruments (hear-secret-tasks).

* ``mridangam_stroke-v1.5`` / ``mridangam_tonic-v1.5``: Zenodo 4068196
  ``mridangam_stroke_1.5.zip`` holds ``mridangam_stroke_1.5/<Tonic>/<id>__<user>__<stroke>-
  <tonic>-<n>.wav`` (44.1 kHz), e.g. ``B/224030__akshaylaya__bheem-b-001.wav``. Label: the part
  after the last ``__``, split on ``-``: item -3 is the stroke (10), item -2 the tonic (6).
* ``beijing_opera-v1.0-hear2021``: Zenodo 1285212 ``beijing_opera_percussion_instrument_1.0.zip``
  holds ``beijing_opera_percussion_instrument_1.0/<id>__<user>__<instrument>-<n>.wav`` (44.1
  kHz), e.g. ``205972__ajaysm__daluo-01.wav``; only the folder's top level is read, as HEAR
  does. Label: item -2 of the last ``__`` part split on ``-`` (4 instruments; the class count
  is **uncertain** in the reference, so labels are not checked against a list).

All three are 5-fold ``new_split_kfold`` tasks: clips.csv leaves the split empty for our
splitter (key = file). ``small``: HEAR's downsampled zips with a shorter ``sample_duration``.
"""

from collections.abc import Callable
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

STROKES = ("bheem", "cha", "dheem", "dhin", "num", "ta", "tha", "tham", "thi", "thom")
TONICS = ("b", "c", "csh", "d", "dsh", "e")


def name_field(path: Path, index: int) -> str:
    """Item ``index`` of the file name's last ``__`` part split on ``-`` (suffix included)."""
    parts = path.name.split("__")[-1].split("-")
    if len(parts) < -index:
        raise TaskDataError(f"{path}: file name does not follow '<id>__<user>__<label>-...-<n>'")
    return parts[index]


def checked(path: Path, value: str, allowed: tuple[str, ...], what: str) -> str:
    """``value`` if it is one of ``allowed``; else a TaskDataError naming the file."""
    if value not in allowed:
        raise TaskDataError(f"{path}: unexpected {what} '{value}'; expected one of {allowed}")
    return value


def stroke_of(path: Path) -> str:
    """Mridangam stroke from ``<id>__<user>__<stroke>-<tonic>-<n>.wav``."""
    return checked(path, name_field(path, -3), STROKES, "stroke")


def tonic_of(path: Path) -> str:
    """Mridangam tonic from ``<id>__<user>__<stroke>-<tonic>-<n>.wav``."""
    return checked(path, name_field(path, -2), TONICS, "tonic")


def instrument_of(path: Path) -> str:
    """Beijing Opera instrument from ``<id>__<user>__<instrument>-<n>.wav``."""
    return name_field(path, -2)


def file_catalogue(
    folder: str, pattern: str, label: Callable[[Path], str]
) -> Callable[[TaskSpec, Path], Catalogue]:
    """A catalogue of every ``pattern`` file under the train archive's ``folder``."""

    def catalogue(spec: TaskSpec, raw_dir: Path) -> Catalogue:
        root = find_root(extracted_dir(raw_dir, entry_of(spec, "train")), folder)
        rows = [
            clip(path.stem, "", label(path), relpath(raw_dir, path))
            for path in sorted(root.glob(pattern))
            if path.is_file()
        ]
        if not rows:
            raise TaskDataError(f"{root}: no {pattern} audio files in the archive")
        return Catalogue(rows)

    return catalogue


MRIDANGAM_MODES = {
    "full": Mode(
        (
            dl(
                "train",
                "https://zenodo.org/record/4068196/files/mridangam_stroke_1.5.zip?download=1",
                "39af55b2476b94c7946bec24331ec01a",
            ),
        )
    ),
    "small": Mode(
        (
            dl(
                "train",
                SECRET_SMALL + "mridangam-train-small.zip",
                "8269ea439beacacf8db19d6c26dd1e71",
            ),
        ),
        sample_duration=1.0,
    ),
}


def mridangam(task_name: str, label: Callable[[Path], str]) -> Recipe:
    """The Mridangam stroke or tonic task: same corpus and folds, another label."""
    return Recipe(
        task_name=task_name,
        version="v1.5",
        task_type="scene",
        prediction_type="multiclass",
        sample_duration=0.81,
        evaluation=S4,
        split_mode="new_split_kfold",
        nfolds=5,
        source_sample_rate=44100,
        default_mode="full",
        modes=MRIDANGAM_MODES,
        catalogue=file_catalogue("mridangam_stroke_1.5", "**/*.wav", label),
    )


MRIDANGAM_STROKE = mridangam("mridangam_stroke", stroke_of)
MRIDANGAM_TONIC = mridangam("mridangam_tonic", tonic_of)

BEIJING_OPERA = Recipe(
    task_name="beijing_opera",
    version="v1.0-hear2021",
    task_type="scene",
    prediction_type="multiclass",
    sample_duration=4.77,
    evaluation=S4,
    split_mode="new_split_kfold",
    nfolds=5,
    source_sample_rate=44100,
    default_mode="full",
    modes={
        "full": Mode(
            (
                dl(
                    "train",
                    "https://zenodo.org/record/1285212/files/"
                    "beijing_opera_percussion_instrument_1.0.zip?download=1",
                    "51dc70d02a06b9d96befadf320a6996f",
                ),
            )
        ),
        "small": Mode(
            (
                dl(
                    "train",
                    SECRET_SMALL + "beijing_opera-train-small.zip",
                    "391b086d4a81c525d8b052ac50a6a8c0",
                ),
            ),
            sample_duration=2.0,
        ),
    },
    catalogue=file_catalogue("beijing_opera_percussion_instrument_1.0", "*.wav", instrument_of),
)
