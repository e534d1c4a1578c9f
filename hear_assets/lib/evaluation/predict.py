"""Embeddings → ``predicted-<split>.csv`` for one (task, model) pair, dispatched on task type.

Scene tasks train a probe (``probe``); JND and ranking tasks need no training: their prediction
is the distance between two clips' embeddings. Every file is written into a temporary folder
that replaces ``predictions/<model>/<task>/`` whole.
"""

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hear_assets.lib.embedding.embed import load_split, split_dir
from hear_assets.lib.evaluation import fewshot
from hear_assets.lib.evaluation import probe as probelib
from hear_assets.lib.evaluation.eventprobe import predict_events
from hear_assets.lib.evaluation.metrics import SCENE_METRICS, ceiling, higher_is_better
from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.files import atomic_dir, atomic_path, digest_tree, read_json, write_json
from hear_assets.lib.store.mapped import stack_rows
from hear_assets.lib.tasks.folds import fold_plan, prediction_file, scene_targets
from hear_assets.lib.tasks.taskfiles import read_split_csv, read_split_json, read_vocabulary

VERSION = "1"


@dataclass
class PredictResult:
    """What one materialization wrote and chose."""

    files: list[str]
    probe: dict[str, Any]
    seconds: float
    digest: str = ""
    test_rows: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _scene_split(task_dir: Path, emb_dir: Path, split: str, vocab: list[str]):
    x, index = load_split(emb_dir, split)
    files = index["files"]
    return np.asarray(x), scene_targets(read_split_json(task_dir, split), files, vocab), files


def _stack(parts: list[tuple[np.ndarray, np.ndarray, list[str]]]):
    return stack_rows([p[0] for p in parts]), stack_rows([p[1] for p in parts])


def predict_scene(
    task_dir: Path, emb_dir: Path, out: Path, meta: dict, settings: probelib.ProbeSettings
) -> dict[str, Any]:
    """Fit a probe per evaluation and write scene prediction files into ``out``."""
    vocab = read_vocabulary(task_dir)
    cache: dict[tuple[Path, str], tuple] = {}

    def load(test: str, split: str) -> tuple:
        where = split_dir(emb_dir, test)
        if (where, split) not in cache:
            cache[(where, split)] = _scene_split(task_dir, where, split, vocab)
        return cache[(where, split)]

    multilabel = meta["prediction_type"] == "multilabel"
    metric = meta["evaluation"][0]
    scorer = SCENE_METRICS[metric]

    def fold_of(test: str, valid: str, train: list[str]) -> probelib.Fold:
        x_tr, y_tr = _stack([load(test, s) for s in train])
        x_va, y_va, _ = load(test, valid)
        x_te, y_te, files = load(test, test)

        def write(fitted: probelib.FittedProbe, folder: str) -> None:
            table = pd.DataFrame(fitted.predict(x_te), columns=vocab)
            table.insert(0, "filename", files)
            with atomic_path(out / folder / prediction_file(test)) as tmp:
                table.to_csv(tmp, index=False, float_format="%.7g")

        return probelib.Fold(
            probelib.ProbeData(
                x_tr,
                y_tr,
                x_va,
                lambda p: (scorer(y_va, p), {}),
                multilabel,
                higher_is_better(metric),
                knn=True,
                ceiling=ceiling(metric),
                y_valid=y_va,
            ),
            write,
            lambda cand: float(scorer(y_te, cand.predict(x_te))),
        )

    folds = probelib.fit_folds(meta, settings, fold_of)
    if settings.shots:
        per_fold = []
        for test, valid, train in fold_plan(meta):
            fold = fold_of(test, valid, train)

            def fit_and_score(idx: np.ndarray, fold: probelib.Fold = fold) -> float:
                subset = replace(
                    fold.data, x_train=fold.data.x_train[idx], y_train=fold.data.y_train[idx]
                )
                return fold.test_score(probelib.fit_logreg_probe(subset))

            per_fold.append(
                fewshot.curve_for_fold(
                    fit_and_score,
                    fold.data.y_train,
                    settings.shots,
                    vocab,
                    f"task {meta.get('task_name', '')} ({test})",
                )
            )
        first = next(iter(folds.values()))
        first["few_shot"] = fewshot.summarize(per_fold)
    return folds


