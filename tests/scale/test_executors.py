"""Executors: the definitions' defaults, the dask job's config, threads shared among workers."""

import os

import dagster as dg
import pytest

from hear_assets.executors import dask_run_config
from hear_assets.runner import XLA_ONE_THREAD, worker_threads


def test_definitions_default_to_the_multiprocess_executor_and_offer_dask_for_pairs() -> None:
    from hear_assets.definitions import defs, pair_dask_job_def

    assert defs.resolve_job_def("pair_job").executor_def is dg.multiprocess_executor
    job = pair_dask_job_def()
    assert job.executor_def.name == "dask"
    assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} == {
        "learned_weights",  # a per-task model's pair run trains its weights first
        "embeddings",
        "predictions",
    }


def test_dask_run_config_carries_the_scheduler_home_and_device() -> None:
    config = dask_run_config("tcp://10.0.0.5:8786", "/mnt/hear", "cuda")
    assert config["execution"] == {
        "config": {"cluster": {"existing": {"address": "tcp://10.0.0.5:8786"}}}
    }
    assert config["resources"] == {
        "home": {"config": {"root": "/mnt/hear"}},
        "models": {"config": {"device": "cuda"}},
    }


def test_workers_share_the_cores_and_the_environment_is_restored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")  # the user's choice stays
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    with worker_threads(4):
        assert os.environ["OMP_NUM_THREADS"] == "2"
        assert os.environ["MKL_NUM_THREADS"] == "3"
        assert "XLA_FLAGS" not in os.environ
    with worker_threads(8):
        assert os.environ["OMP_NUM_THREADS"] == "1"
        assert os.environ["XLA_FLAGS"] == XLA_ONE_THREAD
    assert "OMP_NUM_THREADS" not in os.environ and "XLA_FLAGS" not in os.environ
    assert os.environ["MKL_NUM_THREADS"] == "3"
