"""What tests share besides fixtures: the project's paths, small task specs, and running the
product's commands in subprocesses as a user would."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]

# A small variant of the built-in tones task: 12 pitches x 6 clips, generated in about a second.
MINI_TONES = {
    "name": "mini_tones",
    "task_type": "scene",
    "prediction_type": "multiclass",
    "sample_duration": 0.5,
    "evaluation": ["pitch_acc", "chroma_acc"],
    "split_mode": "trainvaltest",
    "nfolds": 0,
    "source": "builtin",
    "version": "1",
    "source_sample_rate": 22050,
    "params": {
        "generator": "tones",
        "seed": 3,
        "pitch_low": 60,
        "pitch_high": 71,
        "per_class": 6,
    },
}


def mini_task(builtin: str, name: str, **changes) -> dict:
    """A smaller copy of a built-in task's spec (same generator), as a registry entry."""
    from hear_assets.lib.tasks.synthetic import BUILTIN_TASKS

    spec = BUILTIN_TASKS[builtin].to_json()
    params = {**spec["params"], **changes.pop("params", {})}
    return {**spec, **changes, "name": name, "params": params}


def mini_tasks() -> list[dict]:
    """One small task of every type, generated and standardized in seconds."""
    return [
        MINI_TONES,
        mini_task("tiny_modulation", "mini_modulation", params={"per_class": 15}),
        mini_task("tiny_mixtures", "mini_mixtures", params={"clips": 40}),
        mini_task("tiny_noise_folds", "mini_noise_folds", nfolds=3, params={"per_class": 6}),
        mini_task("tiny_events", "mini_events", sample_duration=2.0, params={"clips": 15}),
        mini_task("tiny_jnd", "mini_jnd", params={"pairs": 30}),
        mini_task("tiny_brightness", "mini_brightness", params={"groups": 8, "per_group": 4}),
    ]


def register_tasks(home: Path, *specs: dict) -> None:
    """Write ``registry/tasks.json`` with the given task specs."""
    (home / "registry").mkdir(parents=True, exist_ok=True)
    (home / "registry" / "tasks.json").write_text(json.dumps(list(specs)))


BIN = Path(sys.executable).parent


def env_for(hear_home: Path, dagster_home: Path, **extra: str) -> dict[str, str]:
    """The environment of an activated venv, pointing at temporary homes."""
    env = dict(os.environ)
    env.update(
        {
            "HEAR_HOME": str(hear_home),
            "DAGSTER_HOME": str(dagster_home),
            "DAGSTER_MODULE_NAME": "hear_assets.definitions",
            "JAX_PLATFORMS": "cpu",
            "PATH": f"{BIN}:{env.get('PATH', '')}",
        }
    )
    env.update(extra)
    return env


def run(cmd: list[str], env: dict[str, str], timeout: float = 300, cwd: Path = PROJECT):
    """Run a command to completion, returning the CompletedProcess (text mode)."""
    return subprocess.run(
        cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def graphql(port: int, query: str) -> dict:
    """Post a GraphQL query to the webserver on ``port``."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


@contextlib.contextmanager
def dagster_dev(env: dict[str, str], timeout_s: float = 90) -> Iterator[tuple[int, str | None]]:
    """Run ``dagster dev`` as the README says (activated venv, project root); yield the port
    and the code location's load status once LOADED (or the last seen); stop it by its PID."""
    port = free_port()
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
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and status != "LOADED":
            try:
                data = graphql(
                    port,
                    "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus } } } }",
                )
                entries = data["data"]["workspaceOrError"]["locationEntries"]
                status = entries[0]["loadStatus"] if entries else None
            except OSError:
                time.sleep(1)
        yield port, status
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
