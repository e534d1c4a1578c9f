"""Import a HEAR 2021 preprocessed task (a folder, or a .tar.gz of one) into a HEAR_HOME.

The task is validated (metadata fields and types, vocabulary, every listed file present,
complete and readable at its folder's rate), copied into ``raw/<name>/`` with a ``clips.csv``
catalogue pointing at its highest sample rate (plus ``events.csv``, ``pairs.csv`` or
``groups.csv`` by task type, the forms ``task_raw`` reads); ``grid.catalog.import_task`` then
registers it in ``registry/tasks.json``. The task stages treat it like any other task: present
rates are copied through, missing ones are resampled from the highest present.

JND and ranking tasks (``task_type`` ``jnd`` or ``ranking``) keep HEAR's per-file
``<split>.json`` (labels empty) and carry their pairs or groups in ``<split>.csv``
(``filename1,filename2,label`` or ``group,filename,rank``); ``task_type`` decides their kind, so
``prediction_type`` may be absent.
"""

import json
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import soundfile as sf

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.files import atomic_dir, digest_tree
from hear_assets.lib.store.layout import Layout
from hear_assets.lib.tasks import TASK_NAME_RE, TASK_TYPES, TaskSpec
from hear_assets.lib.tasks.splits import label_vocabulary
from hear_assets.lib.tasks.taskfiles import EXTRA_TABLES, SPLIT_COLUMNS
from hear_assets.lib.tasks.wavcheck import check_complete
from hear_models.api import HEAR_SAMPLE_RATES

REQUIRED = {
    "task_name": str,
    "embedding_type": str,
    "prediction_type": str,
    "evaluation": list,
    "splits": list,
}
PAIR_TYPES = ("jnd", "ranking")  # pairs or groups in <split>.csv; prediction_type optional


def find_task_dir(root: Path) -> Path:
    """The one folder under ``root`` (itself included, 4 levels deep) with task_metadata.json."""
    found = sorted(p.parent for p in root.glob("task_metadata.json"))
    for depth in ("*/", "*/*/", "*/*/*/", "*/*/*/*/"):
        found += sorted(p.parent for p in root.glob(f"{depth}task_metadata.json"))
    if not found:
        raise TaskDataError(f"{root}: no task_metadata.json inside; not a HEAR task folder")
    if len(found) > 1:
        raise TaskDataError(f"{root}: holds {len(found)} tasks ({found[0].name}, ...); add one")
    return found[0]


def read_metadata(task_dir: Path) -> dict[str, Any]:
    """task_metadata.json, checked for HEAR's fields and their types."""
    path = task_dir / "task_metadata.json"
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise TaskDataError(f"{path}: not readable json ({exc})") from exc
    if not isinstance(meta, dict):
        raise TaskDataError(f"{path}: expected a json object, got {type(meta).__name__}")
    task_type = meta.get("task_type")
    if task_type is not None and task_type not in TASK_TYPES:
        raise TaskDataError(f"{path}: task_type {task_type!r} not one of {', '.join(TASK_TYPES)}")
    if task_type in PAIR_TYPES:
        # task_type decides what a pair task predicts (a distance); HEAR writes "multiclass".
        meta["prediction_type"] = "multiclass"
        meta.setdefault("embedding_type", "event")
    for field, kind in REQUIRED.items():
        if field not in meta:
            raise TaskDataError(f"{path}: missing field '{field}'")
        if not isinstance(meta[field], kind):
            raise TaskDataError(
                f"{path}: field '{field}' is {type(meta[field]).__name__}, expected {kind.__name__}"
            )
    if meta["embedding_type"] not in ("scene", "event"):
        raise TaskDataError(f"{path}: embedding_type '{meta['embedding_type']}' not scene/event")
    if meta["prediction_type"] not in ("multiclass", "multilabel"):
        raise TaskDataError(f"{path}: prediction_type '{meta['prediction_type']}' unknown")
    duration = meta.get("sample_duration")
    if duration is not None and not isinstance(duration, int | float):
        raise TaskDataError(f"{path}: sample_duration must be a number or null, got {duration!r}")
    if not meta["evaluation"]:
        raise TaskDataError(f"{path}: evaluation lists no metric")
    meta["task_type"] = task_type or meta["embedding_type"]
    meta["splits"] = [s["name"] if isinstance(s, dict) else str(s) for s in meta["splits"]]
    return meta


