"""The ``hear-assets`` command: run the grid, list and register tasks and models, report."""

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable

from hear_assets.instance import ensure_dagster_home
from hear_assets.lib import catalog, leaderboard
from hear_assets.lib.layout import Layout, resolve_home
from hear_assets.lib.stages import TASK_STAGES, stage_state
from hear_models.api import HearError


def _layout() -> Layout:
    return Layout(resolve_home())


def _names(arg: str | None, known: dict, lookup: Callable) -> list:
    """The specs named in a comma-separated option, or every known one."""
    if not arg:
        return list(known.values())
    return [lookup(name.strip()) for name in arg.split(",") if name.strip()]


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


def cmd_run(args: argparse.Namespace) -> int:
    """Materialize every missing or stale stage of the selected pairs, then scores."""
    import dagster as dg

    from hear_assets.runner import planned_steps, run_grid

    layout = _layout()
    ensure_dagster_home()
    tasks = _names(args.tasks, catalog.all_tasks(layout), lambda n: catalog.get_task(layout, n))
    models = _names(args.models, catalog.all_models(layout), lambda n: catalog.get_model(layout, n))
    bar = Progress(planned_steps(layout, tasks, models, args.force) + 1)
    with dg.DagsterInstance.get() as instance:
        result = run_grid(
            instance,
            layout,
            tasks,
            models,
            args.force,
            args.parallel,
            args.device or "",
            on_step=bar.step,
        )
    if result.steps == 0:
        sys.stderr.write("nothing to do: every stage is up to date\n")
    print(_leaderboard_text(layout))
    for label, err in result.failures.items():
        sys.stderr.write(f"hear-assets: error: {label}: {err}\n")
    return 1 if result.failures else 0


def _leaderboard_text(layout: Layout, fmt: str = "table") -> str:
    long = (
        leaderboard.collect_scores(layout.scores_dir())
        if layout.scores_dir().exists()
        else (leaderboard.collect_scores(layout.root / "nonexistent"))
    )
    wide = leaderboard.wide_table(long)
    if fmt == "csv":
        return wide.to_csv(index=False, float_format="%.6g").rstrip("\n")
    if fmt == "json":
        return json.dumps(long.to_dict(orient="records"), indent=1)
    return leaderboard.format_table(wide)


def cmd_leaderboard(args: argparse.Namespace) -> int:
    """Print the leaderboard."""
    print(_leaderboard_text(_layout(), args.format))
    return 0


def task_state(layout: Layout, task) -> str:
    """``missing``, ``partial``, ``done`` or ``stale`` over the three task stages."""
    states = [stage_state(layout, s, task) for s in TASK_STAGES]
    if all(s == "done" for s in states):
        return "done"
    if "stale" in states:
        return "stale"
    return "missing" if all(s == "missing" for s in states) else "partial"


def cmd_tasks_list(args: argparse.Namespace) -> int:
    """List every task with its type, source and state."""
    layout = _layout()
    rows = [
        {
            "name": t.name,
            "task_type": t.task_type,
            "source": t.source,
            "state": task_state(layout, t),
        }
        for t in catalog.all_tasks(layout).values()
    ]
    _print_rows(rows, args.json)
    return 0


def cmd_models_list(args: argparse.Namespace) -> int:
    """List every model with its family, framework and module."""
    rows = [
        {"name": m.name, "family": m.family, "framework": m.framework, "module": m.module}
        for m in catalog.all_models(_layout()).values()
    ]
    _print_rows(rows, args.json)
    return 0


def _print_rows(rows: list[dict], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, indent=1))
        return
    if not rows:
        print("(none)")
        return
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("  ".join(c.ljust(widths[c]) for c in cols))
    for r in rows:
        print("  ".join(str(r[c]).ljust(widths[c]) for c in cols))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    p = argparse.ArgumentParser(prog="hear-assets", description=__doc__)
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="materialize every missing or stale stage, then scores")
    run.add_argument("--tasks", help="comma-separated task names (default: all)")
    run.add_argument("--models", help="comma-separated model names (default: all)")
    run.add_argument("--parallel", type=int, default=1, help="pair runs in parallel processes")
    run.add_argument("--force", action="store_true", help="redo stages that are up to date")
    run.add_argument("--device", choices=["cpu", "cuda"], default=None, help="model device")
    run.set_defaults(func=cmd_run)

    lb = sub.add_parser("leaderboard", help="print the leaderboard")
    lb.add_argument("--format", choices=["table", "csv", "json"], default="table")
    lb.set_defaults(func=cmd_leaderboard)

    tasks = sub.add_parser("tasks", help="list, add or remove tasks")
    tsub = tasks.add_subparsers(dest="tasks_command", required=True)
    tl = tsub.add_parser("list", help="every task with type, source and state")
    tl.add_argument("--json", action="store_true")
    tl.set_defaults(func=cmd_tasks_list)

    models = sub.add_parser("models", help="list, add or remove models")
    msub = models.add_subparsers(dest="models_command", required=True)
    ml = msub.add_parser("list", help="every model with family, framework and module")
    ml.add_argument("--json", action="store_true")
    ml.set_defaults(func=cmd_models_list)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point: one clear error line on failure (a traceback only with --debug)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (HearError, OSError, ValueError) as exc:
        if args.debug or os.environ.get("HEAR_DEBUG"):
            traceback.print_exc()
        sys.stderr.write(f"hear-assets: error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("hear-assets: interrupted\n")
        return 130


if __name__ == "__main__":
    sys.exit(main())
