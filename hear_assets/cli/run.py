"""``hear-assets run``: materialize what is missing or stale, with a progress bar."""

import argparse
import os
import sys
import time

from hear_assets.cli.common import layout as current_layout
from hear_assets.cli.common import names
from hear_assets.cli.report import leaderboard_text
from hear_assets.instance import ensure_dagster_home
from hear_assets.lib.grid import catalog


class Progress:
    """A one-line-per-step progress bar on stderr."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.start = total, 0, time.perf_counter()

    def step(self, label: str, seconds: float, error: str | None = None) -> None:
        """Report one finished step."""
        self.done += 1
        self.total = max(self.total, self.done)
        width = 24
        filled = int(width * self.done / max(self.total, 1))
        bar = "#" * filled + "." * (width - filled)
        status = "FAILED" if error else f"{seconds:.1f} s"
        sys.stderr.write(f"[{bar}] {self.done}/{self.total} {label} ({status})\n")
        sys.stderr.flush()


# A spawned worker first imports Dagster, torch and JAX (several seconds of CPU), as long as a
# few small runs: below this many steps, one process (which has them imported) is faster.
POOL_FROM_STEPS = 10


def default_workers(steps: int) -> int:
    """Worker processes when ``--parallel`` is not given: two where there are two cores or
    more (each gets half of them: bench/results.md, "Workers") and ``steps`` runs to do, else
    one (in this process)."""
    return min(2, os.cpu_count() or 1) if steps >= POOL_FROM_STEPS else 1


def cmd_run(args: argparse.Namespace) -> int:
    """Materialize every missing or stale stage of the selected pairs, then scores."""
    import dagster as dg

    from hear_assets.runner import planned_steps, run_grid

    layout = current_layout()
    ensure_dagster_home()
    if args.shots:
        from hear_assets.lib.evaluation.fewshot import parse_shots

        parse_shots(args.shots)  # one line on a bad list, before any work
        os.environ["HEAR_FEW_SHOT"] = args.shots  # the pair runs (and their staleness) read it
    tasks = names(args.tasks, catalog.all_tasks(layout), lambda n: catalog.get_task(layout, n))
    models = names(args.models, catalog.all_models(layout), lambda n: catalog.get_model(layout, n))
    planned = planned_steps(layout, tasks, models, args.force)
    parallel = args.parallel or default_workers(planned)
    if args.dask_scheduler:
        from hear_assets.runner import dask_threads

        threads = dask_threads(args.dask_scheduler)  # fails before any work without a scheduler
        parallel = args.parallel or threads
    bar = Progress(planned + 1)
    with dg.DagsterInstance.get() as instance:
        result = run_grid(
            instance,
            layout,
            tasks,
            models,
            args.force,
            parallel,
            args.device or "",
            on_step=bar.step,
            dask_scheduler=args.dask_scheduler or "",
        )
    if result.steps == 0:
        sys.stderr.write("nothing to do: every stage is up to date\n")
    print(leaderboard_text(layout))
    if result.steps:
        from hear_assets.lib.report import history

        for moved in history.latest_changes(history.read(layout)).flagged:
            sys.stderr.write(f"hear-assets: warning: score moved: {moved.line()}\n")
    for label, why in result.left_out.items():
        sys.stderr.write(f"hear-assets: left out: {label}: {why} (not applicable, not failed)\n")
    for label, err in result.failures.items():
        sys.stderr.write(f"hear-assets: error: {label}: {err}\n")
    return 1 if result.failures else 0
