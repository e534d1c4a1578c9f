"""``dagster dev`` serves the UI from workspace.yaml and stops cleanly."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import PROJECT
from tests.smoke.helpers import BIN, env_for

pytestmark = pytest.mark.smoke


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_dagster_dev_in_the_activated_venv_loads_every_asset(tmp_path: Path) -> None:
    port = free_port()
    env = env_for(tmp_path / "data", tmp_path / "dh")
    (tmp_path / "dh").mkdir()
    # Exactly what the README says: activate the venv, then `dagster dev` in the project root.
    proc = subprocess.Popen(
        ["bash", "-c", f". '{BIN}/activate' && dagster dev -h 127.0.0.1 -p {port}"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        start_new_session=True,
    )
    try:
        status = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                data = graphql(
                    port,
                    "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } }",
                )
                entries = data["data"]["workspaceOrError"]["locationEntries"]
                status = entries[0]["loadStatus"] if entries else None
                if status == "LOADED":
                    break
            except OSError:
                pass
            time.sleep(1)
        assert status == "LOADED"
        nodes = graphql(port, "{ assetNodes { assetKey { path } groupName } }")["data"]
        groups = {n["assetKey"]["path"][0]: n["groupName"] for n in nodes["assetNodes"]}
        assert groups == {
            "task_raw": "tasks",
            "task_audio": "tasks",
            "task_splits": "tasks",
            "embeddings": "pairs",
            "predictions": "pairs",
            "scores": "report",
            "learned_weights": "models",
            "multitask_weights": "models",
        }
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert proc.returncode is not None