def present_rates(task_dir: Path, splits: list[str]) -> list[int]:
    """Sample rates with a folder for every split, highest first."""
    rates = [r for r in HEAR_SAMPLE_RATES if all((task_dir / str(r) / s).is_dir() for s in splits)]
    if not rates:
        raise TaskDataError(
            f"{task_dir}: no <rate>/<split>/ audio folders for any of {list(HEAR_SAMPLE_RATES)}"
        )
    return sorted(rates, reverse=True)


def _check_audio(path: Path, rate: int) -> None:
    try:
        info = sf.info(path)
    except Exception as exc:
        raise TaskDataError(f"{path}: not a readable wav ({exc})") from exc
    if info.samplerate != rate or info.channels != 1:
        raise TaskDataError(
            f"{path}: {info.samplerate} Hz with {info.channels} channel(s), expected mono {rate} Hz"
        )
    if info.frames == 0:
        raise TaskDataError(f"{path}: holds no samples")
    check_complete(path)


def _pair_table(task_dir: Path, split: str, task_type: str, listed: dict) -> pd.DataFrame:
    """One split's pairs (JND) or groups (ranking) from ``<split>.csv``, checked against the
    files its ``<split>.json`` lists."""
    path = task_dir / f"{split}.csv"
    columns = SPLIT_COLUMNS[task_type]
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise TaskDataError(f"{path}: missing or not a csv ({exc})") from exc
    if list(table.columns[: len(columns)]) != columns:
        raise TaskDataError(
            f"{path}: columns {list(table.columns)}, expected {','.join(columns)} "
            f"for a {task_type} task"
        )
    table = table[columns]
    if table.empty:
        raise TaskDataError(f"{path}: no {'pairs' if task_type == 'jnd' else 'groups'} listed")
    named = ["filename1", "filename2"] if task_type == "jnd" else ["filename"]
    for col in named:
        unlisted = sorted(set(table[col]) - set(listed))
        if unlisted:
            raise TaskDataError(f"{path}: {unlisted[0]} is not listed in {split}.json")
    if task_type == "jnd":
        bad = table.loc[~table["label"].isin(["0", "1"]), "label"]
        if len(bad):
            raise TaskDataError(f"{path}: label {bad.iloc[0]!r} is not 0 or 1")
    else:
        bad = table.loc[~table["rank"].str.fullmatch(r"-?[0-9]+"), "rank"]
        if len(bad):
            raise TaskDataError(f"{path}: rank {bad.iloc[0]!r} is not an integer")
        dup = table["filename"].duplicated()
        if dup.any():
            raise TaskDataError(f"{path}: {table['filename'][dup].iloc[0]} is in two rows")
    return table


