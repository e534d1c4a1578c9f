"""``--shots``: few-shot curves of a scene task in the scores json, K=all equal to the
logistic-regression candidate, and a K past the smallest class refused with one line."""

import json
from pathlib import Path

import dagster as dg
import pytest

from hear_assets.lib.grid import catalog
from hear_assets.lib.store.layout import Layout
from hear_assets.runner import run_grid
from tests.helpers import MINI_TONES, register_tasks


@pytest.mark.slow
def test_few_shot_curve(hear_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register_tasks(hear_home, MINI_TONES)
    monkeypatch.setenv("HEAR_PROBE_SEEDS", "1")
    monkeypatch.setenv("HEAR_FEW_SHOT", "1,2,all")
    layout = Layout(hear_home)
    task = catalog.get_task(layout, "mini_tones")
    model = catalog.get_model(layout, "naive_torch")
    with dg.instance_for_test() as instance:
        assert not run_grid(instance, layout, [task], [model]).failures
        scores = json.loads((hear_home / "scores" / "naive_torch" / "mini_tones.json").read_text())
        curve = scores["few_shot"]
        assert list(curve) == ["1", "2", "all"] and len(curve["1"]["draws"]) == 3
        logreg = scores["probe"]["candidates"]["logreg"]["test_score"]
        assert curve["all"]["mean"] == pytest.approx(logreg)  # the same probe on all clips
        assert 0 <= curve["1"]["mean"] <= 1 and curve["1"]["std"] >= 0
        page = (hear_home / "leaderboard.html").read_text()
        assert "Few-shot curves" in page
        monkeypatch.setenv("HEAR_FEW_SHOT", "1,50")
        result = run_grid(instance, layout, [task], [model])
    (err,) = result.failures.values()
    assert "--shots 50: larger than the smallest class" in err and "\n" not in err.strip()
