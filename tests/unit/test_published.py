"""The shipped HEAR 2021 leaderboard: its task names are the recipes' own, its numbers are the
site's, and ``leaderboard --with-published`` puts them beside ours, marked."""

import json
from pathlib import Path

import pandas as pd

from hear_assets.cli.report import leaderboard_text
from hear_assets.lib.report import published
from hear_assets.lib.store.layout import Layout
from hear_assets.lib.tasks.recipes import RECIPES, recipe_spec


def test_every_recipe_task_of_hear2021_has_published_scores() -> None:
    names = {task for task, _ in published.COLUMNS.values()}
    recipe_names = {
        recipe_spec(r, m).name for r, rec in RECIPES.items() for m in rec.modes if m != "small"
    }
    assert recipe_names <= names, recipe_names - names  # each recipe mode HEAR 2021 scored
    table = published.table()
    assert set(table["task"]) == names and table["model"].nunique() == 34
    for task in recipe_names:  # and the metric is the recipe's primary one
        recipe = next(r for r in RECIPES.values() if task.startswith(r.task_name + "-"))
        (metric,) = set(table.loc[table["task"] == task, "metric"])
        assert metric == recipe.evaluation[0], (task, metric)


def test_numbers_are_the_sites() -> None:
    t = published.table().set_index(["model", "task"])["primary"]
    # hear-reference.md §10, rounded as published there
    assert round(t["CREPE", "nsynth_pitch-v2.2.3-5h"], 3) == 0.870
    assert round(t["wav2vec2", "esc50-v2.0.0-full"], 3) == 0.561
    assert round(t["CP-JKU PaSST 2lvl+mel", "dcase2016_task2-hear2021-full"], 3) == 0.925


def write_score(home: Path, model: str, task: str, metric: str, value: float) -> None:
    path = home / "scores" / model / f"{task}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "model": model,
                "task": task,
                "primary_metric": metric,
                "primary": value,
                "ci95": [value - 0.05, min(1.0, value + 0.05)],
            }
        )
    )


def test_with_published_beside_ours(tmp_path: Path) -> None:
    task = "gunshot_triangulation-v1.0-full"
    write_score(tmp_path, "naive_torch", task, "top1_acc", 0.8)
    write_score(tmp_path, "naive_torch", "tiny_tones", "pitch_acc", 1.0)
    layout = Layout(tmp_path)
    plain = leaderboard_text(layout)
    assert "published" not in plain
    text = leaderboard_text(layout, "table", with_published=True)
    ours, _, theirs = text.partition("published, not re-run here")
    assert "naive_torch" in ours and "(published)" not in ours
    assert "CREPE (published)" in theirs and "gunshot_triangulation-v1.0-full: top1_acc" in theirs
    rows = json.loads(leaderboard_text(layout, "json", with_published=True))
    pub = [r for r in rows if r["published"]]
    assert {r["task"] for r in pub} == {task} and len(pub) == 34  # every model ran Gunshot
    assert not [r for r in rows if not r["published"] and "(published)" in r["model"]]
    csv_rows = leaderboard_text(layout, "csv", with_published=True).splitlines()
    assert csv_rows[0] == f"model,{task},tiny_tones" and len(csv_rows) == 1 + 1 + 34


def test_no_published_scores_said_so(tmp_path: Path) -> None:
    write_score(tmp_path, "naive_torch", "tiny_tones", "pitch_acc", 1.0)
    text = leaderboard_text(Layout(tmp_path), "table", with_published=True)
    assert text.endswith("(no published HEAR 2021 scores for these tasks)")
    assert isinstance(published.for_tasks([]), pd.DataFrame)
