"""Score one (task, model) pair from its prediction files: every metric, folds, bootstrap CI."""

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hear_assets.lib.evaluation import eventmetrics, pairmetrics, postprocess
from hear_assets.lib.evaluation.metrics import SCENE_METRICS
from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.files import read_json
from hear_assets.lib.tasks.folds import fold_plan, prediction_file, scene_targets
from hear_assets.lib.tasks.taskfiles import read_split_csv, read_split_json, read_vocabulary

VERSION = "2"  # 2: probe seeds
BOOTSTRAP_N = 1000
BOOTSTRAP_SEED = 0


@dataclass
class FoldData:
    """One test split's scoring inputs; ``score(idx)`` scores the resampled units ``idx``."""

    n_units: int
    score: Callable[..., dict[str, float]]  # (idx, names=None) -> {metric: value}


def _read_predictions(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise TaskDataError(f"{path}: missing; materialize predictions for this pair")
    return pd.read_csv(path, keep_default_na=False)


def scene_fold(task_dir: Path, pred_dir: Path, split: str, metrics: list[str]) -> FoldData:
    """Targets and scores of a scene test split, aligned by filename."""
    vocab = read_vocabulary(task_dir)
    labels = read_split_json(task_dir, split)
    pred = _read_predictions(pred_dir / prediction_file(split))
    missing = sorted(set(labels) - set(pred["filename"]))
    if missing:
        raise TaskDataError(f"{pred_dir / prediction_file(split)}: no prediction for {missing[:3]}")
    files = list(labels)
    p = pred.set_index("filename").loc[files, vocab].to_numpy(np.float64)
    y = scene_targets(labels, files, vocab)

    def score(idx: np.ndarray, names: list[str] | None = None) -> dict[str, float]:
        return {m: SCENE_METRICS[m](y[idx], p[idx]) for m in names or metrics}

    return FoldData(len(files), score)


def jnd_fold(task_dir: Path, pred_dir: Path, split: str) -> FoldData:
    """Labels and distances of a JND test split, aligned by pair."""
    truth = read_split_csv(task_dir, split)
    pred = _read_predictions(pred_dir / prediction_file(split))
    merged = truth.merge(pred, on=["filename1", "filename2"], how="left")
    if merged["distance"].isna().any():
        raise TaskDataError(f"{pred_dir / prediction_file(split)}: pairs without a distance")
    y = merged["label"].astype(int).to_numpy()
    d = merged["distance"].astype(float).to_numpy()
    return FoldData(
        len(y), lambda idx, names=None: {"jnd_auc": pairmetrics.jnd_auc(y[idx], d[idx])}
    )


def ranking_fold(task_dir: Path, pred_dir: Path, split: str) -> FoldData:
    """Per-group ranking scores of a test split; groups are the resampled units."""
    groups = read_split_csv(task_dir, split)
    pred = _read_predictions(pred_dir / prediction_file(split))
    per_group = pairmetrics.group_scores(groups, pred)
    return FoldData(
        len(per_group), lambda idx, names=None: pairmetrics.ranking_metrics(per_group.iloc[idx])
    )


def event_fold(
    task_dir: Path, pred_dir: Path, split: str, metrics: list[str], pp: dict
) -> FoldData:
    """Reference events and post-processed predictions of an event test split, per file."""
    from hear_assets.lib.evaluation.eventprobe import reference_events

    vocab = read_vocabulary(task_dir)
    ref = reference_events(read_split_json(task_dir, split))
    pred = _read_predictions(pred_dir / prediction_file(split))
    est = {}
    for f, frames in pred.groupby("filename", sort=False):
        est[str(f)] = postprocess.frames_to_events(
            frames[vocab].to_numpy(np.float64),
            frames["timestamp_ms"].to_numpy(np.float64),
            vocab,
            **pp,
        )
    counts = eventmetrics.file_counts(ref, est, vocab, metrics)
    return FoldData(len(ref), lambda idx, names=None: eventmetrics.metrics_from_counts(counts, idx))


def probe_seeds(pred_dir: Path) -> list[str | None]:
    """The seeds a pair's probe ran with (``[None]`` for untrained distance tasks and for
    predictions written before seeds or without a ``probe.json``)."""
    if not (pred_dir / "probe.json").exists():
        return [None]
    probe = read_json(pred_dir / "probe.json")
    first = next(iter(probe["folds"].values()), {})
    return list(first.get("seeds", {})) or [None]


def load_folds(
    task_dir: Path, pred_dir: Path, meta: dict, seed: str | None = None
) -> dict[str, FoldData]:
    """``{test split: FoldData}`` for every evaluation of the task, from the prediction files
    of probe seed ``seed`` (None: the pair's top-level files, the first seed's)."""
    out = {}
    records = (
        read_json(pred_dir / "probe.json")["folds"]
        if seed is not None or meta["task_type"] == "event"
        else {}
    )
    for test, _, _ in fold_plan(meta):
        record = records.get(test, {})
        if seed is not None:
            record = record["seeds"][seed]
        where = pred_dir / record.get("folder", "")
        if meta["task_type"] == "scene":
            out[test] = scene_fold(task_dir, where, test, list(meta["evaluation"]))
        elif meta["task_type"] == "event":
            out[test] = event_fold(
                task_dir, where, test, list(meta["evaluation"]), record["postprocessing"]
            )
        elif meta["task_type"] == "jnd":
            out[test] = jnd_fold(task_dir, where, test)
        elif meta["task_type"] == "ranking":
            out[test] = ranking_fold(task_dir, where, test)
        else:
            raise TaskDataError(f"task type {meta['task_type']} has no scorer yet")
    return out


def resample(
    rng: np.random.Generator, seeds: list[dict[str, FoldData]]
) -> tuple[dict[str, np.ndarray], list[int]]:
    """One bootstrap replicate: resampled units of each fold (shared by every seed) and, with
    several seeds, as many seeds drawn with replacement."""
    draws = {k: rng.integers(0, f.n_units, f.n_units) for k, f in seeds[0].items()}
    picked = list(rng.integers(0, len(seeds), len(seeds))) if len(seeds) > 1 else [0]
    return draws, picked


def replicate_score(
    seeds: list[dict[str, FoldData]], draws: dict[str, np.ndarray], picked: list[int], metric: str
) -> float:
    """The fold-mean ``metric`` on resampled units, averaged over the drawn seeds."""
    by_seed = {
        i: float(np.mean([seeds[i][k].score(idx, [metric])[metric] for k, idx in draws.items()]))
        for i in set(picked)
    }
    return float(np.mean([by_seed[i] for i in picked]))


def bootstrap_ci(
    seeds: list[dict[str, FoldData]],
    metric: str,
    n: int = BOOTSTRAP_N,
    seed: int = BOOTSTRAP_SEED,
) -> list[float]:
    """95 % percentile interval of the seed-mean, fold-mean ``metric``: each replicate
    resamples each fold's units and (with several probe seeds) the seeds, so the interval
    holds both the test-set noise and the spread over probe seeds."""
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n):
        draws, picked = resample(rng, seeds)
        values.append(replicate_score(seeds, draws, picked, metric))
    arr = np.asarray(values)
    arr = arr[~np.isnan(arr)]
    if len(arr) == 0:
        return [math.nan, math.nan]
    lo, hi = np.percentile(arr, [2.5, 97.5])
    return [float(lo), float(hi)]


