"""The whole asset graph in process on a small synthetic task, checked file by file."""

import base64
import json
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from hear_assets.definitions import ASSETS
from hear_assets.lib.grid.stages import PAIR_STAGES, TASK_STAGES
from hear_assets.lib.store.files import sha256_file
from hear_assets.partitions import pair_key
from hear_assets.resources import HearHome, ModelsResource
from hear_models.api import HEAR_SAMPLE_RATES

SCORES_KEYS = {
    "task",
    "model",
    "task_type",
    "primary_metric",
    "primary",
    "ci95",
    "metrics",
    "folds",
    "folds_std",
    "seeds",
    "seed_std",
    "seed_folds",
    "probe",
    "postprocessing",
    "bootstrap",
    "card",
    "provenance",
}


@pytest.fixture(autouse=True)
def _probe_defaults(probe_defaults: None) -> None:
    """The graph was built with the product's probe settings; its tests read them too."""


def run_graph(home: Path, task: str, models: list[str]) -> dict[str, dict]:
    """Materialize the graph; return the last materialization metadata of each asset."""
    res = {"home": HearHome(root=str(home)), "models": ModelsResource(device="cpu")}
    metadata: dict[str, dict] = {}

    def keep(result: dg.ExecuteInProcessResult) -> None:
        for mat in result.get_asset_materialization_events():
            m = mat.step_materialization_data.materialization
            metadata[m.asset_key.to_user_string()] = {k: v.value for k, v in m.metadata.items()}

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("task", [task])
        instance.add_dynamic_partitions("model", models)
        r = dg.materialize(
            ASSETS,
            selection=list(TASK_STAGES),
            partition_key=task,
            instance=instance,
            resources=res,
        )
        assert r.success
        keep(r)
        for model in models:
            r = dg.materialize(
                ASSETS,
                selection=list(PAIR_STAGES),
                partition_key=pair_key(task, model),
                instance=instance,
                resources=res,
            )
            assert r.success
            checks = r.get_asset_check_evaluations()
            assert checks and all(c.passed for c in checks)
            keep(r)
        r = dg.materialize(ASSETS, selection=["scores"], instance=instance, resources=res)
        assert r.success
        keep(r)
    return metadata


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    from tests.helpers import MINI_TONES, register_tasks

    home = tmp_path_factory.mktemp("home")
    register_tasks(home, MINI_TONES)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("HEAR_PROBE_SEEDS", raising=False)  # the default: three probe seeds
        return home, run_graph(home, "mini_tones", ["naive_torch"])


@pytest.fixture(scope="module")
def built(graph: tuple[Path, dict[str, dict]]) -> Path:
    return graph[0]


def test_naive_baseline_scores_far_above_chance(built: Path) -> None:
    board = pd.read_csv(built / "leaderboard.csv").set_index("model")
    assert list(board.columns) == ["mini_tones"]
    assert board.loc["naive_torch", "mini_tones"] > 0.8  # 12 pitches: chance is 0.083


def test_task_files_follow_the_hear_layout(built: Path) -> None:
    task_dir = built / "tasks" / "mini_tones"
    meta = json.loads((task_dir / "task_metadata.json").read_text())
    assert meta["task_type"] == "scene" and meta["embedding_type"] == "scene"
    assert meta["splits"] == ["train", "valid", "test"]
    vocab = pd.read_csv(task_dir / "labelvocabulary.csv", dtype=str)
    assert vocab["label"].tolist() == [str(p) for p in range(60, 72)]
    for split in meta["splits"]:
        labels = json.loads((task_dir / f"{split}.json").read_text())
        table = pd.read_csv(task_dir / f"{split}.csv", dtype=str)
        assert list(table.columns) == ["filename", "label"]
        assert dict(zip(table["filename"], table["label"], strict=True)) == {
            f: labs[0] for f, labs in labels.items()
        }
        for rate in HEAR_SAMPLE_RATES:
            for name in labels:
                info = sf.info(task_dir / str(rate) / split / name)
                assert (info.samplerate, info.channels, info.subtype) == (rate, 1, "PCM_16")
                assert info.frames == int(0.5 * rate)


def test_embeddings_are_true_npy_with_an_index(built: Path) -> None:
    emb_dir = built / "embeddings" / "naive_torch" / "mini_tones"
    test = json.loads((built / "tasks" / "mini_tones" / "test.json").read_text())
    x = np.load(emb_dir / "test.npy", allow_pickle=False)
    index = json.loads((emb_dir / "test.index.json").read_text())
    assert x.dtype == np.float32 and x.shape == (len(test), 4096)
    assert index["files"] == list(test) and index["timestamps_ms"] is None


