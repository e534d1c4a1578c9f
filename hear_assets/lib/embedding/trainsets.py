"""Training data for learned models: a task's standardized audio and targets as numpy.

Only training and validation splits are ever read here; test splits never reach a trainer.
"""

from pathlib import Path
from typing import Any

import numpy as np

from hear_assets.lib.embedding.embed import load_wav
from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.tasks.folds import scene_targets
from hear_assets.lib.tasks.standardize import trim_pad
from hear_assets.lib.tasks.taskfiles import read_split_csv, read_split_json, read_vocabulary
from hear_models.audio import frame_starts

MAX_SECONDS = 10.0  # clips of tasks without a fixed duration are cut to this for training


def _audio(task_dir: Path, rate: int, split: str, files: list[str], meta: dict) -> np.ndarray:
    seconds = meta.get("sample_duration") or MAX_SECONDS
    n = int(round(seconds * rate))
    return np.stack([trim_pad(load_wav(task_dir / str(rate) / split / f, rate), n) for f in files])


def frame_targets(events: list[dict], times_ms: np.ndarray, vocab: list[str]) -> np.ndarray:
    """``(T, K)`` multi-hot: labels of the events covering each frame time (start <= t < end)."""
    pos = {lab: k for k, lab in enumerate(vocab)}
    y = np.zeros((len(times_ms), len(vocab)), np.float32)
    for e in events:
        y[(times_ms >= float(e["start"])) & (times_ms < float(e["end"])), pos[str(e["label"])]] = 1
    return y


def split_set(
    task_dir: Path, meta: dict, splits: list[str], rate: int, hop_ms: float
) -> dict[str, Any]:
    """One training or validation set over ``splits``, in the form the trainers take.

    Scene: ``kind`` multiclass/multilabel, ``y (N, K)``. Event: ``kind`` frames,
    ``y (N, T, K)`` at the model's frame centres (``hop_ms``). JND and ranking: ``kind``
    pairs, ``pairs (P, 2)`` clip indices and ``y (P,)`` target distances in [0, 1].
    """
    if any(s == "test" for s in splits):
        raise TaskDataError("the test split must never be used for training")
    vocab = read_vocabulary(task_dir)
    audio, ys, pairs, targets, offset = [], [], [], [], 0
    for split in splits:
        listing = read_split_json(task_dir, split)
        files = list(listing)
        clips = _audio(task_dir, rate, split, files, meta)
        audio.append(clips)
        task_type = meta.get("task_type", meta["embedding_type"])
        if task_type == "scene":
            ys.append(scene_targets(listing, files, vocab))
        elif task_type == "event":
            _, times = frame_starts(clips.shape[1], rate, hop_ms)
            ys.append(np.stack([frame_targets(listing[f], times, vocab) for f in files]))
        else:
            pos = {f: offset + i for i, f in enumerate(files)}
            table = read_split_csv(task_dir, split)
            if task_type == "jnd":
                for a, b, lab in zip(
                    table["filename1"], table["filename2"], table["label"], strict=True
                ):
                    pairs.append((pos[a], pos[b]))
                    targets.append(float(lab))
            else:
                for _, grp in table.groupby("group"):
                    ranks = dict(zip(grp["filename"], grp["rank"].astype(float), strict=True))
                    span = max(max(ranks.values()) - min(ranks.values()), 1.0)
                    names = sorted(ranks)
                    for i, a in enumerate(names):
                        for b in names[i + 1 :]:
                            pairs.append((pos[a], pos[b]))
                            targets.append(abs(ranks[a] - ranks[b]) / span)
        offset += len(files)
    out: dict[str, Any] = {"audio": np.concatenate(audio).astype(np.float32)}
    task_type = meta.get("task_type", meta["embedding_type"])
    if task_type in ("scene", "event"):
        out["kind"] = meta["prediction_type"] if task_type == "scene" else "frames"
        out["y"] = np.concatenate(ys).astype(np.float32)
    else:
        out["kind"] = "pairs"
        out["pairs"] = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        out["y"] = np.asarray(targets, dtype=np.float32)
    return out


def pair_count(data: dict[str, Any]) -> int:
    """Training items in a set (clips, or pairs for pair sets)."""
    return len(data["pairs"]) if data["kind"] == "pairs" else len(data["audio"])


__all__ = ["frame_targets", "pair_count", "split_set"]