def score_folds(folds: dict[str, FoldData]) -> dict[str, dict[str, float]]:
    """Every metric on every fold's full test set."""
    return {name: f.score(np.arange(f.n_units)) for name, f in folds.items()}


def summarize(per_fold: dict[str, dict[str, float]]) -> tuple[dict[str, float], dict[str, float]]:
    """Fold means and sample standard deviations (pandas' ``std``, as HEAR) of each metric."""
    df = pd.DataFrame(per_fold).T
    means = {k: float(v) for k, v in df.mean(axis=0, skipna=False).items()}
    stds = {k: float(v) if len(df) > 1 else 0.0 for k, v in df.std(axis=0, skipna=False).items()}
    return means, stds


def score_pair(
    task_dir: Path,
    pred_dir: Path,
    meta: dict,
    n_boot: int = BOOTSTRAP_N,
    seed: int = BOOTSTRAP_SEED,
) -> dict[str, Any]:
    """The metric part of a scores json (everything but names, probe and provenance). With
    several probe seeds every metric is the mean over seeds (``seeds`` holds each seed's
    primary score, ``seed_std`` their sample deviation)."""
    seeds = probe_seeds(pred_dir)
    folds = [load_folds(task_dir, pred_dir, meta, s) for s in seeds]
    scored = [score_folds(f) for f in folds]
    per_fold = {
        test: {m: float(np.mean([sc[test][m] for sc in scored])) for m in scored[0][test]}
        for test in scored[0]
    }
    means, stds = summarize(per_fold)
    primary = meta["evaluation"][0]
    by_seed = {str(s): summarize(sc)[0][primary] for s, sc in zip(seeds, scored, strict=True)}
    return {
        "task_type": meta["task_type"],
        "primary_metric": primary,
        "primary": means[primary],
        "ci95": bootstrap_ci(folds, primary, n_boot, seed),
        "metrics": means,
        "folds": per_fold,
        "folds_std": stds,
        "seeds": by_seed if seeds != [None] else {},
        "seed_std": float(np.std(list(by_seed.values()), ddof=1)) if len(seeds) > 1 else 0.0,
        "seed_folds": {str(s): sc for s, sc in zip(seeds, scored, strict=True)}
        if len(seeds) > 1
        else {},
        "bootstrap": {"n": n_boot, "seed": seed},
        "n_test": int(sum(f.n_units for f in folds[0].values())),
    }
