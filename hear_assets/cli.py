"""The ``hear-assets`` command: run the grid, list and register tasks and models, report."""

import argparse
import json
import os
import re
import shutil
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from hear_assets.instance import ensure_dagster_home
from hear_assets.lib.grid import catalog
from hear_assets.lib.grid.stages import TASK_STAGES, stage_state
from hear_assets.lib.report import leaderboard
from hear_assets.lib.store.files import write_json
from hear_assets.lib.store.layout import Layout, resolve_home
from hear_models.api import HearError

MODEL_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


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
    parallel = args.parallel or 1
    if args.dask_scheduler:
        from hear_assets.runner import dask_threads

        threads = dask_threads(args.dask_scheduler)  # fails before any work without a scheduler
        parallel = args.parallel or threads
    bar = Progress(planned_steps(layout, tasks, models, args.force) + 1)
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
    print(_leaderboard_text(layout))
    for label, why in result.left_out.items():
        sys.stderr.write(f"hear-assets: left out: {label}: {why} (not applicable, not failed)\n")
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
    """Print the leaderboard, or a paired bootstrap comparison of two models."""
    layout = _layout()
    if not args.compare:
        print(_leaderboard_text(layout, args.format))
        return 0
    from hear_assets.lib.evaluation.significance import compare

    names = [n.strip() for n in args.compare.split(",")]
    if len(names) != 2:
        raise HearError("--compare takes two model names: A,B")
    a, b = (catalog.get_model(layout, n).name for n in names)
    rows = []
    for task in catalog.all_tasks(layout):
        if not (layout.scores_file(a, task).exists() and layout.scores_file(b, task).exists()):
            continue
        c = compare(layout, task, a, b)
        rows.append(
            {
                "task": task,
                "metric": c.metric,
                a: round(c.a, 4),
                b: round(c.b, 4),
                "diff_ci95": f"[{c.diff_ci95[0]:+.4f}, {c.diff_ci95[1]:+.4f}]",
                "p": round(c.p_value, 4),
                "better": {"a": a, "b": b}.get(c.better, "-"),
            }
        )
    _print_rows(rows, args.format == "json")
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


def cmd_tasks_add(args: argparse.Namespace) -> int:
    """Import a HEAR 2021 task folder or tarball, or enable a download recipe."""
    layout = _layout()
    if args.recipe:
        if args.path:
            raise HearError("give either PATH or --recipe, not both")
        from hear_assets.lib.tasks import recipes

        spec = recipes.recipe_spec(args.recipe, args.mode)
        known = catalog.all_tasks(layout, include_retired=True)
        if spec.name in known and known[spec.name].to_json() != spec.to_json():
            raise HearError(f"task name '{spec.name}' is taken by a task with other settings")
        if spec.name not in catalog.registered_tasks(layout):
            entries = [t.to_json() for t in catalog.registered_tasks(layout).values()]
            catalog.save_registry(layout, "tasks", [*entries, spec.to_json()])
        _unretire(layout, "tasks", spec.name)
        print(
            f"enabled recipe task {spec.name}; `hear-assets run --tasks {spec.name}` downloads it"
        )
        return 0
    if not args.path:
        raise HearError("give a task folder or .tar.gz, or --recipe NAME")
    from hear_assets.lib.grid.catalog import import_task

    spec, changed = import_task(args.path, layout, args.name)
    _unretire(layout, "tasks", spec.name)
    print(
        f"{'imported' if changed else 'already imported (identical)'}: {spec.name} "
        f"({spec.task_type}, {spec.prediction_type}, splits {', '.join(spec.splits)})"
    )
    return 0


def _retired_path(layout: Layout, axis: str):
    return layout.root / "registry" / f"retired-{axis}.json"


def _unretire(layout: Layout, axis: str, name: str) -> None:
    path = _retired_path(layout, axis)
    if path.exists():
        names = [n for n in json.loads(path.read_text()) if n != name]
        write_json(path, names)


