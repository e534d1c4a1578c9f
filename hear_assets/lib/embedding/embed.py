"""One loaded model over one task's audio → ``<split>.npy`` + ``<split>.index.json``."""

import contextlib
import logging
import os
import queue
import shutil
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import soundfile as sf

from hear_assets.lib.embedding import chunking
from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.files import atomic_dir, digest_tree, npy_rows, read_json, write_json
from hear_assets.lib.tasks.wavcheck import wav_facts, wave_layout
from hear_models.api import ModelContractError, check_embeddings
from hear_models.runtime import LoadedModel

log = logging.getLogger(__name__)
VERSION = "1"  # layered output adds files but changes no existing one
LAYERS_DIR = "layers"
T = TypeVar("T")
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


def read_pcm16(path: Path) -> tuple[np.ndarray, int] | None:
    """A plain 16-bit PCM WAV (what task_audio writes) as float32 ``(n, channels)`` and its
    rate, parsed with numpy (several times faster than libsndfile on short clips); None for
    anything else (other encodings, extensible headers, truncated data), which the caller
    reads with soundfile. Values as soundfile's: ``int16 / 32768``."""
    data = path.read_bytes()
    layout = wave_layout(lambda pos, n: data[pos : pos + n])
    if layout is None or layout[0] != "<":
        return None
    _, fmt, start, size = layout
    encoding, channels, rate, _, _, bits = struct.unpack("<HHIIHH", fmt)
    if encoding != 1 or bits != 16 or channels < 1 or start + size > len(data):
        return None
    pcm = np.frombuffer(data, "<i2", count=size // 2, offset=start)
    if len(pcm) % channels:
        return None
    return (pcm.astype(np.float32) / 32768).reshape(-1, channels), rate


def load_wav(path: Path, sample_rate: int) -> np.ndarray:
    """A standardized wav as float32 ``(n,)``, checked for its rate and channel count."""
    try:
        found = read_pcm16(path)
        audio, sr = found if found else sf.read(path, dtype="float32", always_2d=True)
    except Exception as exc:
        raise TaskDataError(f"{path}: not a readable wav ({exc})") from exc
    if sr != sample_rate or audio.shape[1] != 1:
        raise TaskDataError(
            f"{path}: {sr} Hz with {audio.shape[1]} channel(s), expected mono {sample_rate} Hz; "
            "rematerialize task_audio"
        )
    return audio[:, 0]


def _batches(files: list[str], audio_dir: Path, sr: int):
    """Yield ``(names, (n, samples) float32)`` batches of equal-length clips in file order;
    each clip is read once (one of another length starts the next batch)."""
    i, carried = 0, None
    while i < len(files):
        first = carried if carried is not None else load_wav(audio_dir / files[i], sr)
        carried = None
        size = batch_size_for(len(first))
        names, clips = [files[i]], [first]
        i += 1
        while len(names) < size and i < len(files):
            nxt = load_wav(audio_dir / files[i], sr)
            if len(nxt) != len(first):
                carried = nxt
                break
            names.append(files[i])
            clips.append(nxt)
            i += 1
        yield names, np.stack(clips)


def read_ahead_when_slow(items: Iterator[T], timing: dict[str, float]) -> Iterator[T]:
    """``items`` read in this thread while the model is quick, then ``prefetched``.

    After each item the consumer records its forward pass in ``timing["forward"]``; once one
    takes longer than twice the reading of its batch, the rest is read ahead in a background
    thread. Measured (bench/results.md, "Embeddings stage"): reading ahead hides the reads
    behind a slow model's forward passes, but for a model faster than the reads (the naive
    baselines) the reading thread only competes with it for the cores and the GIL.
    """
    it = iter(items)
    while True:
        started = time.perf_counter()
        try:
            item = next(it)
        except StopIteration:
            return
        read_s = time.perf_counter() - started
        yield item
        if timing.get("forward", 0.0) > 2 * read_s:
            yield from prefetched(it)
            return


def prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """``items`` made by a background thread, up to ``depth`` ahead of the consumer, so that
    reading the next batch's wavs overlaps the model's forward pass (both release the GIL).
    An error of the producer is raised in the consumer when it reaches that item; a consumer
    that stops early stops the producer."""
    slots: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                slots.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("done", None))
        except BaseException as exc:  # handed to the consumer
            put(("error", exc))

    worker = threading.Thread(target=produce, name="hear-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = slots.get()
            if kind == "error":
                raise value
            if kind == "done":
                return
            yield value
    finally:
        stop.set()
        worker.join()


def _forward(model: LoadedModel, audio: np.ndarray, scene: bool, layers: tuple[int, ...]):
    """One batch → ``(L, n, d)`` scene or ``(L, n, T, d)`` frame embeddings (+ timestamps):
    the selected hidden layers of a layered model, else its one output as ``L = 1``."""
    if not layers:
        if scene:
            return model.scene(audio)[None], None
        emb, ts = model.timestamps(audio)
        return emb[None], ts
    if scene:
        emb, ts = model.layer_scene(audio), None
    else:
        emb, ts = model.layer_timestamps(audio)
    if emb.ndim != (3 if scene else 4) or max(layers) >= emb.shape[0]:
        raise ModelContractError(
            f"model {model.name}: layer outputs have shape {tuple(emb.shape)}; expected "
            f"(n_hidden > {max(layers)}, clips, {'' if scene else 'frames, '}d)"
        )
    return emb[list(layers)], ts


def embed_split(
    model: LoadedModel,
    files: list[str],
    audio_dir: Path,
    embedding_type: str,
    who: str,
    progress: Callable[[int], None] | None = None,
    layers: tuple[int, ...] = (),
) -> tuple[np.ndarray, dict]:
    """Embed the clips of one split, in the given order.

    Returns:
        ``(array, index)``: float32 ``(L, n_clips, d)`` scene or ``(L, n_frames, d)`` frame
        rows (``L``: the selected hidden layers, 1 for a model with one output), and the
        index sidecar (``files``, ``timestamps_ms``, ``frame_file``).
    """
    index = _new_index(files, embedding_type)
    batches = embedded_batches(
        model, files, audio_dir, embedding_type, who, progress, layers, index
    )
    rows = list(batches)  # float32 already
    if rows:
        return np.concatenate(rows, axis=1), index
    empty = (max(len(layers), 1), 0, embedding_width(model, embedding_type))
    return np.zeros(empty, np.float32), index


def embedding_width(model: LoadedModel, embedding_type: str) -> int:
    """The model's declared width for a task's embedding type (scene or timestamp)."""
    if embedding_type == "scene":
        return model.scene_embedding_size
    return model.timestamp_embedding_size


def _new_index(files: list[str], embedding_type: str) -> dict:
    """The index sidecar of a split: its files, and each frame's timestamp and file (frames)."""
    frames = embedding_type != "scene"
    return {
        "files": files,
        "timestamps_ms": [] if frames else None,
        "frame_file": [] if frames else None,
    }


def embedded_batches(
    model: LoadedModel,
    files: list[str],
    audio_dir: Path,
    embedding_type: str,
    who: str,
    progress: Callable[[int], None] | None,
    layers: tuple[int, ...],
    index: dict,
) -> Iterator[np.ndarray]:
    """Each batch's checked ``(L, rows, d)`` embeddings, in the order of ``files``; frames'
    timestamps and files are appended to ``index`` (from ``_new_index``) as they come."""
    hop_ms: float | None = None
    scene = embedding_type == "scene"
    dim = embedding_width(model, embedding_type)
    timing: dict[str, float] = {}
    source = _batches(files, audio_dir, model.sample_rate)
    for names, audio in read_ahead_when_slow(source, timing):
        where = f"{who}, clips {names[0]}..{names[-1]}"
        long = audio.shape[1] > chunking.LONG_S * model.sample_rate
        if not scene and long and not layers:
            hop_ms = hop_ms or chunking.model_hop_ms(model)
            started = time.perf_counter()
            emb, ts = chunking.chunked_timestamps(model, audio[0], hop_ms)
            timing["forward"] = time.perf_counter() - started
            check_embeddings(emb[None], 1, dim, where, ts[None])
            index["timestamps_ms"].extend(ts.astype(np.float64).tolist())
            index["frame_file"].extend([names[0]] * len(ts))
            yield np.asarray(emb[None], dtype=np.float32)
            if progress:
                progress(len(names))
            continue
        started = time.perf_counter()
        emb, ts = _forward(model, audio, scene, layers)
        timing["forward"] = time.perf_counter() - started
        for i, layer_emb in enumerate(emb):
            label = f"{where}, layer {layers[i]}" if layers else where
            check_embeddings(layer_emb, len(names), dim, label, ts)
        if scene:
            yield np.asarray(emb, dtype=np.float32)
        else:
            index["timestamps_ms"].extend(ts.astype(np.float64).ravel().tolist())
            index["frame_file"].extend(n for n in names for _ in range(emb.shape[2]))
            yield np.asarray(emb, dtype=np.float32).reshape(emb.shape[0], -1, emb.shape[-1])
        if progress:
            progress(len(names))


def embed_splits(
    model: LoadedModel,
    task: str,
    task_dir: Path,
    target: Path,
    progress: Callable[[int, int], None] | None = None,
    layers: tuple[int, ...] = (),
) -> tuple[int, int, int]:
    """Embed every split of a task into the folder ``target``; return rows, clips, width.

    A layered model's selected hidden layers go to ``layers/<L>/<split>.npy`` (one forward
    pass for all of them); the top-level ``<split>.npy`` is its last selected layer (a hard
    link, no second copy)."""
    meta = read_json(task_dir / "task_metadata.json")
    split_files = {s: list(read_json(task_dir / f"{s}.json")) for s in meta["splits"]}
    total = sum(len(f) for f in split_files.values())
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    kind = meta["embedding_type"]
    dim = embedding_width(model, kind)
    n_rows = 0
    for split, files in split_files.items():
        audio_dir = task_dir / str(model.sample_rate) / split
        who = f"model {model.name} on task {task} ({split})"
        index = _new_index(files, kind)
        paths = [target / LAYERS_DIR / str(layer) / f"{split}.npy" for layer in layers]
        # Each batch goes to its file as it comes: a split is never held whole.
        with contextlib.ExitStack() as files_open:
            outs = [
                files_open.enter_context(npy_rows(p, dim))
                for p in paths or [target / f"{split}.npy"]
            ]
            for emb in embedded_batches(model, files, audio_dir, kind, who, step, layers, index):
                for out, rows in zip(outs, emb, strict=True):
                    out.append(rows)
        write_json(target / f"{split}.index.json", index)
        if layers:
            link_or_copy(paths[-1], target / f"{split}.npy")
        n_rows += outs[0].rows
    return n_rows, total, dim


def audio_seconds(task_dir: Path, sample_rate: int) -> float:
    """Seconds of audio in every split of a task at ``sample_rate`` (0 when unknown)."""
    root = task_dir / str(sample_rate)
    if not sample_rate or not root.is_dir():
        return 0.0
    meta = read_json(task_dir / "task_metadata.json")
    if meta.get("sample_duration"):
        clips = sum(len(read_json(task_dir / f"{s}.json")) for s in meta["splits"])
        return clips * float(meta["sample_duration"])
    return float(sum(wav_facts(p).frames for p in root.glob("*/*.wav"))) / sample_rate


def link_or_copy(src: Path, dst: Path) -> None:
    """``dst`` as a hard link to ``src`` (a copy where links are not possible)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.unlink(missing_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def layer_dirs(emb_dir: Path) -> dict[int, Path]:
    """``{layer: folder}`` of a layered model's embeddings (empty for a one-output model)."""
    root = emb_dir / LAYERS_DIR
    if not root.is_dir():
        return {}
    return {int(p.name): p for p in sorted(root.iterdir(), key=lambda p: int(p.name))}


def embed_task(
    model: LoadedModel,
    task: str,
    task_dir: Path,
    out_dir: Path,
    progress: Callable[[int, int], None] | None = None,
    layers: tuple[int, ...] = (),
) -> EmbedResult:
    """Embed every split of a task into ``out_dir`` (replaced whole, atomically)."""
    start = time.perf_counter()
    with atomic_dir(out_dir) as tmp:
        rows, clips, dim = embed_splits(model, task, task_dir, tmp, progress, layers)
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
