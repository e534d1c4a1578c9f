"""The probe's memory: one standardized copy of the training and validation embeddings.

The raw embeddings are memory maps of the ``.npy`` files; once read, their pages are dropped
from the resident set (``mapped.release``), the single training split is not concatenated
into a copy, and the logistic regression, the MLPs and the kNN candidate share the
standardized copy instead of making their own.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from hear_assets.lib.evaluation import knn, predict, probe
from hear_assets.lib.grid import memory
from hear_assets.lib.store import mapped
from tests.unit.test_summaries import write_task


def resident_file_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1]) / 1024
    pytest.skip("no RssFile in /proc/self/status")


def test_released_rows_leave_the_resident_set_and_read_back_the_same(tmp_path: Path) -> None:
    values = np.random.default_rng(0).standard_normal((4096, 4096)).astype(np.float32)
    np.save(tmp_path / "x.npy", values)  # 64 MiB
    x = np.asarray(np.load(tmp_path / "x.npy", mmap_mode="r"))
    before = resident_file_mb()
    total = float(x.sum(dtype=np.float64))
    assert resident_file_mb() > before + 60  # read: resident
    mapped.release(x, 0, 2048)
    assert resident_file_mb() < before + 40  # half of it dropped
    mapped.release(x[2048:])  # a view of the map
    assert resident_file_mb() < before + 8
    assert float(x.sum(dtype=np.float64)) == total  # paged in again, unchanged


def test_release_leaves_writable_and_plain_arrays_alone(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((1024, 1024), np.float32))
    copy_on_write = np.load(tmp_path / "x.npy", mmap_mode="c")
    copy_on_write[5, 5] = 7.0
    mapped.release(copy_on_write)  # dropping these pages would lose the write
    assert copy_on_write[5, 5] == 7.0
    plain = np.ones((10, 10), np.float32)
    mapped.release(plain)
    assert plain.sum() == 100
    assert mapped.stack_rows([plain]) is plain
    assert mapped.stack_rows([plain, plain]).shape == (20, 10)


def test_blockwise_standardization_is_the_whole_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((500, 40)) * 30 + 5).astype(np.float32)
    scaler = probe.Standardizer.fit(x)
    whole = np.subtract(x, scaler.mean, dtype=np.float32) / scaler.std
    monkeypatch.setattr(probe, "BLOCK_VALUES", 40 * 7)  # 7 rows a block
    np.testing.assert_array_equal(scaler(x), whole)


def write_scene_task(root: Path, rows: dict[str, int], dim: int) -> tuple[Path, Path]:
    """A 4-class scene task whose embeddings are separable blobs, ``rows`` clips per split."""
    vocab = ["a", "b", "c", "d"]
    centres = np.random.default_rng(0).normal(0, 1, (4, dim)) * 4
    labels, emb = {}, root / "emb"
    emb.mkdir(parents=True)
    for i, (split, n) in enumerate(rows.items()):
        cls = np.arange(n) % 4
        rng = np.random.default_rng(10 + i)
        np.save(emb / f"{split}.npy", (centres[cls] + rng.normal(0, 1, (n, dim))).astype("f4"))
        files = [f"{split}-{j}.wav" for j in range(n)]
        (emb / f"{split}.index.json").write_text(json.dumps({"files": files}))
        labels[split] = {f: [vocab[c]] for f, c in zip(files, cls, strict=True)}
    meta = {
        "task_name": "blobs",
        "task_type": "scene",
        "prediction_type": "multiclass",
        "split_mode": "trainvaltest",
        "splits": list(rows),
        "evaluation": ["top1_acc"],
    }
    write_task(root / "task", meta, vocab, labels)
    return root / "task", emb


def test_the_probe_holds_one_standardized_copy_of_train_and_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not memory.reset_peak():
        pytest.skip("this kernel does not let a process reset its resident high-water mark")
    monkeypatch.setattr(knn, "BLOCK_ELEMENTS", 1 << 18)  # the kNN's blocks: 1 MiB
    settings = probe.ProbeSettings(kind="logreg", seeds=(0, 1))
    # A small task first: the libraries' own memory (sklearn, BLAS buffers) is paid once.
    small = write_scene_task(tmp_path / "small", {"train": 800, "valid": 200, "test": 200}, 512)
    predict.predict_pair(*small, tmp_path / "small" / "out", settings)
    rows = {"train": 16_000, "valid": 1_000, "test": 1_000}
    task, emb = write_scene_task(tmp_path / "big", rows, 512)
    copy_mb = (rows["train"] + rows["valid"]) * 512 * 4 / 2**20  # 33.2 MiB
    before = (memory.reset_peak(), memory.peak_rss_mb())[1]
    result = predict.predict_pair(task, emb, tmp_path / "out", settings)
    grown = memory.peak_rss_mb() - before
    assert result.probe["candidates"]["logreg"]["test_score"] == 1.0
    assert result.probe["candidates"]["knn"]["test_score"] == 1.0
    # One copy (33 MiB) and working memory that does not grow with the rows (the moments'
    # float64 block of 32 MiB, BLAS buffers): 73 MiB here. The raw splits (35 MiB read through
    # the maps), a concatenated training split or a second standardized copy would each add
    # about as much as the copy (the code before: 149 MiB).
    assert grown < copy_mb + 48, f"{grown:.0f} MiB for a {copy_mb:.0f} MiB copy"


def test_mlps_train_and_predict_on_read_only_maps_quietly(tmp_path: Path) -> None:
    from tests.unit.test_mlp_probe import SMALL, top1
    from tests.unit.test_probe import blobs

    x, y = blobs(200, 12, 3, 2)
    np.save(tmp_path / "x.npy", x)
    mapped_x = np.asarray(np.load(tmp_path / "x.npy", mmap_mode="r"))
    assert not mapped_x.flags.writeable
    data = probe.ProbeData(mapped_x[:150], y[:150], mapped_x[150:], top1(y[150:]), False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch's "not writable" warning would fail here
        fitted = probe.fit_probe("hear", data, hear_points=[SMALL])
        probs = fitted.predict(mapped_x[150:])
    assert probs.shape == (50, 3) and np.isfinite(probs).all()
