"""The persistent Dagster instance: DAGSTER_HOME (default ./.dagster_home) and its dagster.yaml."""

import fcntl
import os
import sys
from pathlib import Path

DAGSTER_YAML = """\
# Written by hear-dagster when missing; edit freely (PostgreSQL: docs/dagster.postgres.yaml).
telemetry:
  enabled: false
nux:
  enabled: false
"""


def ensure_dagster_home() -> Path:
    """Make ``$DAGSTER_HOME`` (default ``./.dagster_home``) absolute, create it and its yaml."""
    home = Path(os.environ.get("DAGSTER_HOME") or ".dagster_home").expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    yaml = home / "dagster.yaml"
    if not yaml.exists():
        yaml.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    if not (home / "history" / "runs.db").exists():
        # Two processes creating the sqlite storages at once corrupt their schema versions:
        # the first use creates them under a lock, so concurrent first runs stay safe.
        with (home / ".init.lock").open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            import dagster as dg

            with dg.DagsterInstance.get() as instance:
                instance.get_runs_count()
    return home


if __name__ == "__main__":
    sys.stdout.write(f"{ensure_dagster_home()}\n")
