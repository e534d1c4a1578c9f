"""The UI's notion of stale (Dagster's stale status, from code and data versions) and
`hear-assets run`'s (the planner's manifests) agree: each input is changed in turn and both
must call exactly the same assets stale."""

from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContextForTest  # the UI's resolver, as in its tests

from hear_assets.assets.settings import observe_settings
from hear_assets.definitions import defs
from hear_assets.lib.grid import catalog, graph
from hear_assets.lib.grid.plan import Step
from hear_assets.lib.grid.stages import stage_state
from hear_assets.lib.report import build as report
from hear_assets.lib.store.layout import Layout, pair_label
from hear_assets.runner import materialize_step, run_grid
from hear_models.registry import ModelSpec
from tests import outside
from tests.helpers import MINI_TONES, register_tasks

MODELS = ("energy", "naive_torch")


def both_stale(instance: dg.DagsterInstance, layout: Layout) -> tuple[set, set]:
    """(what the planner calls stale, what Dagster calls stale) over the task and its pairs."""
    tasks, models = catalog.all_tasks(layout), catalog.all_models(layout)
    task = tasks["mini_tones"]
    cells = [(s, task.name, None) for s in graph.TASK_STAGES]
    cells += [(s, task.name, models[m]) for m in MODELS for s in graph.PAIR_STAGES]
    planner = {
        (s, t if m is None else pair_label(m.name, t))
        for s, t, m in cells
        if stage_state(layout, s, task, m) == "stale"
    }
    if report.report_state(layout, tasks, models) == "stale":
        planner.add(("scores", None))
    resolver = CachingStaleStatusResolver(
        instance, defs.resolve_asset_graph(), LoadingContextForTest(instance)
    )
    keys = [(s, t if m is None else pair_label(m.name, t)) for s, t, m in cells] + [
        ("scores", None)
    ]
    dagster = {
        (s, key) for s, key in keys if resolver.get_status(dg.AssetKey(s), key) == StaleStatus.STALE
    }
    return planner, dagster


@pytest.mark.slow
def test_each_input_makes_the_same_assets_stale_in_the_ui_and_the_planner(
    hear_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path / "mods"))
    outside.write_module(tmp_path / "mods", "energy_numpy", outside.GOOD)
    weights = tmp_path / "energy.bin"
    weights.write_bytes(b"checkpoint 1")
    register_tasks(hear_home, MINI_TONES)
    energy = ModelSpec("energy", "energy_numpy", "outside", "numpy", 16000, str(weights))
    layout = Layout(hear_home)
    catalog.save_registry(layout, "models", [energy.to_json()])
    monkeypatch.delenv("HEAR_PROBE", raising=False)
    pair = {m: pair_label(m, "mini_tones") for m in MODELS}

    def check(expected: set) -> None:
        observe_settings(instance, str(hear_home))  # as `hear-assets run` does before planning
        planner, dagster = both_stale(instance, layout)
        assert planner == dagster == expected, (planner, dagster)

    with dg.instance_for_test() as instance:
        task = catalog.get_task(layout, "mini_tones")
        models = [catalog.get_model(layout, m) for m in MODELS]
        assert not run_grid(instance, layout, [task], models).failures
        check(set())

        monkeypatch.setenv("HEAR_PROBE", "logreg")  # a setting of predictions
        check({("predictions", pair["energy"]), ("predictions", pair["naive_torch"])})
        monkeypatch.delenv("HEAR_PROBE")
        check(set())

        weights.write_bytes(b"checkpoint 2")  # a model's identity
        check({("embeddings", pair["energy"])})
        assert not run_grid(instance, layout, [task], models).failures  # re-embeds, re-scores
        check(set())

        spec = {**MINI_TONES, "params": {**MINI_TONES["params"], "seed": 4}}  # a task's spec
        register_tasks(hear_home, spec)
        check({("task_raw", "mini_tones")})
        step = Step("mini_tones", None, ("task_raw",))
        assert materialize_step(step, str(hear_home), instance=instance) is None
        check({("task_audio", "mini_tones"), ("task_splits", "mini_tones")})  # new raw data
