"""Write a pair's embeddings in the layout the original HEAR predictions runner reads.

``heareval.predictions.runner`` reads, per split: ``{split}.embeddings.npy`` (a raw float32
C-order memmap with no .npy header), ``{split}.embedding-dimensions.json`` (``[N, D]``),
``{split}.target-labels.pkl`` (a pickled list of N label lists) and, for event tasks,
``{split}.filename-timestamps.json`` (``[[slug, t_ms], ...]``, where ``Path(slug).name`` is the
split json's key), beside the task's ``task_metadata.json``, ``labelvocabulary.csv`` and
``{split}.json``. Rows follow heareval's order: each split's files shuffled by one
``random.Random(0)`` per task, continuing across splits; an event file's frames stay together.
"""

import json
import pickle  # noqa: TID251 (the original kit's format is a pickle; only this exporter writes it)
import random
import shutil
from pathlib import Path

import numpy as np

from hear_assets.lib.embedding.embed import load_split
from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.files import atomic_dir, atomic_path, read_json, write_json


def _frame_labels(events: list[dict], timestamps: np.ndarray) -> list[list[str]]:
    return [
        [str(e["label"]) for e in events if float(e["start"]) <= t < float(e["end"])]
        for t in timestamps
    ]


def export_heareval(task_dir: Path, emb_dir: Path, out: Path) -> dict[str, int]:
    """Write the heareval layout of one pair into ``out``; return rows per split."""
    if not (emb_dir / "test.npy").exists() and not any(emb_dir.glob("*.npy")):
        raise TaskDataError(f"{emb_dir}: no embeddings; materialize embeddings for this pair")
    meta = read_json(task_dir / "task_metadata.json")
    with atomic_dir(out) as tmp:
        rows = _write(task_dir, emb_dir, tmp, meta, slug_root=out)
        (tmp / ".done.embeddings").touch()
    return rows


def _write(task_dir: Path, emb_dir: Path, out: Path, meta: dict, slug_root: Path) -> dict[str, int]:
    for name in ("task_metadata.json", "labelvocabulary.csv"):
        shutil.copy2(task_dir / name, out / name)
    rng = random.Random(0)
    rows: dict[str, int] = {}
    for split in meta["splits"]:
        listing = read_json(task_dir / f"{split}.json")
        shutil.copy2(task_dir / f"{split}.json", out / f"{split}.json")
        x, index = load_split(emb_dir, split)
        order = [f"{split}/{key}.embedding.npy" for key in listing]
        rng.shuffle(order)
        files = [Path(p).name[: -len(".embedding.npy")] for p in order]
        if index["frame_file"] is None:
            pos = {f: i for i, f in enumerate(index["files"])}
            array = np.asarray(x)[[pos[f] for f in files]]
            labels = [[str(lab) for lab in listing[f]] for f in files]
            stamps = None
        else:
            owner = np.asarray(index["frame_file"], dtype=object)
            ts = np.asarray(index["timestamps_ms"], dtype=np.float64)
            parts, labels, stamps = [], [], []
            for f in files:
                sel = np.flatnonzero(owner == f)
                sel = sel[np.argsort(ts[sel], kind="stable")]
                parts.append(np.asarray(x)[sel])
                labels.extend(_frame_labels(listing[f], ts[sel]))
                stamps.extend([str(slug_root / split / f), float(t)] for t in ts[sel])
            array = np.concatenate(parts) if parts else np.zeros((0, x.shape[1]), np.float32)
        array = np.ascontiguousarray(array, dtype=np.float32)
        with atomic_path(out / f"{split}.embeddings.npy") as tmp:
            array.tofile(tmp)
        write_json(out / f"{split}.embedding-dimensions.json", list(array.shape))
        with atomic_path(out / f"{split}.target-labels.pkl") as tmp, tmp.open("wb") as fh:
            pickle.dump(labels, fh)
        if stamps is not None:
            with atomic_path(out / f"{split}.filename-timestamps.json") as tmp:
                tmp.write_text(json.dumps(stamps, indent=4))
        rows[split] = int(array.shape[0])
    return rows
