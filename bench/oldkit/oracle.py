"""Oracle: the original ``heareval.score`` functions on hear-dagster's predictions.

Runs in the old-kit venv (bench/oldkit/install.sh), reads only plain files under HEAR_HOME
(task metadata and split jsons, ``predicted-<split>.csv``, ``probe.json``, the scores jsons)
and prints one JSON line per (model, task, split, metric): our score, the original's score
on the same predictions, and their difference. Event predictions are turned into events by
the original's own ``get_events_for_all_files`` with the post-processing our probe chose.

    python bench/oldkit/oracle.py HEAR_HOME [MODEL ...]
"""

import csv
import json
import sys
from pathlib import Path

import numpy as np
import torch
from heareval.predictions.task_predictions import get_events_for_all_files
from heareval.score import available_scores


def read_json(path: Path):
    return json.loads(path.read_text())


def vocabulary(task_dir: Path) -> list[str]:
    with (task_dir / "labelvocabulary.csv").open() as fh:
        return [row["label"] for row in csv.DictReader(fh)]


def read_predictions(path: Path):
    with path.open() as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def scene_inputs(task_dir: Path, pred: Path, split: str, vocab: list[str]):
    header, rows = read_predictions(pred)
    assert header[1:] == vocab, f"{pred}: columns are not the vocabulary"
    labels = read_json(task_dir / f"{split}.json")
    probs = np.array([[float(v) for v in r[1:]] for r in rows], dtype=np.float32)
    targets = np.zeros_like(probs)
    for i, r in enumerate(rows):
        for lab in labels[r[0]]:
            targets[i, vocab.index(str(lab))] = 1.0
    return probs, targets


def event_inputs(task_dir: Path, pred: Path, split: str, vocab: list[str], pp: dict):
    _, rows = read_predictions(pred)
    probs = torch.tensor([[float(v) for v in r[2:]] for r in rows])
    files = [r[0] for r in rows]
    stamps = torch.tensor([float(r[1]) for r in rows])
    post = (("median_filter_ms", pp["median_filter_ms"]), ("min_duration", pp["min_duration_ms"]))
    grid = {k: [v] for k, v in post}
    idx_to_label = dict(enumerate(vocab))
    events = get_events_for_all_files(probs, files, stamps, idx_to_label, grid, post)[post]
    targets = read_json(task_dir / f"{split}.json")
    return events, {f: targets.get(f, []) for f in events}


def compare(home: Path, model: str, task: str):
    task_dir = home / "tasks" / task
    meta = read_json(task_dir / "task_metadata.json")
    if meta["task_type"] not in ("scene", "event"):
        return
    vocab = vocabulary(task_dir)
    label_to_idx = {lab: i for i, lab in enumerate(vocab)}
    pred_dir = home / "predictions" / model / task
    ours = read_json(home / "scores" / model / f"{task}.json")
    probe = read_json(pred_dir / "probe.json")
    # the top-level prediction files are the first probe seed's; the scores json's "folds" are
    # the mean over seeds, "seed_folds" each seed's
    first = next(iter(ours.get("seed_folds") or {}), None)
    per_fold = ours["seed_folds"][first] if first is not None else ours["folds"]
    for split, our_metrics in per_fold.items():
        pred = pred_dir / f"predicted-{split}.csv"
        if meta["task_type"] == "scene":
            args = scene_inputs(task_dir, pred, split, vocab)
        else:
            pp = probe["folds"][split]["postprocessing"]
            args = event_inputs(task_dir, pred, split, vocab, pp)
        for metric in meta["evaluation"]:
            theirs = available_scores[metric](label_to_idx=label_to_idx)(*args)
            parts = dict(theirs) if isinstance(theirs, tuple) else {None: theirs}
            for part, value in parts.items():
                name = metric if part in (None, "f_measure", "error_rate") else f"{metric}_{part}"
                if name not in our_metrics:
                    continue
                mine = our_metrics[name]
                yield {
                    "model": model,
                    "task": task,
                    "split": split,
                    "metric": name,
                    "ours": mine,
                    "original": float(value),
                    "diff": 0.0 if float(value) == mine else abs(float(value) - mine),
                }


def main() -> None:
    home = Path(sys.argv[1])
    models = sys.argv[2:] or sorted(p.name for p in (home / "scores").iterdir() if p.is_dir())
    for model in models:
        for scores in sorted((home / "scores" / model).glob("*.json")):
            for row in compare(home, model, scores.stem):
                sys.stdout.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
