"""HEAR-layout JND and ranking tasks written by hand, as `hear-assets tasks add` takes them.

Tones whose pitch a model can hear: a JND pair is a tone and a copy that is identical
(label 0) or a few semitones away (label 1); a ranking group is tones at rising pitches (rank
0 lowest). Clips are written at every rate in ``rates`` (the rest are left to the importer).
"""

import json
from pathlib import Path

import numpy as np
import soundfile as sf

DURATION_S = 0.5
RATES = (48000, 32000, 22050, 16000)  # 44100 missing: resampled from 48000 on import
SPLITS = {"train": 0, "valid": 1, "test": 2}


def _tone(freq: float, rate: int) -> np.ndarray:
    t = np.arange(int(DURATION_S * rate)) / rate
    return 0.4 * np.sin(2 * np.pi * freq * t) + 0.2 * np.sin(2 * np.pi * 2 * freq * t)


def _write_clip(task: Path, split: str, name: str, freq: float, rates: tuple[int, ...]) -> None:
    for rate in rates:
        folder = task / str(rate) / split
        folder.mkdir(parents=True, exist_ok=True)
        sf.write(folder / name, _tone(freq, rate), rate, subtype="PCM_16")


def _metadata(task: Path, task_type: str, evaluation: list[str], **extra) -> None:
    meta = {
        "task_name": task.name,
        "version": "v1",
        "task_type": task_type,
        "embedding_type": "event",
        "sample_duration": DURATION_S,
        "evaluation": evaluation,
        "splits": list(SPLITS),
        **extra,
    }
    (task / "task_metadata.json").write_text(json.dumps(meta, indent=1))


def jnd_task(root: Path, pairs: int = 8, rates: tuple[int, ...] = RATES, **meta) -> Path:
    """``root/pitch_jnd`` with ``pairs`` pairs per split, labels alternating 0 and 1."""
    task = root / "pitch_jnd"
    task.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split in SPLITS:
        listing, rows = {}, ["filename1,filename2,label"]
        for i in range(pairs):
            f0, label = float(rng.uniform(200, 600)), i % 2
            a, b = f"{split}{i}a.wav", f"{split}{i}b.wav"
            _write_clip(task, split, a, f0, rates)
            _write_clip(task, split, b, f0 * 2 ** (3 * label / 12), rates)
            listing[a], listing[b] = [], []
            rows.append(f"{a},{b},{label}")
        (task / f"{split}.json").write_text(json.dumps(listing))
        (task / f"{split}.csv").write_text("\n".join(rows) + "\n")
    (task / "labelvocabulary.csv").write_text("idx,label\n0,0\n1,1\n")
    _metadata(task, "jnd", ["jnd_auc"], **meta)
    return task


def ranking_task(
    root: Path, groups: int = 3, size: int = 4, rates: tuple[int, ...] = RATES
) -> Path:
    """``root/pitch_rank``: groups of ``size`` tones at rising pitches, rank 0 the lowest."""
    task = root / "pitch_rank"
    task.mkdir(parents=True)
    rng = np.random.default_rng(1)
    for split in SPLITS:
        listing, rows = {}, ["group,filename,rank"]
        for g in range(groups):
            base = float(rng.uniform(150, 300))
            for rank in rng.permutation(size):  # rows not in rank order
                name = f"{split}{g}_{rank}.wav"
                _write_clip(task, split, name, base * 2 ** (2 * rank / 12), rates)
                listing[name] = []
                rows.append(f"{split}{g},{name},{rank}")
        (task / f"{split}.json").write_text(json.dumps(listing))
        (task / f"{split}.csv").write_text("\n".join(rows) + "\n")
    (task / "labelvocabulary.csv").write_text("idx,label\n")
    _metadata(task, "ranking", ["spearman", "triplet_acc"], prediction_type="multiclass")
    return task