def catalogue(
    task_dir: Path, meta: dict, rates: list[int]
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """``clips.csv`` rows of the task and its extra table (``events.csv``, ``pairs.csv`` or
    ``groups.csv``; None for scene tasks), every file checked."""
    vocab = task_dir / "labelvocabulary.csv"
    try:
        known = set(pd.read_csv(vocab, dtype={"label": str}, keep_default_na=False)["label"])
    except Exception as exc:
        raise TaskDataError(f"{vocab}: missing or not an idx,label csv ({exc})") from exc
    task_type = meta["task_type"]
    clips, events, tables = [], [], []
    for split in meta["splits"]:
        path = task_dir / f"{split}.json"
        try:
            listing = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise TaskDataError(f"{path}: missing or not json ({exc})") from exc
        if not isinstance(listing, dict):
            raise TaskDataError(f"{path}: expected an object of filename: labels")
        if task_type in PAIR_TYPES:
            tables.append(_pair_table(task_dir, split, task_type, listing))
        for name, labels in listing.items():
            for rate in rates:
                _check_audio(task_dir / str(rate) / split / name, rate)
            if task_type in PAIR_TYPES:
                label = ""
            elif task_type == "event":
                for e in labels:
                    if str(e["label"]) not in known:
                        raise TaskDataError(
                            f"{path}: label {e['label']!r} of {name} not in {vocab.name}"
                        )
                    events.append(
                        {
                            "filename": name,
                            "start_ms": float(e["start"]),
                            "end_ms": float(e["end"]),
                            "label": str(e["label"]),
                        }
                    )
                label = ""
            else:
                unknown = [x for x in labels if str(x) not in known]
                if unknown:
                    raise TaskDataError(
                        f"{path}: label {unknown[0]!r} of {name} not in {vocab.name}"
                    )
                label = ";".join(str(x) for x in labels)
            clips.append(
                {
                    "filename": name,
                    "split": split,
                    "label": label,
                    "source": f"{rates[0]}/{split}/{name}",
                }
            )
    clip_df = pd.DataFrame(clips, columns=["filename", "split", "label", "source"])
    if clip_df["filename"].duplicated().any():
        dup = clip_df.loc[clip_df["filename"].duplicated(), "filename"].iloc[0]
        raise TaskDataError(f"{task_dir}: file {dup} is listed in two splits")
    if task_type == "event":
        return clip_df, pd.DataFrame(events, columns=SPLIT_COLUMNS["event"])
    if task_type in PAIR_TYPES:
        return clip_df, pd.concat(tables, ignore_index=True)
    return clip_df, None


def _spec(name: str, meta: dict, rates: list[int], digest: str, origin: str) -> TaskSpec:
    splits = meta["splits"]
    kfold = sorted(splits) != ["test", "train", "valid"]
    if kfold and splits != [f"fold{i:02d}" for i in range(len(splits))]:
        raise TaskDataError(f"splits {splits} are neither train/valid/test nor fold00..foldNN")
    params: dict[str, Any] = {
        "imported_from": origin,
        "content_sha256": digest,
        "present_rates": rates,
    }
    if "event_postprocessing_grid" in meta.get("evaluation_params", {}):
        grid = meta["evaluation_params"]["event_postprocessing_grid"]
        params["event_postprocessing_grid"] = {
            "median_filter_ms": grid.get("median_filter_ms", [250]),
            "min_duration_ms": grid.get("min_duration", grid.get("min_duration_ms", [125, 250])),
        }
    # The original kit's per-task probe settings (e.g. MAESTRO: early stopping on the validation
    # loss, 50 epochs), honoured by HEAR_PROBE=hear.
    if meta.get("use_scoring_for_early_stopping") is False:
        params["use_scoring_for_early_stopping"] = False
    specific = meta.get("evaluation_params", {}).get("task_specific_param_grid")
    if specific:
        params["task_specific_param_grid"] = specific
    return TaskSpec(
        name=name,
        task_type=meta["task_type"],
        prediction_type=meta["prediction_type"],
        sample_duration=meta.get("sample_duration"),
        evaluation=tuple(meta["evaluation"]),
        split_mode="presplit_kfold" if kfold else "trainvaltest",
        nfolds=len(splits) if kfold else 0,
        source="imported",
        version=str(meta.get("version", "1")),
        source_sample_rate=rates[0],
        params=params,
    )


def import_task(
    path: Path, layout: Layout, name: str | None, known: dict[str, TaskSpec]
) -> tuple[TaskSpec, bool]:
    """Validate the task at ``path`` and write its raw form; return its spec and whether
    anything changed (``grid.catalog.import_task`` registers it).

    ``known`` holds every task already known (retired ones included): re-adding identical
    content is a no-op; different content under a taken name is an error.
    """
    path = Path(path).expanduser().resolve()
    if not path.exists():
        raise TaskDataError(f"{path}: no such file or folder")
    with tempfile.TemporaryDirectory(prefix="hear-import-") as scratch:
        root = path
        if path.is_file():
            if not tarfile.is_tarfile(path):
                raise TaskDataError(f"{path}: not a folder or a .tar.gz of a HEAR task")
            from hear_assets.lib.tasks.fetch import extract

            root = Path(scratch) / "x"
            extract(path, root)
        task_dir = find_task_dir(root)
        name = name or task_dir.name
        if not TASK_NAME_RE.match(name):
            raise TaskDataError(f"task name '{name}' must match {TASK_NAME_RE.pattern}; use --name")
        meta = read_metadata(task_dir)
        rates = present_rates(task_dir, meta["splits"])
        clips, extra = catalogue(task_dir, meta, rates)
        digest = digest_tree(task_dir)
        if name in known:
            old = known[name]
            if old.params.get("content_sha256") == digest:
                return old, False
            raise TaskDataError(
                f"task name '{name}' is taken by {old.source} task with other content; "
                "choose another with --name or remove it first"
            )
        spec = _spec(name, meta, rates, digest, str(path))
        label_vocabulary(clips["label"])  # the vocabulary must sort (numbers or strings)
        with atomic_dir(layout.raw_dir(name)) as tmp:
            for item in task_dir.iterdir():
                dest = tmp / item.name
                shutil.copytree(item, dest) if item.is_dir() else shutil.copy2(item, dest)
            clips.to_csv(tmp / "clips.csv", index=False)
            if extra is not None:
                extra.to_csv(tmp / EXTRA_TABLES[spec.task_type], index=False)
    return spec, True
