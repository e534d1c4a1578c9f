"""The ``hear-assets`` command: run the grid, list and register tasks and models, report."""

import argparse
import os
import sys
import traceback

from hear_assets.cli.registry import (
    cmd_models_add,
    cmd_models_list,
    cmd_remove,
    cmd_tasks_add,
    cmd_tasks_list,
)
from hear_assets.cli.report import (
    cmd_export,
    cmd_history,
    cmd_leaderboard,
    cmd_results_export,
    cmd_results_import,
    cmd_site,
    cmd_validate,
)
from hear_assets.cli.run import cmd_run
from hear_models.api import HearError


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
        help="runs at once, in worker processes (default: 2 where there are 2 cores or more "
        "and 10 runs or more to do, each worker with half of the cores, else 1, in this "
        "process; with --dask-scheduler, the cluster's worker threads)",
    )
    run.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="run pair steps on this dask cluster, e.g. tcp://10.0.0.5:8786 (docs/deploy.md)",
    )
    run.add_argument(
        "--shots",
        metavar="K,...",
        help="few-shot curves on scene tasks, e.g. 1,4,8,16,all (sets HEAR_FEW_SHOT)",
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
    lb.add_argument(
        "--probe",
        metavar="FAMILY",
        help="one probe family's test scores instead of the chosen probe's (e.g. knn)",
    )
    lb.add_argument(
        "--with-published",
        action="store_true",
        help="add the HEAR 2021 published scores of these tasks (not re-run here)",
    )
    lb.set_defaults(func=cmd_leaderboard)

    hi = sub.add_parser("history", help="every recorded score over time")
    hi.add_argument("--task", help="only this task")
    hi.add_argument("--model", help="only this model")
    hi.add_argument("--format", choices=["table", "csv"], default="table")
    hi.set_defaults(func=cmd_history)

    si = sub.add_parser("site", help="write a static site of the results (no server needed)")
    si.add_argument("out", help="folder for index.html, tasks/, models/, img/")
    si.set_defaults(func=cmd_site)

    res = sub.add_parser("results", help="export or import portable results")
    rsub = res.add_subparsers(dest="results_command", required=True)
    rex = rsub.add_parser("export", help="one json per scored model × task, with card and digest")
    rex.add_argument("out", help="folder to write OUT/<model>/<task>.json into")
    rex.set_defaults(func=cmd_results_export)
    rim = rsub.add_parser("import", help="merge exported results into the leaderboard")
    rim.add_argument("dirs", nargs="+", metavar="DIR", help="folders written by results export")
    rim.set_defaults(func=cmd_results_import)

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
    ma.add_argument("--module", help="importable HEAR API module")
    ma.add_argument("--hf", metavar="ID_OR_PATH", help="a Hugging Face audio encoder (offline)")
    ma.add_argument("--revision", help="with --hf: the revision in the Hugging Face cache")
    ma.add_argument(
        "--layers", help="with --hf: all (default), last, or comma-separated hidden states"
    )
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
