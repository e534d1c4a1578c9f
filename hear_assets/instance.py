"""The persistent Dagster instance: DAGSTER_HOME (default ./.dagster_home) and its dagster.yaml."""

import os
import sys
from pathlib import Path

DAGSTER_YAML = """\
# Written by hear-dagster when missing; edit freely (see docs/ for a PostgreSQL variant).
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
    return home


if __name__ == "__main__":
    sys.stdout.write(f"{ensure_dagster_home()}\n")
