"""Shared fixtures: a temporary HEAR_HOME per test, CPU only, and small synthetic tasks."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
# One probe seed unless a test is about the seeds: the product's default of three trains every
# MLP candidate three times, and no test but those (test_pipeline, the README's demo, the unit
# tests of the seeds) checks more than one. `probe_defaults` gives a test the product's default.
os.environ.setdefault("HEAR_PROBE_SEEDS", "1")

from tests.helpers import MINI_TONES, register_tasks


@pytest.fixture
def hear_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HEAR_HOME for one test, exported to code that reads the environment."""
    home = tmp_path / "hear_home"
    home.mkdir()
    monkeypatch.setenv("HEAR_HOME", str(home))
    return home


@pytest.fixture
def probe_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """The probe settings a user gets: ``$HEAR_PROBE_SEEDS`` unset (three seeds)."""
    monkeypatch.delenv("HEAR_PROBE_SEEDS", raising=False)


@pytest.fixture
def mini_home(hear_home: Path) -> Path:
    """A HEAR_HOME where the small ``mini_tones`` task is registered."""
    register_tasks(hear_home, MINI_TONES)
    return hear_home


# The longest modules (make test's --durations, 2 cores), longest first: with two workers and
# `--dist loadscope --no-loadscope-reorder` (xdist's own reordering puts the modules with the
# most tests first), the README's demo takes one worker from the start while the other works
# through the rest, and no long module starts last and ends the run alone.
LONGEST = (
    "test_readme_demo.py",
    "test_dask.py",  # in a fresh worker: later in the run it waited ~100 s with the cores idle
    "test_crash_resume.py",
    "test_registry_commands.py",
    "test_commands.py",
    "test_hf_layers.py",
    "test_imported_pairs.py",
    "test_download_kills.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules of ``LONGEST`` first, in that order, then the other modules with a ``slow``
    test, then the rest (the order inside a module is kept)."""

    def rank(item: pytest.Item) -> tuple[int, int]:
        if item.path.name in LONGEST:
            return 0, LONGEST.index(item.path.name)
        return (1 if item.path in slow_modules else 2), 0

    slow_modules = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=rank)  # stable
