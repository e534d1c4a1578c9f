"""One loaded model over one task's audio → ``<split>.npy`` + ``<split>.index.json``."""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from hear_assets.lib.embedding import chunking
from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.files import atomic_dir, digest_tree, read_json, write_json, write_npy
from hear_models.api import check_embeddings
from hear_models.runtime import LoadedModel

log = logging.getLogger(__name__)
VERSION = "1"
BATCH_SAMPLES = 1 << 21  # audio samples per forward call (~48 s at 44.1 kHz)


@dataclass(frozen=True)
class EmbedResult:
    """What one materialization wrote."""

    rows: int
    clips: int
    dim: int
    seconds: float
    digest: str

    @property
    def clips_per_second(self) -> float:
        """Throughput of the whole stage."""
        return self.clips / self.seconds if self.seconds > 0 else float("inf")


def batch_size_for(n_samples: int, budget: int = BATCH_SAMPLES) -> int:
    """Clips per batch so a batch holds about ``budget`` samples (at least one clip)."""
    return max(1, budget // max(n_samples, 1))


def load_wav(path: Path, sample_rate: int) -> np.ndarray:
    """A standardized wav as float32 ``(n,)``, checked for its rate and channel count."""
    try:
        audio, sr = sf.read(path, dtype="float32", always_2d=True)
    except Exception as exc:
        raise TaskDataError(f"{path}: not a readable wav ({exc})") from exc
    if sr != sample_rate or audio.shape[1] != 1:
        raise TaskDataError(
            f"{path}: {sr} Hz with {audio.shape[1]} channel(s), expected mono {sample_rate} Hz; "
            "rematerialize task_audio"
        )
    return audio[:, 0]


def _batches(files: list[str], audio_dir: Path, sr: int):
    """Yield ``(names, (n, samples) float32)`` batches of equal-length clips in file order."""
    i = 0
    while i < len(files):
        first = load_wav(audio_dir / files[i], sr)
        size = batch_size_for(len(first))
        names, clips = [files[i]], [first]
        i += 1
        while len(names) < size and i < len(files):
            nxt = load_wav(audio_dir / files[i], sr)
            if len(nxt) != len(first):
                break
            names.append(files[i])
            clips.append(nxt)
            i += 1
        yield names, np.stack(clips)


def embed_split(
    model: LoadedModel,
    files: list[str],
    audio_dir: Path,
    embedding_type: str,
    who: str,
    progress: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, dict]:
    """Embed the clips of one split, in the given order.

    Returns:
        ``(array, index)``: float32 ``(n_clips, d)`` scene or ``(n_frames, d)`` frame rows,
        and the index sidecar (``files``, ``timestamps_ms``, ``frame_file``).
    """
    rows: list[np.ndarray] = []
    stamps: list[float] = []
    frame_file: list[str] = []
    hop_ms: float | None = None
    for names, audio in _batches(files, audio_dir, model.sample_rate):
        where = f"{who}, clips {names[0]}..{names[-1]}"
        if embedding_type != "scene" and audio.shape[1] > chunking.LONG_S * model.sample_rate:
            hop_ms = hop_ms or chunking.model_hop_ms(model)
            emb, ts = chunking.chunked_timestamps(model, audio[0], hop_ms)
            check_embeddings(emb[None], 1, model.timestamp_embedding_size, where, ts[None])
            rows.append(emb)
            stamps.extend(ts.astype(np.float64).tolist())
            frame_file.extend([names[0]] * len(ts))
        elif embedding_type == "scene":
            emb = model.scene(audio)
            check_embeddings(emb, len(names), model.scene_embedding_size, where)
            rows.append(emb)
        else:
            emb, ts = model.timestamps(audio)
            check_embeddings(emb, len(names), model.timestamp_embedding_size, where, ts)
            rows.append(emb.reshape(-1, emb.shape[-1]))
            stamps.extend(ts.astype(np.float64).ravel().tolist())
            frame_file.extend(n for n in names for _ in range(emb.shape[1]))
        if progress:
            progress(len(names))
    dim = (
        model.scene_embedding_size if embedding_type == "scene" else model.timestamp_embedding_size
    )
    array = np.concatenate(rows) if rows else np.zeros((0, dim), np.float32)
    index = {
        "files": files,
        "timestamps_ms": stamps if embedding_type != "scene" else None,
        "frame_file": frame_file if embedding_type != "scene" else None,
    }
    return array.astype(np.float32, copy=False), index


def embed_splits(
    model: LoadedModel,
    task: str,
    task_dir: Path,
    target: Path,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int, int]:
    """Embed every split of a task into the folder ``target``; return rows, clips, width."""
    meta = read_json(task_dir / "task_metadata.json")
    split_files = {s: list(read_json(task_dir / f"{s}.json")) for s in meta["splits"]}
    total = sum(len(f) for f in split_files.values())
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    n_rows, dim = 0, 0
    for split, files in split_files.items():
        audio_dir = task_dir / str(model.sample_rate) / split
        who = f"model {model.name} on task {task} ({split})"
        array, index = embed_split(model, files, audio_dir, meta["embedding_type"], who, step)
        write_npy(target / f"{split}.npy", array)
        write_json(target / f"{split}.index.json", index)
        n_rows += array.shape[0]
        dim = array.shape[1]
    return n_rows, total, dim


def embed_task(
    model: LoadedModel,
    task: str,
    task_dir: Path,
    out_dir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> EmbedResult:
    """Embed every split of a task into ``out_dir`` (replaced whole, atomically)."""
    start = time.perf_counter()
    with atomic_dir(out_dir) as tmp:
        rows, clips, dim = embed_splits(model, task, task_dir, tmp, progress)
    return EmbedResult(rows, clips, dim, time.perf_counter() - start, digest_tree(out_dir))


def split_dir(emb_dir: Path, test_split: str) -> Path:
    """Where the embeddings for evaluating ``test_split`` live: ``by_test/<split>/`` for models
    with one encoder per evaluation fold, else the pair's folder itself."""
    per_fold = emb_dir / "by_test" / test_split
    return per_fold if per_fold.is_dir() else emb_dir


def load_split(emb_dir: Path, split: str) -> tuple[np.ndarray, dict]:
    """Read one split's embeddings (memory-mapped) and index."""
    array = np.load(emb_dir / f"{split}.npy", allow_pickle=False, mmap_mode="r")
    return array, read_json(emb_dir / f"{split}.index.json")
