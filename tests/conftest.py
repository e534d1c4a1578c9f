"""Shared fixtures: a temporary HEAR_HOME per test, CPU only, and small synthetic tasks."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

from tests.helpers import MINI_TONES, register_tasks


@pytest.fixture
def hear_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HEAR_HOME for one test, exported to code that reads the environment."""
    home = tmp_path / "hear_home"
    home.mkdir()
    monkeypatch.setenv("HEAR_HOME", str(home))
    return home


@pytest.fixture
def mini_home(hear_home: Path) -> Path:
    """A HEAR_HOME where the small ``mini_tones`` task is registered."""
    register_tasks(hear_home, MINI_TONES)
    return hear_home
