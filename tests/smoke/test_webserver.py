"""``dagster dev`` serves the UI from workspace.yaml and stops cleanly."""

from pathlib import Path

import pytest

from tests.helpers import dagster_dev, env_for, graphql

pytestmark = pytest.mark.smoke


def test_dagster_dev_in_the_activated_venv_loads_every_asset(tmp_path: Path) -> None:
    (tmp_path / "dh").mkdir()
    env = env_for(tmp_path / "data", tmp_path / "dh")
    with dagster_dev(env) as (port, status):
        assert status == "LOADED"
        nodes = graphql(port, "{ assetNodes { assetKey { path } groupName } }")["data"]
        groups = {n["assetKey"]["path"][0]: n["groupName"] for n in nodes["assetNodes"]}
    assert groups == {
        "task_spec": "settings",  # observable sources: what stages read besides upstream data
        "model_spec": "settings",
        "probe_setting": "settings",
        "task_raw": "tasks",
        "task_audio": "tasks",
        "task_splits": "tasks",
        "learned_weights": "models",
        "multitask_weights": "models",
        "embeddings": "pairs",
        "predictions": "pairs",
        "scores": "report",
    }
