"""``hear-assets tasks ...`` and ``models ...``: list, add and remove (the logic lives in
``lib.grid.catalog``)."""

import argparse
import json
import re
import sys
from pathlib import Path

from hear_assets.cli.common import layout as current_layout
from hear_assets.cli.common import print_rows
from hear_assets.lib.grid import catalog
from hear_assets.lib.grid.stages import TASK_STAGES, stage_state
from hear_assets.lib.store.layout import Layout
from hear_models.api import HearError

MODEL_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


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
    layout = current_layout()
    rows = [
        {
            "name": t.name,
            "task_type": t.task_type,
            "source": t.source,
            "state": task_state(layout, t),
        }
        for t in catalog.all_tasks(layout).values()
    ]
    print_rows(rows, args.json)
    return 0


def cmd_models_list(args: argparse.Namespace) -> int:
    """List every model with its family, framework and module."""
    rows = [
        {"name": m.name, "family": m.family, "framework": m.framework, "module": m.module}
        for m in catalog.all_models(current_layout()).values()
    ]
    print_rows(rows, args.json)
    return 0


def cmd_tasks_add(args: argparse.Namespace) -> int:
    """Import a HEAR 2021 task folder or tarball, or enable a download recipe."""
    layout = current_layout()
    if args.recipe:
        if args.path:
            raise HearError("give either PATH or --recipe, not both")
        from hear_assets.lib.tasks import recipes

        spec = recipes.recipe_spec(args.recipe, args.mode)
        catalog.enable_recipe(layout, spec)
        print(
            f"enabled recipe task {spec.name}; `hear-assets run --tasks {spec.name}` downloads it"
        )
        return 0
    if not args.path:
        raise HearError("give a task folder or .tar.gz, or --recipe NAME")
    spec, changed = catalog.import_task(args.path, layout, args.name)
    print(
        f"{'imported' if changed else 'already imported (identical)'}: {spec.name} "
        f"({spec.task_type}, {spec.prediction_type}, splits {', '.join(spec.splits)})"
    )
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    """Retire a task or model (files stay unless --purge)."""
    axis = "tasks" if args.command == "tasks" else "models"
    catalog.retire(current_layout(), axis, args.name, purge=args.purge)
    print(f"{'purged' if args.purge else 'retired'} {axis[:-1]} {args.name}")
    return 0


def cmd_models_add(args: argparse.Namespace) -> int:
    """Validate a HEAR API module and register it as a model."""
    from hear_models.registry import ModelSpec
    from hear_models.validate import validate

    layout = current_layout()
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
    if not catalog.register_model(layout, spec):
        print(f"model {args.name} is already registered (identical)")
        return 0
    print(f"registered model {args.name} ({report.framework}, {report.sample_rate} Hz)")
    return 0
