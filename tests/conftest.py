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