def cmd_remove(args: argparse.Namespace) -> int:
    """Retire a task or model (files stay unless --purge)."""
    layout = _layout()
    axis = "tasks" if args.command == "tasks" else "models"
    if axis == "tasks":
        catalog.get_task(layout, args.name)
    else:
        catalog.get_model(layout, args.name)
    path = _retired_path(layout, axis)
    names = json.loads(path.read_text()) if path.exists() else []
    write_json(path, sorted({*names, args.name}))
    if args.purge:
        for p in _artifacts(layout, axis, args.name):
            shutil.rmtree(p) if p.is_dir() else p.unlink()
        registered = (
            catalog.registered_tasks(layout)
            if axis == "tasks"
            else (catalog.registered_models(layout))
        )
        if args.name in registered:
            entries = [v.to_json() for k, v in registered.items() if k != args.name]
            catalog.save_registry(layout, axis, entries)
    print(f"{'purged' if args.purge else 'retired'} {axis[:-1]} {args.name}")
    return 0


def _artifacts(layout: Layout, axis: str, name: str) -> list:
    root = layout.root
    if axis == "tasks":
        found = [layout.raw_dir(name), layout.task_dir(name), layout.report_dir(name)]
        found += list(root.glob(f"embeddings/*/{name}")) + list(root.glob(f"predictions/*/{name}"))
        found += list(root.glob(f"scores/*/{name}.json")) + list(
            root.glob(f"manifests/*/{name}.json")
        )
        found += list(root.glob(f"manifests/*/*/{name}.json"))
    else:
        found = [root / d / name for d in ("embeddings", "predictions", "scores")]
        found += list(root.glob(f"manifests/*/{name}"))
    return [p for p in found if p.exists()]


