"""Pool limits of the instance that hear-dagster creates, and runs that cannot wait on them."""

import subprocess
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.instance.config import PoolGranularity
from dagster._core.storage.dagster_run import DagsterRun

from hear_assets import instance as hear_instance
from hear_assets.runs import LAUNCH_TAGS, reap_dead_runs

OLD_YAML = "telemetry:\n  enabled: false\nnux:\n  enabled: false\n"  # before pools existed


@pytest.fixture
def dagster_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "dh"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def limits(instance: dg.DagsterInstance) -> dict[str, int]:
    return {p.name: p.limit for p in instance.event_log_storage.get_pool_limits()}


def test_a_new_instance_reports_the_pool_limits(dagster_home: Path) -> None:
    hear_instance.ensure_dagster_home()
    assert "granularity: run" in (dagster_home / "dagster.yaml").read_text()
    with dg.DagsterInstance.get() as inst:
        config = inst.event_log_storage.get_pool_config()
        assert config.pool_granularity == PoolGranularity.RUN
        assert config.default_pool_limit == 1
        want = hear_instance.default_pool_limits()
        assert set(want) == {"download", "gpu", "probe"}
        assert limits(inst) == want
        inst.event_log_storage.set_concurrency_slots("gpu", 3)  # as `concurrency set gpu 3`
    hear_instance.ensure_dagster_home()  # a later start keeps the user's choice
    with dg.DagsterInstance.get() as inst:
        assert limits(inst)["gpu"] == 3


def test_an_instance_from_an_older_yaml_still_works_without_pools(dagster_home: Path) -> None:
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(OLD_YAML)
    hear_instance.ensure_dagster_home()
    assert (dagster_home / "dagster.yaml").read_text() == OLD_YAML  # never rewritten
    with dg.DagsterInstance.get() as inst:
        assert limits(inst) == {}
        with pytest.raises(RuntimeError, match="granularity: run"):
            hear_instance.set_pool_limits(inst)
    assert hear_instance.main(["--pools"]) == 1


@dg.asset(pool="gpu")
def on_the_gpu() -> int:
    return 1


def test_a_slot_held_by_a_dead_run_does_not_block_a_started_run(dagster_home: Path) -> None:
    hear_instance.ensure_dagster_home()
    with dg.DagsterInstance.get() as inst:
        inst.event_log_storage.set_concurrency_slots("gpu", 1)
        claim = inst.event_log_storage.claim_concurrency_slot("gpu", "killed-run", "embeddings")
        assert claim.is_claimed  # the only gpu slot, held by a run that will never free it
        start = time.perf_counter()
        assert dg.materialize([on_the_gpu], instance=inst).success
        assert time.perf_counter() - start < 10


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_runs_of_killed_processes_are_marked_failed(dagster_home: Path) -> None:
    import os
    import socket

    host = socket.gethostname()
    hear_instance.ensure_dagster_home()
    with dg.DagsterInstance.get() as inst:
        runs = {}
        for name, tags in {
            "dead": {"hear/host": host, "hear/pid": str(dead_pid())},
            "alive": {"hear/host": host, "hear/pid": str(os.getpid())},
            "elsewhere": {"hear/host": "another-machine", "hear/pid": str(dead_pid())},
        }.items():
            run = DagsterRun(
                job_name="__ASSET_JOB",
                status=dg.DagsterRunStatus.STARTED,
                tags={**LAUNCH_TAGS, **tags},
            )
            inst.add_run(run)
            runs[name] = run.run_id
        assert reap_dead_runs(inst) == [runs["dead"]]
        status = {n: inst.get_run_by_id(r).status for n, r in runs.items()}  # type: ignore[union-attr]
        assert status == {
            "dead": dg.DagsterRunStatus.FAILURE,
            "alive": dg.DagsterRunStatus.STARTED,
            "elsewhere": dg.DagsterRunStatus.STARTED,
        }
        assert reap_dead_runs(inst) == []


def test_the_gpu_pool_counts_the_visible_gpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    smi = tmp_path / "bin" / "nvidia-smi"
    smi.parent.mkdir()
    smi.write_text(
        "#!/bin/sh\necho 'GPU 0: NVIDIA H200 (UUID: a)'\necho 'GPU 1: NVIDIA H200 (UUID: b)'\n"
    )
    smi.chmod(0o755)
    monkeypatch.setenv("PATH", str(smi.parent), prepend=":")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert hear_instance.default_pool_limits()["gpu"] == 2
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1")
    assert hear_instance.gpu_count() == 1
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert hear_instance.gpu_count() == 0 and hear_instance.default_pool_limits()["gpu"] == 1
