"""Numbers about a task or a pair for the UI: label histograms, clip durations, confusion
matrices and validation curves, as plain data plus markdown tables."""

import json
import logging
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hear_assets.lib.report import figures
from hear_assets.lib.tasks.folds import fold_plan, prediction_file
from hear_assets.lib.tasks.taskfiles import read_split_csv, read_split_json, read_vocabulary
from hear_assets.lib.tasks.wavcheck import wav_facts

log = logging.getLogger(__name__)
MAX_ROWS = 20
OTHER = "(other)"


def label_counts(task_dir: Path, meta: dict) -> tuple[str, dict[str, dict[str, int]]]:
    """What is counted and, per split, its count per value.

    Scene tasks count clips per label (a multi-label clip counts once for each label), event
    tasks count events per label, JND tasks count pairs per label and ranking tasks count clips
    per rank.
    """
    kind = meta["task_type"]
    counts: dict[str, dict[str, int]] = {}
    for split in meta["splits"]:
        if kind in ("scene", "event"):
            entries = read_split_json(task_dir, split).values()
            labels = [str(e["label"] if isinstance(e, dict) else e) for lst in entries for e in lst]
        else:
            column = "label" if kind == "jnd" else "rank"
            labels = [str(v) for v in read_split_csv(task_dir, split)[column]]
        counts[split] = dict(Counter(labels))
    what = {"scene": "clips", "event": "events", "jnd": "pairs", "ranking": "clips"}[kind]
    return (f"{what} per {'rank' if kind == 'ranking' else 'label'}", counts)


def _order(labels: list[str], vocab: list[str]) -> list[str]:
    pos = {lab: i for i, lab in enumerate(vocab)}
    return sorted(labels, key=lambda lab: (pos.get(lab, len(pos)), lab))


