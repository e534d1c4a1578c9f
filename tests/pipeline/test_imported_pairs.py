"""Imported JND and ranking tasks run to scores with every built-in model, and a model with
nothing to train on is left out of a run instead of failing it."""

import json
from itertools import combinations
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from hear_assets.lib.grid import catalog
from hear_assets.lib.store.layout import Layout
from hear_assets.runner import run_grid
from tests.helpers import BIN, MINI_TONES, env_for, mini_task, register_tasks, run
from tests.pairtasks import DURATION_S, jnd_task, ranking_task


def clip_vectors(home: Path, model: str, task: str) -> dict[str, np.ndarray]:
    """Each test clip's frames, concatenated, straight from the embedding files."""
    emb = np.load(home / "embeddings" / model / task / "test.npy")
    index = json.loads((home / "embeddings" / model / task / "test.index.json").read_text())
    owner = np.array(index["frame_file"], dtype=object)
    return {f: emb[owner == f].astype(np.float64).ravel() for f in index["files"]}


def auc_by_counting(labels: list[int], dist: list[float]) -> float:
    """P(distance of a label-1 pair > that of a label-0 pair), ties half."""
    pos = [d for d, y in zip(dist, labels, strict=True) if y == 1]
    neg = [d for d, y in zip(dist, labels, strict=True) if y == 0]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def spearman_by_hand(x: list[float], y: list[float]) -> float:
    """1 - 6 Σd² / (n (n² - 1)) over ranks (no ties in these groups)."""
    rx, ry = np.argsort(np.argsort(x)), np.argsort(np.argsort(y))
    n = len(x)
    return 1 - 6 * float(((rx - ry) ** 2).sum()) / (n * (n * n - 1))


@pytest.mark.slow
def test_imported_pair_tasks_run_to_scores_with_every_model(
    hear_home: Path, tmp_path: Path
) -> None:
    register_tasks(hear_home, MINI_TONES)  # something for the multi-task model to train on
    env = env_for(hear_home, tmp_path / "dagster_home")
    for task in (jnd_task(tmp_path / "src"), ranking_task(tmp_path / "src")):
        added = run([str(BIN / "hear-assets"), "tasks", "add", str(task)], env)
        assert added.returncode == 0, added.stderr
    assert "imported: pitch_rank (ranking, multiclass" in added.stdout
    layout = Layout(hear_home)
    tasks = [catalog.get_task(layout, n) for n in ("pitch_jnd", "pitch_rank", "mini_tones")]
    models = list(catalog.all_models(layout).values())
    assert {m.name for m in models} >= {"naive_torch", "learned_conv", "multitask_flax"}
    with dg.instance_for_test() as instance:
        result = run_grid(instance, layout, tasks, models)
    assert not result.failures and not result.left_out, (result.failures, result.left_out)

    # the missing rate was resampled from 48 kHz, at the task's length
    resampled = hear_home / "tasks" / "pitch_jnd" / "44100" / "test" / "test0a.wav"
    assert sf.info(resampled).frames == int(DURATION_S * 44100)
    for model in models:
        for task in ("pitch_jnd", "pitch_rank"):
            scores = json.loads((hear_home / "scores" / model.name / f"{task}.json").read_text())
            assert np.isfinite(scores["primary"]), (model.name, task)

    # the metrics, by hand, from the embedding files of one model
    vec = clip_vectors(hear_home, "naive_torch", "pitch_jnd")
    pairs = pd.read_csv(hear_home / "tasks" / "pitch_jnd" / "test.csv")
    dist = [
        float(np.abs(vec[a] - vec[b]).mean())
        for a, b in zip(pairs.filename1, pairs.filename2, strict=True)
    ]
    jnd = json.loads((hear_home / "scores" / "naive_torch" / "pitch_jnd.json").read_text())
    assert jnd["metrics"]["jnd_auc"] == pytest.approx(auc_by_counting(list(pairs.label), dist))
    assert jnd["primary"] > 0.9  # 3 semitones against none: a pitch embedding hears it

    vec = clip_vectors(hear_home, "naive_torch", "pitch_rank")
    groups = pd.read_csv(hear_home / "tasks" / "pitch_rank" / "test.csv")
    rhos, right, total = [], 0.0, 0
    for _, grp in groups.groupby("group"):
        rank = dict(zip(grp.filename, grp["rank"], strict=True))
        names = sorted(rank, key=rank.get)
        d = {
            frozenset(p): float(np.abs(vec[p[0]] - vec[p[1]]).mean())
            for p in combinations(names, 2)
        }
        from_lowest = [0.0] + [d[frozenset((names[0], n))] for n in names[1:]]
        rhos.append(spearman_by_hand([rank[n] for n in names], from_lowest))
        for i in names:
            for j, k in combinations([n for n in names if n != i], 2):
                near, far = (j, k) if abs(rank[i] - rank[j]) < abs(rank[i] - rank[k]) else (k, j)
                if abs(rank[i] - rank[j]) == abs(rank[i] - rank[k]):
                    continue
                dn, df = d[frozenset((i, near))], d[frozenset((i, far))]
                right, total = right + (dn < df) + 0.5 * (dn == df), total + 1
    rank_scores = json.loads((hear_home / "scores" / "naive_torch" / "pitch_rank.json").read_text())
    assert rank_scores["metrics"]["spearman"] == pytest.approx(np.mean(rhos))
    assert rank_scores["metrics"]["triplet_acc"] == pytest.approx(right / total)


def test_a_model_with_nothing_to_train_on_is_left_out_not_failed(
    hear_home: Path, tmp_path: Path
) -> None:
    register_tasks(hear_home, mini_task("tiny_jnd", "mini_jnd", params={"pairs": 12}))
    (tmp_path / "dagster_home").mkdir()
    args = ["run", "--tasks", "mini_jnd", "--models", "multitask_flax,naive_torch"]
    done = run([str(BIN / "hear-assets"), *args], env_for(hear_home, tmp_path / "dagster_home"))
    err = done.stderr
    assert done.returncode == 0, err
    assert "error" not in err
    assert (
        "left out: multitask_flax: no scene or event task with train/valid/test splits is ready "
        "to train on (not applicable, not failed)" in err
    )
    assert (hear_home / "scores" / "naive_torch" / "mini_jnd.json").exists()
    assert not (hear_home / "weights" / "multitask_flax").exists()
