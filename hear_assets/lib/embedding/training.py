"""Trained weights of learned models: per task (one per evaluation fold) or over all tasks.

Per-task weights train on an evaluation's training splits and stop early on its validation
split, so a k-fold task gets one encoder per test fold and no encoder ever sees its test fold.
Files: ``weights/<model>/<task>/<test split>.<suffix>`` plus ``curve.json``.
"""

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hear_assets.lib.embedding import trainsets
from hear_assets.lib.store.files import atomic_dir, digest_tree, read_json, write_json
from hear_assets.lib.store.layout import Layout
from hear_assets.lib.tasks import TaskSpec
from hear_assets.lib.tasks.folds import fold_plan
from hear_models.registry import ModelSpec, import_trainer

VERSION = "1"
FRAME_HOP_MS = {"learned_conv": 20.0, "multitask_flax": 20.0}
ALL_TASKS = "all"  # the task key of weights trained over every task


@dataclass
class TrainResult:
    """What a training stage wrote."""

    files: dict[str, str]  # test split -> checkpoint path
    curves: dict[str, list[dict[str, float]]]
    seconds: float
    digest: str


def weights_dir(layout: Layout, model: str, task: str) -> Path:
    """``weights/<model>/<task>/`` (``Layout.model_weights_dir``)."""
    return layout.model_weights_dir(model, task)


def checkpoint_for(layout: Layout, model: ModelSpec, task: str, test_split: str) -> Path:
    """The checkpoint a per-task model uses when ``test_split`` is the test split."""
    return weights_dir(layout, model.name, task) / f"{test_split}{model.weights_suffix}"


def train_per_task(layout: Layout, model: ModelSpec, task: TaskSpec, log=None) -> TrainResult:
    """Train ``model`` on ``task``: one checkpoint per evaluation (test split)."""
    task_dir = layout.task_dir(task.name)
    meta = read_json(task_dir / "task_metadata.json")
    train = import_trainer(model.trainer)
    hop = FRAME_HOP_MS.get(model.name, 20.0)
    start = time.perf_counter()
    curves, files = {}, {}
    out = weights_dir(layout, model.name, task.name)
    with atomic_dir(out) as tmp:
        for test, valid, train_splits in fold_plan(meta):
            tr = trainsets.split_set(task_dir, meta, train_splits, model.sample_rate, hop)
            va = trainsets.split_set(task_dir, meta, [valid], model.sample_rate, hop)
            checkpoint, curve = train(tr, va, log=log)
            _save(checkpoint, tmp / f"{test}{model.weights_suffix}")
            curves[test] = curve
            files[test] = str(out / f"{test}{model.weights_suffix}")
        write_json(tmp / "curve.json", curves)
    return TrainResult(files, curves, time.perf_counter() - start, digest_tree(out))


def multitask_eligible(task: TaskSpec) -> bool:
    """Tasks a multi-task model trains on: scene and event tasks with a train/valid/test split
    (k-fold tasks would leak test folds into the encoder; JND and ranking have no classes)."""
    return task.task_type in ("scene", "event") and task.split_mode == "trainvaltest"


def per_task_blocker(task: TaskSpec) -> str | None:
    """Why a per-task model cannot train on ``task`` (None when it can): every evaluation needs
    a training split beside its test and validation splits."""
    plan = fold_plan({"splits": task.splits, "split_mode": task.split_mode})
    if any(not train for _, _, train in plan):
        return (
            f"{task.name} has {len(task.splits)} folds, which leave no training fold beside "
            "each evaluation's test and validation folds"
        )
    return None


def train_all_tasks(
    layout: Layout, model: ModelSpec, tasks: list[TaskSpec], log=None
) -> TrainResult:
    """Train ``model`` once over the training splits of ``tasks`` (validation: their valid)."""
    train = import_trainer(model.trainer)
    hop = FRAME_HOP_MS.get(model.name, 20.0)
    start = time.perf_counter()
    sets = {}
    for task in tasks:
        task_dir = layout.task_dir(task.name)
        meta = read_json(task_dir / "task_metadata.json")
        sets[task.name] = (
            trainsets.split_set(task_dir, meta, ["train"], model.sample_rate, hop),
            trainsets.split_set(task_dir, meta, ["valid"], model.sample_rate, hop),
        )
    checkpoint, curve = train(sets, log=log)
    out = weights_dir(layout, model.name, ALL_TASKS)
    with atomic_dir(out) as tmp:
        _save(checkpoint, tmp / f"{ALL_TASKS}{model.weights_suffix}")
        write_json(tmp / "curve.json", {"tasks": sorted(sets), "curve": curve})
    path = out / f"{ALL_TASKS}{model.weights_suffix}"
    return TrainResult(
        {ALL_TASKS: str(path)}, {ALL_TASKS: curve}, time.perf_counter() - start, digest_tree(out)
    )


def _save(checkpoint: dict[str, Any], path: Path) -> None:
    if path.suffix == ".pt":
        import torch

        torch.save(checkpoint, path)
    else:
        import numpy as np

        np.savez(path, **checkpoint)


def file_sha256(path: Path) -> str:
    """Hex sha256 of a checkpoint."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
