"""Every task type through the whole asset graph in process: files in the contract's formats."""

import json
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from hear_assets.definitions import ASSETS
from hear_assets.lib.grid.stages import PAIR_STAGES, TASK_STAGES
from hear_assets.partitions import pair_key
from hear_assets.resources import HearHome, ModelsResource
from tests.helpers import mini_tasks, register_tasks

TASKS = {t["name"]: t for t in mini_tasks()}
SPLIT_COLUMNS = {
    "scene": ["filename", "label"],
    "event": ["filename", "start_ms", "end_ms", "label"],
    "jnd": ["filename1", "filename2", "label"],
    "ranking": ["group", "filename", "rank"],
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("types")
    register_tasks(root, *TASKS.values())
    res = {"home": HearHome(root=str(root)), "models": ModelsResource()}
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("task", list(TASKS))
        instance.add_dynamic_partitions("model", ["naive_torch"])
        for task in TASKS:
            assert dg.materialize(
                ASSETS,
                selection=list(TASK_STAGES),
                partition_key=task,
                instance=instance,
                resources=res,
            ).success
            assert dg.materialize(
                ASSETS,
                selection=list(PAIR_STAGES),
                partition_key=pair_key(task, "naive_torch"),
                instance=instance,
                resources=res,
            ).success
        assert dg.materialize(
            ASSETS, selection=["scores"], instance=instance, resources=res
        ).success
    return root


@pytest.mark.parametrize("task", list(TASKS))
def test_split_files_follow_the_contract(home: Path, task: str) -> None:
    spec = TASKS[task]
    task_dir = home / "tasks" / task
    meta = json.loads((task_dir / "task_metadata.json").read_text())
    assert meta["task_type"] == spec["task_type"]
    for split in meta["splits"]:
        table = pd.read_csv(task_dir / f"{split}.csv", dtype=str, keep_default_na=False)
        assert list(table.columns) == SPLIT_COLUMNS[spec["task_type"]]
        listed = json.loads((task_dir / f"{split}.json").read_text())
        named = set(table.iloc[:, 0]) if spec["task_type"] != "ranking" else set(table["filename"])
        if spec["task_type"] == "jnd":
            named |= set(table["filename2"])
        assert named <= set(listed)
        if spec["task_type"] in ("jnd", "ranking"):
            assert all(v == [] for v in listed.values())


@pytest.mark.parametrize("task", list(TASKS))
def test_predictions_follow_the_contract(home: Path, task: str) -> None:
    spec = TASKS[task]
    pred_dir = home / "predictions" / "naive_torch" / task
    meta = json.loads((home / "tasks" / task / "task_metadata.json").read_text())
    files = sorted(p.name for p in pred_dir.glob("predicted-*.csv"))
    if meta["split_mode"] == "trainvaltest":
        assert files == ["predicted-test.csv"]
    else:
        assert files == [f"predicted-{s}.csv" for s in meta["splits"]]
    pred = pd.read_csv(pred_dir / files[0], keep_default_na=False)
    vocab = pd.read_csv(home / "tasks" / task / "labelvocabulary.csv", dtype=str)["label"].tolist()
    head = {
        "scene": ["filename", *vocab],
        "event": ["filename", "timestamp_ms", *vocab],
        "jnd": ["filename1", "filename2", "distance"],
        "ranking": ["filename1", "filename2", "distance"],
    }[spec["task_type"]]
    assert [str(c) for c in pred.columns] == head
    if spec["task_type"] == "ranking":
        groups = pd.read_csv(home / "tasks" / task / "test.csv")
        sizes = groups.groupby("group").size()
        assert len(pred) == int((sizes * (sizes - 1) // 2).sum())  # every pair inside a group


@pytest.mark.parametrize("task", list(TASKS))
def test_scores_have_every_metric_and_an_interval(home: Path, task: str) -> None:
    spec = TASKS[task]
    scores = json.loads((home / "scores" / "naive_torch" / f"{task}.json").read_text())
    assert scores["primary_metric"] == spec["evaluation"][0]
    for metric in spec["evaluation"]:
        assert metric in scores["metrics"]
    lo, hi = scores["ci95"]
    assert np.isfinite([lo, hi]).all() and lo <= hi
    if spec["split_mode"] != "trainvaltest":
        assert sorted(scores["folds"]) == [f"fold{i:02d}" for i in range(spec["nfolds"])]
        assert scores["primary"] == pytest.approx(
            np.mean([f[scores["primary_metric"]] for f in scores["folds"].values()])
        )
    if spec["task_type"] == "event":
        assert scores["postprocessing"]["median_filter_ms"] == 250
        assert "event_onset_200ms_fms_precision" in scores["metrics"]


def test_leaderboard_has_a_column_per_task(home: Path) -> None:
    board = pd.read_csv(home / "leaderboard.csv")
    assert list(board.columns) == ["model", *sorted(TASKS)]
    html = (home / "leaderboard.html").read_text()
    assert "<svg" in html and "mini_events" in html


def test_naive_baseline_learns_what_it_can_hear(home: Path) -> None:
    board = pd.read_csv(home / "leaderboard.csv").set_index("model").loc["naive_torch"]
    assert board["mini_tones"] > 0.8
    assert board["mini_noise_folds"] > 0.5  # 4 colours: chance 0.25
    assert board["mini_mixtures"] > 0.7
    assert board["mini_brightness"] > 0.5


def test_paired_bootstrap_tells_a_real_difference_from_none(home: Path) -> None:
    from hear_assets.lib.evaluation.significance import compare
    from hear_assets.lib.store.layout import Layout

    layout = Layout(home)
    same = compare(layout, "mini_modulation", "naive_torch", "naive_torch", n=200)
    assert same.diff_ci95 == (0.0, 0.0) and not same.significant
    # a "model" that always predicts the first label: far worse on 12 pitches
    pred = pd.read_csv(home / "predictions" / "naive_torch" / "mini_tones" / "predicted-test.csv")
    const = pred.copy()
    const.iloc[:, 1:] = 0.0
    const.iloc[:, 1] = 1.0
    out = home / "predictions" / "constant" / "mini_tones"
    out.mkdir(parents=True)
    const.to_csv(out / "predicted-test.csv", index=False)
    c = compare(layout, "mini_tones", "naive_torch", "constant", n=200)
    assert c.significant and c.better == "a" and c.p_value < 0.05
