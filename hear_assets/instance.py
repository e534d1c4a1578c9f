"""The persistent Dagster instance: DAGSTER_HOME (default ./.dagster_home), its dagster.yaml and
the limits of the pools that the heavy steps declare (``download``, ``gpu``, ``probe``)."""

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

DAGSTER_YAML = """\
# Written by hear-dagster when missing; edit freely (PostgreSQL: docs/dagster.postgres.yaml).
telemetry:
  enabled: false
nux:
  enabled: false
# Pools: task_raw runs in `download`, embeddings in `gpu`, predictions in `probe`. With
# `granularity: run` the daemon keeps a queued run (UI backfill, grid_sensor, scores_nightly)
# waiting while a pool it needs is full; steps inside a started run never wait for a slot, so
# `hear-assets run` and tests cannot block. Per-pool limits live in the instance's database:
# hear-dagster sets them once, when it creates the instance (`make pools` sets them again);
# change one with `dagster instance concurrency set gpu 2`. Pools without a limit get
# `default_limit`.
concurrency:
  pools:
    granularity: run
    default_limit: 1
"""
POOLS_MARKER = ".hear-pools-set"


def default_pool_limits() -> dict[str, int]:
    """``download``: 2 transfers; ``gpu``: one run per GPU (the CPU counts as one device);
    ``probe``: a quarter of the cores (a probe's BLAS uses several threads)."""
    return {"download": 2, "gpu": max(1, gpu_count()), "probe": max(1, (os.cpu_count() or 1) // 4)}


def gpu_count() -> int:
    """NVIDIA GPUs that ``nvidia-smi -L`` lists (0 without the tool), without importing torch."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return 0
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return 0
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    found = sum(line.startswith("GPU ") for line in out.stdout.splitlines())
    if visible is not None:
        found = min(found, len([d for d in visible.split(",") if d.strip()]))
    return found


def set_pool_limits(instance, limits: dict[str, int] | None = None) -> dict[str, int]:
    """Store per-pool limits in ``instance`` (what ``dagster instance concurrency set`` does).

    Refused on an instance whose dagster.yaml lacks ``granularity: run``: with Dagster's default
    (op) granularity every step claims a slot, and a slot held by a run killed with ``kill -9``
    would block later runs of that pool until freed by hand.
    """
    from dagster._core.instance.config import PoolGranularity

    if instance.event_log_storage.get_pool_config().pool_granularity != PoolGranularity.RUN:
        raise RuntimeError(
            "the instance's dagster.yaml has no `concurrency: pools: granularity: run`; add the "
            "concurrency section of hear_assets/instance.py DAGSTER_YAML, then run `make pools`"
        )
    limits = limits or default_pool_limits()
    for pool, limit in limits.items():
        instance.event_log_storage.set_concurrency_slots(pool, limit)
    return limits


def ensure_dagster_home() -> Path:
    """Make ``$DAGSTER_HOME`` (default ``./.dagster_home``) absolute, create it and its yaml;
    on a new instance written from our yaml, set the pool limits once."""
    home = Path(os.environ.get("DAGSTER_HOME") or ".dagster_home").expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    yaml = home / "dagster.yaml"
    if not yaml.exists():
        yaml.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    if not (home / "history" / "runs.db").exists() or not (home / POOLS_MARKER).exists():
        # Two processes creating the sqlite storages at once corrupt their schema versions:
        # the first use creates them under a lock, so concurrent first runs stay safe.
        with (home / ".init.lock").open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            import dagster as dg

            with dg.DagsterInstance.get() as instance:
                instance.get_runs_count()
                if not (home / POOLS_MARKER).exists():
                    _first_pool_limits(instance, home)
    return home


def _first_pool_limits(instance, home: Path) -> None:
    """Set the default limits once (an instance with the older yaml is left as it is)."""
    from dagster._core.instance.config import PoolGranularity

    config = instance.event_log_storage.get_pool_config()
    if config.pool_granularity == PoolGranularity.RUN:
        configured = {p.name for p in instance.event_log_storage.get_pool_limits()}
        todo = {k: v for k, v in default_pool_limits().items() if k not in configured}
        if todo:
            set_pool_limits(instance, todo)
    (home / POOLS_MARKER).write_text("pool limits set by hear-dagster; delete to set again\n")


def main(argv: list[str]) -> int:
    """``python -m hear_assets.instance [--pools]``: print DAGSTER_HOME (and set the pools)."""
    home = ensure_dagster_home()
    sys.stdout.write(f"{home}\n")
    if "--pools" in argv:
        import dagster as dg

        with dg.DagsterInstance.get() as instance:
            try:
                limits = set_pool_limits(instance)
            except RuntimeError as exc:
                sys.stderr.write(f"hear-assets: error: {exc}\n")
                return 1
        sys.stdout.write("".join(f"pool {k}: {v}\n" for k, v in limits.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