def test_predictions_and_scores_follow_the_contract(built: Path) -> None:
    pred = pd.read_csv(built / "predictions" / "naive_torch" / "mini_tones" / "predicted-test.csv")
    assert pred.columns[0] == "filename"
    assert [str(c) for c in pred.columns[1:]] == [str(p) for p in range(60, 72)]
    np.testing.assert_allclose(pred.iloc[:, 1:].sum(axis=1), 1.0, atol=1e-5)
    scores = json.loads((built / "scores" / "naive_torch" / "mini_tones.json").read_text())
    assert set(scores) == SCORES_KEYS
    assert scores["primary_metric"] == "pitch_acc"
    assert scores["primary"] == scores["metrics"]["pitch_acc"]
    lo, hi = scores["ci95"]
    assert lo <= scores["primary"] <= hi
    # The default probe chose on validation; the logistic-regression floor is reported too.
    cands = scores["probe"]["candidates"]
    assert set(cands) == {"logreg", "mlp", "knn"}
    chosen = "logreg" if scores["probe"]["kind"] == "logreg" else "mlp"
    assert cands[chosen]["test_score"] == pytest.approx(scores["primary"])
    assert cands[chosen]["valid_score"] == scores["probe"]["valid_score"]
    # top-1 from the predictions file, recomputed here by hand
    truth = pd.read_csv(built / "tasks" / "mini_tones" / "test.csv", dtype=str)
    top = pred.set_index("filename").idxmax(axis=1).astype(str)
    assert scores["primary"] == pytest.approx(
        (top.loc[truth["filename"]].values == truth["label"].values).mean()
    )
    assert cands["knn"]["test_score"] == pytest.approx(knn_by_hand(built), abs=1e-9)
    # three probe seeds (the default): every metric is their mean, with their spread
    seeds = scores["seeds"]
    assert set(seeds) == {"0", "1", "2"}
    assert scores["primary"] == pytest.approx(np.mean(list(seeds.values())))
    assert scores["seed_std"] == pytest.approx(np.std(list(seeds.values()), ddof=1))
    pair = built / "predictions" / "naive_torch" / "mini_tones"
    assert (pair / "seed-1" / "predicted-test.csv").exists()
    assert (pair / "seed-2" / "predicted-test.csv").exists()
    record = json.loads((pair / "probe.json").read_text())["folds"]["test"]["seeds"]
    assert record["0"]["test_score"] == pytest.approx(seeds["0"])


def knn_by_hand(home: Path) -> float:
    """Top-1 of cosine k-NN on train-standardized embeddings, with the k probe.json chose."""
    record = json.loads(
        (home / "predictions" / "naive_torch" / "mini_tones" / "probe.json").read_text()
    )
    k = record["folds"]["test"]["candidates"]["knn"]["hparams"]["k"]
    emb = home / "embeddings" / "naive_torch" / "mini_tones"
    x_tr, x_te = (np.load(emb / f"{s}.npy").astype(np.float64) for s in ("train", "test"))
    std = x_tr.std(axis=0)
    std[std <= 1e-8] = 1.0

    def unit(x: np.ndarray) -> np.ndarray:
        z = (x - x_tr.mean(axis=0)) / std
        return z / np.linalg.norm(z, axis=1, keepdims=True)

    labels = {}
    for split in ("train", "test"):
        labels[split] = [
            v[0]
            for v in json.loads(
                (home / "tasks" / "mini_tones" / f"{split}.json").read_text()
            ).values()
        ]
    vocab = sorted(set(labels["train"]) | set(labels["test"]))
    y_tr = np.eye(len(vocab))[[vocab.index(v) for v in labels["train"]]]
    near = np.argsort(-(unit(x_te) @ unit(x_tr).T), axis=1, kind="stable")[:, :k]
    guess = [vocab[i] for i in y_tr[near].mean(axis=1).argmax(axis=1)]
    return float(np.mean([g == t for g, t in zip(guess, labels["test"], strict=True)]))


def test_rematerializing_tasks_gives_identical_files(built: Path, tmp_path: Path) -> None:
    from tests.helpers import MINI_TONES, register_tasks

    other = tmp_path / "again"
    register_tasks(other, MINI_TONES)
    res = {"home": HearHome(root=str(other)), "models": ModelsResource()}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("task", ["mini_tones"])
        assert dg.materialize(
            ASSETS,
            selection=list(TASK_STAGES),
            partition_key="mini_tones",
            instance=instance,
            resources=res,
        ).success
    a, b = built / "tasks" / "mini_tones", other / "tasks" / "mini_tones"
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all(sha256_file(a / f) == sha256_file(b / f) for f in files)


