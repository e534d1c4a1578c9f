"""Event tasks: a frame-level multilabel probe, post-processing chosen on validation.

Each frame's target holds the labels of the events covering its timestamp
(``start <= t < end``). For every ``C`` the probe's validation frames are turned into events
with every point of the task's post-processing grid and scored with the primary event
metric (NaN counts as 0, as HEAR); the best (C, post-processing) pair is kept.
"""

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hear_assets.lib.embedding.embed import load_split, split_dir
from hear_assets.lib.evaluation import eventmetrics, postprocess
from hear_assets.lib.evaluation import probe as probelib
from hear_assets.lib.evaluation.metrics import ceiling, higher_is_better, selection_key
from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.files import atomic_path
from hear_assets.lib.store.mapped import stack_rows
from hear_assets.lib.tasks.folds import prediction_file
from hear_assets.lib.tasks.taskfiles import read_split_json, read_vocabulary


def reference_events(split_json: dict) -> dict[str, list[eventmetrics.Event]]:
    """``{file: [(label, onset_s, offset_s)]}`` from an event task's ``<split>.json``."""
    return {
        f: [(str(e["label"]), float(e["start"]) / 1000.0, float(e["end"]) / 1000.0) for e in evs]
        for f, evs in split_json.items()
    }


def frame_targets(index: dict, split_json: dict, vocab: list[str]) -> np.ndarray:
    """Multi-hot ``(n_frames, K)`` targets of the frames listed in an embeddings index."""
    pos = {lab: k for k, lab in enumerate(vocab)}
    ts = np.asarray(index["timestamps_ms"], dtype=np.float64)
    owner = np.asarray(index["frame_file"], dtype=object)
    y = np.zeros((len(ts), len(vocab)), np.float32)
    for f, evs in split_json.items():
        rows = np.flatnonzero(owner == f)
        for e in evs:
            if str(e["label"]) not in pos:
                raise TaskDataError(f"event label {e['label']!r} of {f} is not in the vocabulary")
            hit = rows[(ts[rows] >= float(e["start"])) & (ts[rows] < float(e["end"]))]
            y[hit, pos[str(e["label"])]] = 1.0
    return y


def to_events(probs: np.ndarray, index: dict, vocab: list[str], pp: dict) -> dict:
    """Frame probabilities of a split → ``{file: events}`` with post-processing ``pp``."""
    ts = np.asarray(index["timestamps_ms"], dtype=np.float64)
    owner = np.asarray(index["frame_file"], dtype=object)
    return {
        f: postprocess.frames_to_events(probs[owner == f], ts[owner == f], vocab, **pp)
        for f in index["files"]
    }


def _valid_scorer(ref: dict, index: dict, vocab: list[str], metric: str, grid: list[dict]):
    """The score of frame probabilities at the post-processing grid point that scores best
    (``metrics.selection_key``; an undefined value counts as 0), and that point."""
    hib = higher_is_better(metric)

    def score(probs: np.ndarray) -> tuple[float, dict[str, Any]]:
        best, best_key, best_pp = math.nan, -math.inf, grid[0]
        for pp in grid:
            counts = eventmetrics.file_counts(
                ref, to_events(probs, index, vocab, pp), vocab, [metric]
            )
            value = eventmetrics.metrics_from_counts(counts, np.arange(len(ref)))[metric]
            value = 0.0 if math.isnan(value) else value
            if selection_key(value, hib) > best_key:
                best, best_key, best_pp = value, selection_key(value, hib), pp
        return best, {"postprocessing": dict(best_pp)}

    return score


def predict_events(
    task_dir: Path, emb_dir: Path, out: Path, meta: dict, settings: probelib.ProbeSettings
) -> dict[str, Any]:
    """Fit the frame probe per evaluation and write ``filename,timestamp_ms,<labels>`` files."""
    vocab = read_vocabulary(task_dir)
    metric = meta["evaluation"][0]
    grid = postprocess.grid_points(meta.get("event_postprocessing_grid"))
    cache: dict[tuple[Path, str], tuple] = {}

    def load(test: str, split: str) -> tuple:
        where = split_dir(emb_dir, test)
        if (where, split) not in cache:
            x, index = load_split(where, split)
            labels = read_split_json(task_dir, split)
            cache[(where, split)] = (
                np.asarray(x),
                frame_targets(index, labels, vocab),
                index,
                labels,
            )
        return cache[(where, split)]

    def fold_of(test: str, valid: str, train: list[str]) -> probelib.Fold:
        x_tr = stack_rows([load(test, s)[0] for s in train])
        y_tr = stack_rows([load(test, s)[1] for s in train])
        x_va, y_va, idx_va, lab_va = load(test, valid)
        x_te, _, idx_te, lab_te = load(test, test)
        ref_te = reference_events(lab_te)

        def write(fitted: probelib.FittedProbe, folder: str) -> None:
            table = pd.DataFrame(fitted.predict(x_te), columns=vocab)
            table.insert(0, "timestamp_ms", idx_te["timestamps_ms"])
            table.insert(0, "filename", idx_te["frame_file"])
            with atomic_path(out / folder / prediction_file(test)) as tmp:
                table.to_csv(tmp, index=False, float_format="%.7g")

        def test_score(cand: probelib.FittedProbe) -> float:
            pp = [cand.extra["postprocessing"]]
            return _valid_scorer(ref_te, idx_te, vocab, metric, pp)(cand.predict(x_te))[0]

        scorer = _valid_scorer(reference_events(lab_va), idx_va, vocab, metric, grid)
        data = probelib.ProbeData(
            x_tr,
            y_tr,
            x_va,
            scorer,
            True,
            higher_is_better(metric),
            ceiling=ceiling(metric),
            y_valid=y_va,
        )
        return probelib.Fold(data, write, test_score)

    return probelib.fit_folds(meta, settings, fold_of)