def cmd_models_add(args: argparse.Namespace) -> int:
    """Validate a HEAR API module and register it as a model."""
    from hear_models.registry import ModelSpec
    from hear_models.validate import validate

    layout = _layout()
    if not MODEL_NAME_RE.match(args.name):
        raise HearError(f"model name '{args.name}' must match {MODEL_NAME_RE.pattern}")
    try:
        options = json.loads(args.options) if args.options else {}
    except ValueError as exc:
        raise HearError(f"--options is not valid json: {exc}") from exc
    weights = str(Path(args.weights).resolve()) if args.weights else ""
    if weights and not Path(weights).exists():
        raise HearError(f"{weights}: no such weights file")
    spec = ModelSpec(args.name, args.module, "outside", "unknown", 0, weights, options)
    report = validate(spec, args.device or "cpu")
    sys.stderr.write(report.text() + "\n")
    if not report.ok:
        raise HearError(f"{args.module} failed validation; not registered")
    spec = ModelSpec(
        args.name, args.module, "outside", report.framework, report.sample_rate, weights, options
    )
    known = catalog.all_models(layout, include_retired=True)
    if args.name in known:
        if known[args.name].to_json() == spec.to_json():
            print(f"model {args.name} is already registered (identical)")
            return 0
        raise HearError(f"model name '{args.name}' is taken by another model; choose another")
    entries = [m.to_json() for m in catalog.registered_models(layout).values()]
    catalog.save_registry(layout, "models", [*entries, spec.to_json()])
    _unretire(layout, "models", args.name)
    print(f"registered model {args.name} ({report.framework}, {report.sample_rate} Hz)")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a module against the HEAR API as the original validator does."""
    from hear_models.registry import ModelSpec
    from hear_models.validate import validate

    weights = str(Path(args.weights).resolve()) if args.weights else ""
    report = validate(
        ModelSpec("candidate", args.module, "outside", "unknown", 0, weights), args.device or "cpu"
    )
    print(report.text())
    if not report.ok:
        sys.stderr.write(f"hear-assets: error: {args.module}: {report.errors[0]}\n")
    return 0 if report.ok else 1


def cmd_export(args: argparse.Namespace) -> int:
    """Write one pair's embeddings in the original kit's layout."""
    from hear_assets.lib.report.export import export_heareval

    layout = _layout()
    catalog.get_task(layout, args.task)
    catalog.get_model(layout, args.model)
    rows = export_heareval(
        layout.task_dir(args.task), layout.embeddings_dir(args.model, args.task), Path(args.out)
    )
    print(f"wrote {args.out}: " + ", ".join(f"{s} {n} rows" for s, n in rows.items()))
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
    run.add_argument(
        "--parallel",
        type=int,
        default=None,
        help="pair runs at once, in worker processes (default 1; with --dask-scheduler, the "
        "cluster's worker threads)",
    )
    run.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="run pair steps on this dask cluster, e.g. tcp://10.0.0.5:8786 (docs/deploy.md)",
    )
    run.add_argument("--force", action="store_true", help="redo stages that are up to date")
    run.add_argument("--device", choices=["cpu", "cuda"], default=None, help="model device")
    run.set_defaults(func=cmd_run)

    lb = sub.add_parser("leaderboard", help="print the leaderboard")
    lb.add_argument("--format", choices=["table", "csv", "json"], default="table")
    lb.add_argument(
        "--compare",
        metavar="A,B",
        help="paired bootstrap per task: is A different from B beyond test noise?",
    )
    lb.set_defaults(func=cmd_leaderboard)

    tasks = sub.add_parser("tasks", help="list, add or remove tasks")
    tsub = tasks.add_subparsers(dest="tasks_command", required=True)
    tl = tsub.add_parser("list", help="every task with type, source and state")
    tl.add_argument("--json", action="store_true")
    tl.set_defaults(func=cmd_tasks_list)
    ta = tsub.add_parser("add", help="import a HEAR 2021 task (folder or .tar.gz) or a recipe")
    ta.add_argument("path", nargs="?", help="task folder or .tar.gz")
    ta.add_argument("--name", help="task name (default: the folder's name)")
    ta.add_argument("--recipe", help="enable a download recipe instead (see docs)")
    ta.add_argument("--mode", choices=["small", "5h", "full"], help="recipe mode")
    ta.set_defaults(func=cmd_tasks_add)
    tr = tsub.add_parser("remove", help="retire a task (files stay unless --purge)")
    tr.add_argument("name")
    tr.add_argument("--purge", action="store_true", help="also delete its files")
    tr.set_defaults(func=cmd_remove)

    models = sub.add_parser("models", help="list, add or remove models")
    msub = models.add_subparsers(dest="models_command", required=True)
    ml = msub.add_parser("list", help="every model with family, framework and module")
    ml.add_argument("--json", action="store_true")
    ml.set_defaults(func=cmd_models_list)
    ma = msub.add_parser("add", help="validate and register a HEAR API module")
    ma.add_argument("name", help="model name, lower snake case")
    ma.add_argument("--module", required=True, help="importable HEAR API module")
    ma.add_argument("--weights", help="path handed to load_model")
    ma.add_argument("--options", help="json object of extra load_model keyword arguments")
    ma.add_argument("--device", default=None, help="device for validation (default cpu)")
    ma.set_defaults(func=cmd_models_add)
    mr = msub.add_parser("remove", help="retire a model (files stay unless --purge)")
    mr.add_argument("name")
    mr.add_argument("--purge", action="store_true", help="also delete its files")
    mr.set_defaults(func=cmd_remove)

    va = sub.add_parser("validate", help="check a module against the HEAR API")
    va.add_argument("module")
    va.add_argument("--weights", help="path handed to load_model")
    va.add_argument("--device", default=None)
    va.set_defaults(func=cmd_validate)

    ex = sub.add_parser("export", help="export embeddings for the original HEAR kit")
    esub = ex.add_subparsers(dest="export_command", required=True)
    eh = esub.add_parser("heareval", help="the layout heareval.predictions.runner reads")
    eh.add_argument("--model", required=True)
    eh.add_argument("--task", required=True)
    eh.add_argument("--out", required=True, help="folder to write (it will hold the task)")
    eh.set_defaults(func=cmd_export)
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
    except Exception as exc:  # anything else still gets one line (the traceback with --debug)
        if args.debug or os.environ.get("HEAR_DEBUG"):
            traceback.print_exc()
        sys.stderr.write(f"hear-assets: error: {type(exc).__name__}: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