def test_scores_succeeds_on_an_empty_grid(hear_home: Path) -> None:
    res = {"home": HearHome(root=str(hear_home)), "models": ModelsResource()}
    with dg.instance_for_test() as instance:
        r = dg.materialize(ASSETS, selection=["scores"], instance=instance, resources=res)
        assert r.success
        mat = r.asset_materializations_for_node("scores")[0]
        assert mat.metadata["pairs_scored"].value == 0
        assert mat.metadata["leaderboard_plot"].value == "_no pairs scored yet_"
    assert (hear_home / "leaderboard.csv").read_text().strip() == "model"


def test_choosing_another_probe_makes_predictions_stale(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hear_assets.lib.grid import catalog, stages
    from hear_assets.lib.store.errors import TaskDataError
    from hear_assets.lib.store.layout import Layout

    layout = Layout(built)
    task, model = catalog.get_task(layout, "mini_tones"), catalog.get_model(layout, "naive_torch")
    assert stages.stage_state(layout, "predictions", task, model) == "done"
    monkeypatch.setenv("HEAR_PROBE", "hear")
    assert stages.stage_state(layout, "predictions", task, model) == "stale"
    assert stages.stage_state(layout, "embeddings", task, model) == "done"
    monkeypatch.setenv("HEAR_PROBE", "svm")
    with pytest.raises(TaskDataError, match="HEAR_PROBE='svm'"):
        stages.stage_state(layout, "predictions", task, model)


def test_metadata_shows_histograms_figures_and_confusion(graph: tuple[Path, dict]) -> None:
    home, meta = graph
    splits = meta["task_splits"]
    assert "**clips per label**" in splits["label_counts"]
    assert "| 60 | 4 | 1 | 1 |" in splits["label_counts"]  # 6 clips per pitch: 4/1/1
    assert "| test | 12 | 0.5 | 0.5 | 0.5 | 6 |" in splits["clip_durations"]
    png = home / "reports" / "mini_tones" / "spectrogram.png"
    assert splits["spectrogram_png"] == str(png)
    uri = splits["spectrogram"].split("](", 1)[1].split(")", 1)[0]
    assert uri.startswith("data:image/png;base64,")
    assert base64.b64decode(uri.split(",", 1)[1]) == png.read_bytes()
    assert len(uri) < 50_000
    emb = meta["embeddings"]
    assert emb["ms_per_clip"] == pytest.approx(1000 / emb["clips_per_second"], rel=0.05)
    # Each stage's resident peak, measured from the stage's start (the model card's too).
    for stage in ("task_raw", "task_audio", "task_splits", "embeddings", "predictions"):
        assert 50 < meta[stage]["peak_rss_mb"] < 8000, stage
    assert 0 < emb["peak_memory_mb"] <= emb["peak_rss_mb"]
    pred = meta["predictions"]
    assert pred["confusion_matrix"].startswith("| true \\ predicted | 60 | 61 |")
    assert "✓" in pred["validation_curve"]
    assert meta["scores"]["leaderboard_plot"].startswith("![")
    assert "data:image/svg+xml;base64," in meta["scores"]["leaderboard_plot"]


def test_scores_on_every_core_equal_those_in_process(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Enough pairs are scored in worker processes: the same jsons, in order, and a broken
    pair gives its error without hiding the others."""
    from hear_assets.lib.grid import catalog
    from hear_assets.lib.report import build
    from hear_assets.lib.store.layout import Layout

    layout = Layout(built)
    task, model = catalog.get_task(layout, "mini_tones"), catalog.get_model(layout, "naive_torch")
    broken = catalog.get_model(layout, "naive_flax")  # no predictions for this pair
    pairs = [(task, model), (task, broken), (task, model)]
    in_process = build.score_pairs(layout, pairs, "sha", 50)
    monkeypatch.setattr(build, "POOL_MIN_PAIRS", 1)
    monkeypatch.setattr(build.os, "cpu_count", lambda: 2)
    on_workers = build.score_pairs(layout, pairs, "sha", 50)
    for (a, err_a), (b, err_b) in zip(in_process, on_workers, strict=True):
        assert err_a == err_b
        if a is not None and b is not None:
            a["provenance"].pop("created"), b["provenance"].pop("created")
        assert a == b
    assert on_workers[1][0] is None and "missing" in on_workers[1][1]
    assert on_workers[0][0] is not None and on_workers[0][0]["model"] == "naive_torch"
