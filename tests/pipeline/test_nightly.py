"""The nightly sensor requests runs for what is stale (the daemon queues them under the pools);
it runs nothing itself."""

import datetime as dt
import json
from pathlib import Path

import dagster as dg

from hear_assets.automation import nightly_tick
from hear_assets.definitions import defs
from hear_assets.lib.grid import catalog
from hear_assets.lib.store.layout import Layout
from hear_assets.lib.tasks.synthetic import BUILTIN_TASKS
from hear_assets.runner import run_grid
from hear_models.registry import MODELS

NIGHT = dt.datetime(2026, 12, 2, 2, 10, tzinfo=dt.UTC)
NOON = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


def requested(result) -> list[tuple[str, str, list[str]]]:
    return [
        (
            r.job_name,
            str(r.partition_key),
            [k.to_user_string() for k in r.asset_selection or []],
        )
        for r in result.run_requests
    ]


def test_a_nightly_tick_with_one_stale_pair_requests_exactly_that_pair(mini_home: Path) -> None:
    layout = Layout(mini_home)
    kept = {"mini_tones", "naive_torch", "naive_flax"}  # retire the rest of the built-ins
    retired = {"tasks": sorted(BUILTIN_TASKS), "models": sorted(set(MODELS) - kept)}
    for axis, names in retired.items():
        (mini_home / "registry" / f"retired-{axis}.json").write_text(json.dumps(names))
    tasks, models = catalog.all_tasks(layout), catalog.all_models(layout)
    assert set(tasks) | set(models) == kept
    with dg.instance_for_test() as instance:
        result = run_grid(instance, layout, list(tasks.values()), list(models.values()))
        assert not result.failures
        context = dg.build_sensor_context(instance=instance)
        assert requested(nightly_tick(context, layout, NIGHT)) == []  # everything is done

        (mini_home / "predictions" / "naive_flax" / "mini_tones" / "predicted-test.csv").unlink()
        assert requested(nightly_tick(context, layout, NIGHT)) == [
            ("pair_job", "naive_flax|mini_tones", ["predictions"])
        ]
        assert isinstance(nightly_tick(context, layout, NOON), dg.SkipReason)


def test_the_nightly_is_a_sensor_over_the_grid_jobs_and_nothing_runs_in_an_op() -> None:
    sensor = defs.resolve_sensor_def("scores_nightly")
    assert {j.name for j in sensor.jobs} == {"task_job", "multitask_job", "pair_job", "scores_job"}
    assert not [j for j in defs.resolve_all_job_defs() if j.name == "nightly_job"]
