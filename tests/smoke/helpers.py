"""Running the product's commands in subprocesses, as a user would."""

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT

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