def counts_markdown(
    title: str, counts: dict[str, dict[str, int]], vocab: list[str], limit: int = MAX_ROWS
) -> str:
    """A value × split table of counts (the ``limit`` most frequent values, the rest summed)."""
    splits = list(counts)
    total = Counter()
    for per in counts.values():
        total.update(per)
    if not total:
        return f"_{title}: none_"
    kept = set(sorted(total, key=lambda v: (-total[v], v))[:limit])
    rows = [[v, *(counts[s].get(v, 0) for s in splits)] for v in _order(list(kept), vocab)]
    note = ""
    if len(total) > limit:
        rest = [v for v in total if v not in kept]
        rows.append([OTHER, *(sum(counts[s].get(v, 0) for v in rest) for s in splits)])
        note = f"\n\n_{limit} most frequent of {len(total)} values shown; the rest summed_"
    head = f"| {title.split(' per ')[-1]} | " + " | ".join(splits) + " |"
    lines = [head, "|---|" + "---:|" * len(splits)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return f"**{title}**\n\n" + "\n".join(lines) + note


def clip_durations(task_dir: Path, meta: dict, rate: int = 16000) -> dict[str, dict[str, float]]:
    """Per split: clips and min/mean/max duration in seconds, from the wav headers at ``rate``."""
    out = {}
    for split in meta["splits"]:
        facts = [
            wav_facts(task_dir / str(rate) / split / name)
            for name in read_split_json(task_dir, split)
        ]
        secs = [f.frames / f.rate for f in facts]
        out[split] = {
            "clips": len(secs),
            "min_s": round(min(secs), 3) if secs else math.nan,
            "mean_s": round(float(np.mean(secs)), 3) if secs else math.nan,
            "max_s": round(max(secs), 3) if secs else math.nan,
            "total_s": round(float(np.sum(secs)), 1),
        }
    return out


def durations_markdown(durations: dict[str, dict[str, float]]) -> str:
    """The durations summary as a split × statistic table."""
    cols = ["clips", "min_s", "mean_s", "max_s", "total_s"]
    lines = ["| split | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    lines += [
        f"| {split} | " + " | ".join(f"{d[c]:g}" for c in cols) + " |"
        for split, d in durations.items()
    ]
    return "\n".join(lines)


def confusion_matrix(task_dir: Path, pred_dir: Path) -> tuple[list[str], np.ndarray] | None:
    """``(labels, counts)`` with rows the true and columns the predicted (argmax) label of every
    test clip, summed over k-fold test folds; None unless the task is single-label scene."""
    meta = json.loads((task_dir / "task_metadata.json").read_text())
    if meta["task_type"] != "scene" or meta["prediction_type"] != "multiclass":
        return None
    vocab = read_vocabulary(task_dir)
    pos = {lab: i for i, lab in enumerate(vocab)}
    counts = np.zeros((len(vocab), len(vocab)), np.int64)
    for test, _, _ in fold_plan(meta):
        truth = read_split_json(task_dir, test)
        pred = pd.read_csv(pred_dir / prediction_file(test), dtype={"filename": str})
        probs = pred[vocab].to_numpy(dtype=np.float64)
        for name, k in zip(pred["filename"], np.argmax(probs, axis=1), strict=True):
            counts[pos[str(truth[name][0])], k] += 1
    return vocab, counts


def confusion_markdown(labels: list[str], counts: np.ndarray, limit: int = MAX_ROWS) -> str:
    """The matrix as markdown (rows true, columns predicted); past ``limit`` labels, the most
    frequent true labels are kept and the rest summed into an ``(other)`` row and column."""
    n = len(labels)
    names = list(labels)
    note = ""
    if n > limit:
        keep = sorted(np.argsort(-counts.sum(axis=1), kind="stable")[:limit])
        rest = [i for i in range(n) if i not in set(keep)]
        groups = [[i] for i in keep] + [rest]
        counts = np.array([[counts[np.ix_(r, c)].sum() for c in groups] for r in groups])
        names = [labels[i] for i in keep] + [OTHER]
        note = f"\n\n_{limit} of {n} labels shown (most frequent in the test set); the rest summed_"
    head = "| true \\ predicted | " + " | ".join(names) + " |"
    lines = [head, "|---|" + "---:|" * len(names)]
    for name, row in zip(names, counts, strict=True):
        lines.append(f"| **{name}** | " + " | ".join(str(int(c)) for c in row) + " |")
    return "\n".join(lines) + note


def curve_markdown(probe: dict[str, Any]) -> str:
    """Every fold's validation score at every grid point, the chosen point marked."""
    rows = []
    for fold, info in probe.get("folds", {}).items():
        chosen = info.get("hparams", {})
        for point in info.get("curve", []):
            params = {k: v for k, v in point.items() if k != "valid_score"}
            same_probe = point.get("probe", info.get("kind")) == info.get("kind")
            shared = [k for k in params if k in chosen]
            mark = "✓" if same_probe and all(point[k] == chosen[k] for k in shared) else ""
            rows.append((fold, params, point.get("valid_score"), mark))
    if not rows:
        return "_no grid: this probe needs no training_"
    keys = list(dict.fromkeys(k for _, params, _, _ in rows for k in params))
    lines = [
        "| test fold | " + " | ".join(keys) + " | valid score | chosen |",
        "|---|" + "---:|" * len(keys) + "---:|:-:|",
    ]
    for fold, params, score, mark in rows:
        cells = [_cell(params.get(k)) for k in keys]
        lines.append(f"| {fold} | " + " | ".join(cells) + f" | {_cell(score)} | {mark} |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4g}"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return str(value)


@dataclass
class TaskOverview:
    """What the ``task_splits`` asset shows about one task."""

    labels_md: str
    durations_md: str
    audio_s: float
    spectrogram_md: str
    spectrogram_png: Path | None


def _guarded(what: str, fn, *args):
    """``fn(*args)``, or a markdown note if it fails: the stage's files are already written and
    recorded, so a figure that cannot be drawn must not fail the materialization."""
    try:
        return fn(*args)
    except Exception as exc:  # any failure of a summary is reported in place of the summary
        log.warning("%s unavailable: %s", what, exc)
        return f"_{what} unavailable: {exc}_"


def _spectrogram(task_dir: Path, meta: dict, report_dir: Path) -> tuple[str, Path | None]:
    example = figures.example_clip(task_dir, list(meta["splits"]))
    if example is None:
        return "_no clips_", None
    split, name = example
    png = figures.spectrogram_png(task_dir / str(figures.SPECTROGRAM_RATE) / split / name)
    png_path = report_dir / "spectrogram.png"
    figures.write_png(png_path, png)
    text = (
        f"![log-mel spectrogram of {split}/{name}]({figures.data_uri(png)})\n\n"
        f"_{split}/{name} at 16 kHz: {figures.N_MELS} mel bands up to 8 kHz (low at the "
        f"bottom), 10 ms hop, the loudest {figures.TOP_DB:g} dB_"
    )
    return text, png_path


def task_overview(task_dir: Path, meta: dict, report_dir: Path) -> TaskOverview:
    """Label histograms, clip durations and an example spectrogram (written to
    ``report_dir/spectrogram.png``) of one task whose split files and audio are written."""
    vocab = read_vocabulary(task_dir)
    labels = _guarded("label counts", lambda: counts_markdown(*label_counts(task_dir, meta), vocab))
    durations = _guarded("clip durations", clip_durations, task_dir, meta)
    spec = _guarded("spectrogram", _spectrogram, task_dir, meta, report_dir)
    if isinstance(durations, str):
        durations_md, audio_s = durations, math.nan
    else:
        durations_md = durations_markdown(durations)
        audio_s = round(sum(d["total_s"] for d in durations.values()), 1)
    spec_md, png = (spec, None) if isinstance(spec, str) else spec
    return TaskOverview(labels, durations_md, audio_s, spec_md, png)


def pair_overview(task_dir: Path, pred_dir: Path, probe: dict[str, Any]) -> dict[str, str]:
    """Markdown for the ``predictions`` asset: the confusion matrix (single-label scene tasks)
    and the validation curve."""

    def confusion() -> str:
        cm = confusion_matrix(task_dir, pred_dir)
        return confusion_markdown(*cm) if cm is not None else "_single-label scene tasks only_"

    return {
        "confusion_matrix": _guarded("confusion matrix", confusion),
        "validation_curve": _guarded("validation curve", curve_markdown, probe),
    }
