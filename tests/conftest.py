"""Shared fixtures: a temporary HEAR_HOME per test, CPU only, and small synthetic tasks."""

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

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
        "resample_filter": "kaiser_fast",
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


@pytest.fixture
def hear_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HEAR_HOME for one test, exported to code that reads the environment."""
    home = tmp_path / "hear_home"
    home.mkdir()
    monkeypatch.setenv("HEAR_HOME", str(home))
    return home


def register_tasks(home: Path, *specs: dict) -> None:
    """Write ``registry/tasks.json`` with the given task specs."""
    (home / "registry").mkdir(parents=True, exist_ok=True)
    (home / "registry" / "tasks.json").write_text(json.dumps(list(specs)))


@pytest.fixture
def mini_home(hear_home: Path) -> Path:
    """A HEAR_HOME where the small ``mini_tones`` task is registered."""
    register_tasks(hear_home, MINI_TONES)
    return hear_home
