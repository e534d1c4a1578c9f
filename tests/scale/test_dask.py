"""Pair runs on a dask LocalCluster (2 worker processes on loopback), then again in process.

Two pairs run at once through ``run_grid(..., parallel=2, dask_scheduler=...)``, the path of
``hear-assets run --dask-scheduler``: two concurrent runs of ``pair_dask_job`` on one scheduler,
the case upstream dagster-dask collapses into one run (dagster-io/dagster#21418).
"""

import json
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import numpy as np
import pytest

from hear_assets.instance import ensure_dagster_home
from hear_assets.lib.grid import catalog
from hear_assets.lib.grid.plan import Step
from hear_assets.lib.store.layout import Layout
from hear_assets.runner import materialize_step, run_grid
from tests.helpers import MINI_TONES, mini_task, register_tasks

TASKS = [MINI_TONES, mini_task("tiny_jnd", "mini_jnd", params={"pairs": 30})]
PAIRS = ["naive_torch|mini_jnd", "naive_torch|mini_tones"]


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[str, set[int]]]:
    """A dask LocalCluster of 2 single-thread worker processes on 127.0.0.1: its address and
    the workers' pids."""
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
        ) as local,
        Client(local) as client,
    ):
        yield local.scheduler_address, set(client.run(os.getpid).values())


def outputs(home: Path) -> dict[str, object]:
    """Every embedding array and every score file of the grid."""
    found: dict[str, object] = {}
    for path in sorted((home / "embeddings").rglob("*.npy")):
        found[str(path.relative_to(home))] = np.load(path, allow_pickle=False)
    for path in sorted((home / "scores").rglob("*.json")):
        found[str(path.relative_to(home))] = json.loads(path.read_text())["metrics"]
    return found


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_pair_runs_execute_on_dask_workers_and_match_in_process_runs(
    cluster: tuple[str, set[int]], hear_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    address, worker_pids = cluster
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    ensure_dagster_home()
    register_tasks(hear_home, *TASKS)
    layout = Layout(hear_home)
    tasks = [catalog.get_task(layout, t["name"]) for t in TASKS]
    models = [catalog.get_model(layout, "naive_torch")]
    with dg.DagsterInstance.get() as instance:
        result = run_grid(instance, layout, tasks, models, parallel=2, dask_scheduler=address)
        assert not result.failures, result.failures
        runs = instance.get_runs(dg.RunsFilter(job_name="pair_dask_job"))
        assert sorted(r.tags["dagster/partition"] for r in runs) == PAIRS
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
        step_pids = {
            (run.tags["dagster/partition"], record.step_key): record.dagster_event.pid
            for run in runs
            for record in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_START)
            if record.dagster_event is not None
        }
        assert len(step_pids) == 4, step_pids  # embeddings and predictions of both pairs
        assert set(step_pids.values()) <= worker_pids, (step_pids, worker_pids)
        on_dask = outputs(hear_home)
        # The same pairs again in this process: the same arrays and scores.
        for task in ("mini_tones", "mini_jnd"):
            step = Step(task, "naive_torch", ("embeddings", "predictions"))
            assert materialize_step(step, str(hear_home), "", instance) is None
        assert materialize_step(Step("", None, ("scores",)), str(hear_home), "", instance) is None
    in_process = outputs(hear_home)
    assert sorted(on_dask) == sorted(in_process) and len(on_dask) == 8
    for name, value in in_process.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_allclose(on_dask[name], value, rtol=1e-5, atol=1e-6, err_msg=name)
        else:
            assert on_dask[name] == pytest.approx(value, abs=1e-9), name
