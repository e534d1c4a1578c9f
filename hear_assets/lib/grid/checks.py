"""Asset checks as pure functions: each returns ``(passed, metadata)`` about files on disk."""

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from hear_assets.lib.evaluation.metrics import RANGES
from hear_assets.lib.tasks.folds import fold_plan, prediction_file
from hear_assets.lib.tasks.taskfiles import read_split_json, read_vocabulary
from hear_assets.lib.tasks.wavcheck import wav_facts
from hear_models.api import HEAR_SAMPLE_RATES

Check = tuple[bool, dict[str, Any]]


def audio_standardized(task_dir: Path, meta: dict) -> Check:
    """Every wav at every rate is mono 16-bit PCM at its folder's rate and of the task length."""
    bad: list[str] = []
    n = 0
    for rate in HEAR_SAMPLE_RATES:
        want = (
            None if meta["sample_duration"] is None else int(round(meta["sample_duration"] * rate))
        )
        for split in meta["splits"]:
            for name in read_split_json(task_dir, split):
                path = task_dir / str(rate) / split / name
                n += 1
                try:
                    facts = wav_facts(path)
                except Exception:
                    bad.append(f"{path.relative_to(task_dir)}: unreadable")
                    continue
                if (
                    facts.rate != rate
                    or facts.channels != 1
                    or facts.subtype != "PCM_16"
                    or (want is not None and abs(facts.frames - want) > 1)
                ):
                    bad.append(
                        f"{path.relative_to(task_dir)}: {facts.rate} Hz, {facts.channels} ch, "
                        f"{facts.subtype}, {facts.frames} samples"
                    )
    return not bad, {"files_checked": n, "bad_files": len(bad), "examples": "\n".join(bad[:5])}


def splits_disjoint(task_dir: Path, meta: dict) -> Check:
    """No file appears in two splits."""
    seen: dict[str, str] = {}
    clashes = []
    for split in meta["splits"]:
        for name in read_split_json(task_dir, split):
            if name in seen:
                clashes.append(f"{name} in {seen[name]} and {split}")
            seen[name] = split
    return not clashes, {"clashes": len(clashes), "examples": "\n".join(clashes[:5])}


def labels_known(task_dir: Path, meta: dict) -> Check:
    """Every label is in the vocabulary, and (scene tasks) every label occurs in training."""
    vocab = set(read_vocabulary(task_dir))
    unknown, train_labels = set(), set()
    train_splits = {s for _, _, tr in fold_plan(meta) for s in tr}
    for split in meta["splits"]:
        for entry in read_split_json(task_dir, split).values():
            labels = [e["label"] if isinstance(e, dict) else e for e in entry]
            unknown.update(str(x) for x in labels if str(x) not in vocab)
            if split in train_splits:
                train_labels.update(str(x) for x in labels)
    missing_in_train = (
        sorted(vocab - train_labels) if meta["task_type"] in ("scene", "event") else []
    )
    return not unknown and not missing_in_train, {
        "unknown_labels": ", ".join(sorted(unknown)[:10]),
        "labels_missing_in_train": ", ".join(missing_in_train[:10]),
    }


def embeddings_finite(emb_dir: Path, splits: list[str]) -> Check:
    """No NaN or inf anywhere."""
    bad = 0
    for split in splits:
        x = np.load(emb_dir / f"{split}.npy", mmap_mode="r", allow_pickle=False)
        bad += int((~np.isfinite(np.asarray(x))).any(axis=1).sum()) if x.size else 0
    return bad == 0, {"bad_rows": bad}


def embeddings_shape(emb_dir: Path, task_dir: Path, splits: list[str]) -> Check:
    """One row per clip (scene) or per frame (others), one width, matching the index."""
    problems = []
    dims = set()
    for split in splits:
        x = np.load(emb_dir / f"{split}.npy", mmap_mode="r", allow_pickle=False)
        index = json.loads((emb_dir / f"{split}.index.json").read_text())
        files = list(read_split_json(task_dir, split))
        rows = len(index["files"]) if index["frame_file"] is None else len(index["frame_file"])
        if x.ndim != 2 or x.shape[0] != rows:
            problems.append(f"{split}: shape {x.shape}, index has {rows} rows")
        if sorted(index["files"]) != sorted(files):
            problems.append(f"{split}: index files differ from {split}.json")
        dims.add(x.shape[-1])
    if len(dims) > 1:
        problems.append(f"splits have different widths {sorted(dims)}")
    return not problems, {"problems": "\n".join(problems)}


def predictions_complete(pred_dir: Path, task_dir: Path, meta: dict) -> Check:
    """Every test clip (or pair) has a prediction row."""
    missing = 0
    for test, _, _ in fold_plan(meta):
        path = pred_dir / prediction_file(test)
        if not path.exists():
            return False, {"missing_file": str(path)}
        import pandas as pd

        pred = pd.read_csv(path, keep_default_na=False)
        if meta["task_type"] == "scene":
            missing += len(set(read_split_json(task_dir, test)) - set(pred["filename"]))
            cols = set(read_vocabulary(task_dir)) - set(pred.columns)
            missing += len(cols)
    return missing == 0, {"missing_rows": missing}


def scores_in_range(scores: list[dict]) -> Check:
    """Every metric of every pair lies inside its valid range (NaN allowed, reported)."""
    bad, nan = [], 0
    for s in scores:
        for name, value in s["metrics"].items():
            lo, hi = RANGES.get(
                name.split("_precision")[0].split("_recall")[0], (-math.inf, math.inf)
            )
            if value is None or math.isnan(value):
                nan += 1
            elif not lo - 1e-9 <= value <= hi + 1e-9:
                bad.append(f"{s['model']}|{s['task']} {name}={value}")
    return not bad, {"out_of_range": "\n".join(bad[:10]), "nan_metrics": nan}
