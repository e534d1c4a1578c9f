"""A task's raw catalogue (``clips.csv`` and friends) and the split files it becomes.

The raw catalogue is ``raw/<task>/clips.csv`` (``filename,split,label`` and optionally
``source``, the audio's path relative to ``raw/<task>/``, default ``audio/<filename>``; an empty
split is assigned by ``splits``), plus ``events.csv`` (event tasks), ``pairs.csv`` (JND) or
``groups.csv`` (ranking), in the formats of the split files. ``write_split_files`` turns it into
HEAR's ``task_metadata.json``, ``labelvocabulary.csv`` and ``<split>.json`` plus ``<split>.csv``.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.files import atomic_path, write_json
from hear_assets.lib.tasks import TaskSpec
from hear_assets.lib.tasks import splits as splitlib

RAW_VERSION = "1"  # task_raw: the raw catalogue's form (generators, recipes, importer)
VERSION = "2"  # task_splits: the split files written from it
EXTRA_TABLES = {"event": "events.csv", "jnd": "pairs.csv", "ranking": "groups.csv"}
SPLIT_COLUMNS = {
    "scene": ["filename", "label"],
    "event": ["filename", "start_ms", "end_ms", "label"],
    "jnd": ["filename1", "filename2", "label"],
    "ranking": ["group", "filename", "rank"],
}


@dataclass
class RawTask:
    """The catalogue of one task: clips with their split, and the type's extra table."""

    clips: pd.DataFrame  # filename, split, label (str), source (path relative to the raw folder)
    extra: pd.DataFrame | None  # events / pairs / groups, or None for scene tasks

    def labels(self, spec: TaskSpec) -> list[str]:
        """Every label of the task (events' labels for event tasks)."""
        if spec.task_type == "event":
            assert self.extra is not None
            return [str(x) for x in self.extra["label"]]
        if spec.task_type == "scene":
            return [lab for cell in self.clips["label"] for lab in splitlib.split_labels(cell)]
        if spec.task_type == "jnd":
            return ["0", "1"]
        return []


def _read_csv(path: Path, columns: list[str], optional: list[str] | None = None) -> pd.DataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise TaskDataError(f"{path}: not a readable csv ({exc})") from exc
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise TaskDataError(f"{path}: missing column(s) {missing}; expected {columns}")
    return df[columns + [c for c in optional or [] if c in df.columns]]


def read_raw(spec: TaskSpec, raw_dir: Path) -> RawTask:
    """Read a raw catalogue and assign the splits it leaves empty."""
    clips = _read_csv(raw_dir / "clips.csv", ["filename", "split", "label"], optional=["source"])
    if "source" not in clips.columns:
        clips["source"] = "audio/" + clips["filename"]
    extra = None
    if spec.task_type in EXTRA_TABLES:
        extra = _read_csv(raw_dir / EXTRA_TABLES[spec.task_type], SPLIT_COLUMNS[spec.task_type])
    if clips["filename"].duplicated().any():
        dup = clips.loc[clips["filename"].duplicated(), "filename"].iloc[0]
        raise TaskDataError(f"{raw_dir / 'clips.csv'}: file {dup} is listed twice")
    todo = clips["split"] == ""
    if todo.any():
        keys = clips.loc[todo, "filename"].tolist()
        if spec.split_mode == "trainvaltest":
            pct = spec.params.get("split_percentage", {"valid": 10.0, "test": 10.0})
            assignment = splitlib.assign_trainvaltest(keys, pct["valid"], pct["test"])
        else:
            labels_of = {
                f: set(splitlib.split_labels(lab))
                for f, lab in zip(clips["filename"], clips["label"], strict=True)
            }
            assignment = splitlib.assign_kfold(keys, labels_of, spec.nfolds)
        clips.loc[todo, "split"] = [assignment[k] for k in keys]
    unknown = sorted(set(clips["split"]) - set(spec.splits))
    if unknown:
        raise TaskDataError(f"{raw_dir / 'clips.csv'}: splits {unknown} not in {spec.splits}")
    return RawTask(clips.reset_index(drop=True), extra)


def _split_table(spec: TaskSpec, raw: RawTask, files: list[str]) -> pd.DataFrame:
    cols = SPLIT_COLUMNS[spec.task_type]
    if spec.task_type == "scene":
        return raw.clips.loc[raw.clips["filename"].isin(files), cols]
    assert raw.extra is not None
    key = "filename1" if spec.task_type == "jnd" else "filename"
    table = raw.extra.loc[raw.extra[key].isin(files), cols]
    if spec.task_type == "event":
        table = table.astype({"start_ms": float, "end_ms": float})
        table = table.sort_values(["filename", "start_ms", "end_ms", "label"], kind="stable")
    return table


def _split_json(spec: TaskSpec, table: pd.DataFrame, files: list[str]) -> dict:
    if spec.task_type == "scene":
        return {
            f: splitlib.split_labels(lab)
            for f, lab in zip(table["filename"], table["label"], strict=True)
        }
    out: dict[str, list] = {f: [] for f in files}
    if spec.task_type == "event":
        for row in table.itertuples(index=False):
            out[row.filename].append(
                {"label": row.label, "start": float(row.start_ms), "end": float(row.end_ms)}
            )
    return out


def write_split_files(spec: TaskSpec, raw: RawTask, task_dir: Path) -> dict[str, int]:
    """Write the task's metadata, vocabulary and split files; return clips per split."""
    vocab = splitlib.label_vocabulary(raw.labels(spec))
    write_json(task_dir / "task_metadata.json", spec.metadata())
    with atomic_path(task_dir / "labelvocabulary.csv") as tmp:
        pd.DataFrame({"idx": range(len(vocab)), "label": vocab}).to_csv(tmp, index=False)
    counts: dict[str, int] = {}
    for split in spec.splits:
        files = raw.clips.loc[raw.clips["split"] == split, "filename"].tolist()
        table = _split_table(spec, raw, files)
        with atomic_path(task_dir / f"{split}.json") as tmp:
            tmp.write_text(json.dumps(_split_json(spec, table, files), indent=1) + "\n")
        with atomic_path(task_dir / f"{split}.csv") as tmp:
            table.to_csv(tmp, index=False)
        counts[split] = len(files)
    return counts


def read_vocabulary(task_dir: Path) -> list[str]:
    """Labels of ``labelvocabulary.csv`` in index order."""
    df = pd.read_csv(task_dir / "labelvocabulary.csv", dtype={"label": str}, keep_default_na=False)
    return df.sort_values("idx")["label"].tolist()


def read_split_json(task_dir: Path, split: str) -> dict:
    """``<split>.json``: filename → labels (scene), events (event) or [] (jnd, ranking)."""
    return json.loads((task_dir / f"{split}.json").read_text())


def read_split_csv(task_dir: Path, split: str) -> pd.DataFrame:
    """``<split>.csv`` with string labels."""
    return pd.read_csv(task_dir / f"{split}.csv", dtype={"label": str}, keep_default_na=False)