def clip_vectors(emb_dir: Path, split: str) -> dict[str, np.ndarray]:
    """Each clip's frame embeddings, concatenated in time order, as one flat vector."""
    x, index = load_split(emb_dir, split)
    x = np.asarray(x)
    owner = np.asarray(index["frame_file"], dtype=object)
    return {f: x[owner == f].ravel() for f in index["files"]}


def embedding_distance(a: np.ndarray, b: np.ndarray) -> float:
    """``sum(|a - b|)`` divided by the number of elements (clips of equal length)."""
    if a.shape != b.shape:
        raise TaskDataError(
            f"clips of a pair have {a.size} and {b.size} embedding values; JND and ranking "
            "clips must share one length"
        )
    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).mean())


def pair_table(task_dir: Path, emb_dir: Path, split: str, task_type: str) -> pd.DataFrame:
    """``filename1,filename2,distance`` for JND pairs or every pair inside a ranking group."""
    vec = clip_vectors(emb_dir, split)
    table = read_split_csv(task_dir, split)
    if task_type == "jnd":
        pairs = list(zip(table["filename1"], table["filename2"], strict=True))
    else:
        pairs = []
        for _, grp in table.groupby("group", sort=True):
            names = grp.sort_values("rank", kind="stable")["filename"].tolist()
            pairs.extend((a, b) for i, a in enumerate(names) for b in names[i + 1 :])
    rows = [(a, b, embedding_distance(vec[a], vec[b])) for a, b in pairs]
    return pd.DataFrame(rows, columns=["filename1", "filename2", "distance"])


def predict_pairs(task_dir: Path, emb_dir: Path, out: Path, meta: dict) -> dict[str, Any]:
    """Write JND/ranking distance files for each test split; no training."""
    folds = {}
    for test, _, _ in fold_plan(meta):
        with atomic_path(out / prediction_file(test)) as tmp:
            pair_table(task_dir, split_dir(emb_dir, test), test, meta["task_type"]).to_csv(
                tmp, index=False, float_format="%.9g"
            )
        folds[test] = {"kind": "distance", "hparams": {"distance": "mean_abs"}, "valid_score": None}
    return folds


def predict_pair(
    task_dir: Path,
    emb_dir: Path,
    out_dir: Path,
    settings: probelib.ProbeSettings | None = None,
    extra: dict[str, Any] | None = None,
) -> PredictResult:
    """Write every prediction file of one pair into ``out_dir`` (replaced atomically);
    ``extra`` joins the chosen probe's record (``probe.json``)."""
    settings = settings or probelib.ProbeSettings()
    meta = read_json(task_dir / "task_metadata.json")
    start = time.perf_counter()
    with atomic_dir(out_dir) as tmp:
        if meta["task_type"] == "scene":
            folds = predict_scene(task_dir, emb_dir, tmp, meta, settings)
        elif meta["task_type"] == "event":
            folds = predict_events(task_dir, emb_dir, tmp, meta, settings)
        elif meta["task_type"] in ("jnd", "ranking"):
            folds = predict_pairs(task_dir, emb_dir, tmp, meta)
        else:
            raise TaskDataError(f"task type {meta['task_type']} has no predictor yet")
        first = next(iter(folds.values()))
        probe_info = {
            "kind": first["kind"],
            "hparams": first["hparams"],
            "valid_score": _mean([f["valid_score"] for f in folds.values()]),
            "folds": folds,
        }
        if "candidates" in first:
            families = dict.fromkeys(fam for f in folds.values() for fam in f["candidates"])
            probe_info["candidates"] = {
                family: {
                    key: _mean(
                        [
                            f["candidates"][family][key]
                            for f in folds.values()
                            if family in f["candidates"]
                        ]
                    )
                    for key in ("valid_score", "test_score")
                }
                for family in families
            }
        if "postprocessing" in first:
            probe_info["postprocessing"] = first["postprocessing"]
        if "few_shot" in first:
            probe_info["few_shot"] = first.pop("few_shot")
        probe_info.update(extra or {})
        write_json(tmp / "probe.json", probe_info)
        files = sorted(p.name for p in tmp.glob("predicted-*.csv"))
    return PredictResult(files, probe_info, time.perf_counter() - start, digest_tree(out_dir))


def _mean(values: list[Any]) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else None
