"""The documented commands, run literally in subprocesses."""

import json
import time
from pathlib import Path

import pytest

from tests.helpers import BIN, MINI_TONES, env_for, register_tasks, run

pytestmark = pytest.mark.smoke


@pytest.fixture
def homes(tmp_path: Path) -> tuple[Path, Path]:
    hear, dag = tmp_path / "data", tmp_path / "dagster_home"
    hear.mkdir()
    dag.mkdir()  # as `make install` leaves it
    register_tasks(hear, MINI_TONES)
    return hear, dag


def test_hear_assets_run_then_nothing_to_do(homes: tuple[Path, Path]) -> None:
    hear, dag = homes
    env = env_for(hear, dag)
    args = [str(BIN / "hear-assets"), "run", "--tasks", "mini_tones", "--models", "naive_torch"]
    first = run(args, env)
    assert first.returncode == 0, first.stderr
    assert "naive_torch" in first.stdout and "mini_tones" in first.stdout
    assert "naive_torch|mini_tones: embeddings, predictions" in first.stderr
    assert (dag / "dagster.yaml").exists()
    assert "enabled: false" in (dag / "dagster.yaml").read_text()

    start = time.perf_counter()
    again = run(args, env)
    assert again.returncode == 0, again.stderr
    assert "nothing to do" in again.stderr
    assert time.perf_counter() - start < 30

    # The runs landed in the persistent instance the UI reads.
    listing = run(
        [
            str(BIN / "python"),
            "-c",
            "import dagster as dg; i = dg.DagsterInstance.get(); print(len(i.get_runs()))",
        ],
        env,
    )
    assert int(listing.stdout.strip()) == 3  # task stages, pair stages, scores

    # A deleted stage output counts as missing even though Dagster recorded it.
    emb = hear / "embeddings" / "naive_torch" / "mini_tones" / "test.npy"
    emb.unlink()
    third = run(args, env)
    assert third.returncode == 0, third.stderr
    assert emb.exists()

    board = run([str(BIN / "hear-assets"), "leaderboard", "--format", "json"], env)
    rows = json.loads(board.stdout)
    assert rows[0]["model"] == "naive_torch" and rows[0]["primary"] > 0.8


def test_dagster_asset_materialize_select_scores_as_written(homes: tuple[Path, Path]) -> None:
    hear, dag = homes
    env = env_for(hear, dag)
    out = run(["dagster", "asset", "materialize", "--select", "scores"], env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert (hear / "leaderboard.csv").read_text().strip() == "model"
    # and with -m instead of the activated environment
    env.pop("DAGSTER_MODULE_NAME")
    out = run(
        ["dagster", "asset", "materialize", "--select", "scores", "-m", "hear_assets.definitions"],
        env,
    )
    assert out.returncode == 0, out.stderr[-2000:]


def test_unknown_names_get_one_clear_line(homes: tuple[Path, Path]) -> None:
    hear, dag = homes
    out = run([str(BIN / "hear-assets"), "run", "--models", "naive_torc"], env_for(hear, dag))
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "hear-assets: error: no model 'naive_torc'; did you mean 'naive_torch'?"
    )
    assert "Traceback" not in out.stderr


def test_import_boundaries() -> None:
    env = env_for(Path("/nonexistent"), Path("/nonexistent"))
    # Every command, worker and code server imports these: the heavy libraries (torch, jax;
    # scipy.signal, scipy.stats and sklearn, 3 s together) wait for the step that uses them.
    code = (
        "import sys, hear_assets.definitions, hear_assets.cli; "
        "heavy = ('torch', 'jax', 'flax', 'sklearn', 'scipy.stats', 'scipy.signal'); "
        "bad = [m for m in heavy if m in sys.modules]; "
        "assert not bad, bad"
    )
    out = run([str(BIN / "python"), "-c", code], env)
    assert out.returncode == 0, out.stderr
    code = (
        "import sys, hear_models, hear_models.naive_torch, hear_models.runtime; "
        "assert 'dagster' not in sys.modules"
    )
    out = run([str(BIN / "python"), "-c", code], env)
    assert out.returncode == 0, out.stderr


def test_dagster_definitions_validate(homes: tuple[Path, Path]) -> None:
    env = env_for(*homes)
    env.pop("DAGSTER_MODULE_NAME")  # -w and the module variable are mutually exclusive
    out = run(["dagster", "definitions", "validate", "-w", "workspace.yaml"], env)
    assert out.returncode == 0, out.stderr[-2000:]


def test_run_parallel_fans_pairs_out_to_worker_processes(homes: tuple[Path, Path]) -> None:
    hear, dag = homes
    out = run(
        [
            str(BIN / "hear-assets"),
            "run",
            "--tasks",
            "mini_tones",
            "--models",
            "naive_torch,naive_flax",
            "--parallel",
            "2",
        ],
        env_for(hear, dag),
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert (hear / "scores" / "naive_flax" / "mini_tones.json").exists()
    assert (hear / "scores" / "naive_torch" / "mini_tones.json").exists()
