"""Results exported on one HEAR_HOME and imported into another give the same leaderboard; a
result of another task (digest) is refused in one line and nothing is imported."""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from hear_assets.lib.grid import catalog
from hear_assets.lib.store.layout import Layout
from hear_assets.runner import run_grid
from tests.helpers import MINI_TONES, register_tasks


def hear(home: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, HEAR_HOME=str(home))
    out = subprocess.run(
        [sys.executable, "-m", "hear_assets", *args], env=env, capture_output=True, text=True
    )
    assert (out.returncode == 0) == ok, out.stdout + out.stderr
    return out


def build(home: Path, models: list[str], task: dict = MINI_TONES) -> None:
    """Register ``task`` in ``home`` and run it with ``models`` (none: only its task stages)."""
    home.mkdir()
    register_tasks(home, task)
    layout = Layout(home)
    with dg.instance_for_test() as instance:
        tasks = [catalog.get_task(layout, task["name"])]
        result = run_grid(instance, layout, tasks, [catalog.get_model(layout, m) for m in models])
        assert not result.failures


def test_results_exported_here_and_imported_there_give_the_same_leaderboard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEAR_PROBE", "logreg")  # the probe is not what this is about
    monkeypatch.setenv("HEAR_PROBE_SEEDS", "1")
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    build(a, ["naive_torch", "naive_flax"])
    build(b, [])  # the same task, built; no model run here
    other = {**MINI_TONES, "params": {**MINI_TONES["params"], "seed": 99}}
    build(c, [], other)  # the task under the same name, other content

    out = hear(a, "results", "export", str(tmp_path / "res")).stdout
    assert "wrote 2 results" in out
    exported = json.loads((tmp_path / "res" / "naive_torch" / "mini_tones.json").read_text())
    assert exported["result_format"] == 1 and exported["card"]["params"] > 0
    assert exported["provenance"]["task_sha256"]

    # Another task's digest: refused in one line, nothing written.
    err = hear(c, "results", "import", str(tmp_path / "res"), ok=False).stderr.strip()
    assert len(err.splitlines()) == 1 and "digest" in err and "nothing imported" in err
    assert not (c / "imported").exists()
    # A HEAR_HOME without the task: refused too.
    (tmp_path / "d").mkdir()
    err = hear(tmp_path / "d", "results", "import", str(tmp_path / "res"), ok=False).stderr
    assert "not built in this HEAR_HOME" in err

    out = hear(b, "results", "import", str(tmp_path / "res")).stdout
    assert "imported 2: naive_flax|mini_tones, naive_torch|mini_tones" in out
    board_a = hear(a, "leaderboard", "--format", "csv").stdout
    board_b = hear(b, "leaderboard", "--format", "csv").stdout
    assert board_a == board_b and "naive_torch" in board_b
    assert (b / "leaderboard.csv").read_text() == (a / "leaderboard.csv").read_text()
    table = hear(b, "leaderboard").stdout
    assert "imported (results import; not run here): naive_flax|mini_tones" in table
    assert "<i>imported</i>" in (b / "leaderboard.html").read_text()
    assert "already imported" in hear(b, "results", "import", str(tmp_path / "res")).stdout

    # The scores asset sees the import (its inputs changed) and keeps the imported rows.
    with dg.instance_for_test() as instance:
        layout = Layout(b)
        monkeypatch.setenv("HEAR_HOME", str(b))
        result = run_grid(instance, layout, [catalog.get_task(layout, "mini_tones")], [])
        assert not result.failures
    assert (b / "leaderboard.csv").read_text() == (a / "leaderboard.csv").read_text()
