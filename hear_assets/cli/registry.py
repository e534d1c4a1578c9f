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
from hear_models.registry import ModelSpec

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
    """List every model with its family, framework, module and card."""
    from hear_assets.lib.grid.cards import card_of

    layout = current_layout()
    rows = []
    for m in catalog.all_models(layout).values():
        card = card_of(layout, m, load=m.layer is None)
        if m.layer is not None and len(card) == 1:  # not run yet: the base's card
            card = {**card_of(layout, m.base_spec(), load=False), "layer": m.layer}
        if args.json:
            rows.append(
                {
                    "name": m.name,
                    "family": m.family,
                    "framework": card.get("framework", m.framework),
                    "module": m.module,
                    "card": card,
                }
            )
            continue
        eff = card["efficiency"]
        rows.append(
            {
                "name": m.name,
                "family": m.family,
                "framework": card.get("framework", m.framework),
                "params": _count(card.get("params")),
                "dims": f"{card.get('scene_embedding_size')}/"
                f"{card.get('timestamp_embedding_size')}",
                "hop_ms": card.get("hop_ms"),
                "rate": card.get("sample_rate"),
                "rtf": eff["rtf"] if eff["rtf"] is not None else "-",
                "clips/s": eff["clips_per_second"] or "-",
                "peak_mb": eff["peak_memory_mb"] or "-",
                "licence": card.get("licence"),
                "source": card.get("source"),
            }
        )
    print_rows(rows, args.json)
    return 0


def _count(n: int | None) -> str:
    if not n:
        return "-"
    return f"{n / 1e6:.2f}M" if n >= 1e5 else f"{n / 1e3:.1f}k"


def _layers(arg: str | None, n_hidden: int, model_id: str) -> tuple[int, ...]:
    """``--layers all|last|i,j,...`` as hidden-state indices, checked against the model."""
    if not arg or arg == "all":
        return tuple(range(n_hidden))
    if arg == "last":
        return (n_hidden - 1,)
    try:
        picked = sorted({int(x) for x in arg.split(",") if x.strip()})
    except ValueError as exc:
        raise HearError(f"--layers {arg}: give all, last or comma-separated indices") from exc
    bad = [i for i in picked if not 0 <= i < n_hidden]
    if bad or not picked:
        raise HearError(
            f"--layers {arg}: layer {bad[0] if bad else '?'} is out of range; {model_id} has "
            f"hidden states 0..{n_hidden - 1}"
        )
    return tuple(picked)


def hf_spec(args: argparse.Namespace) -> ModelSpec:
    """A Hugging Face encoder as a model spec: loaded once offline to read its layers."""
    from hear_models.torch_models import huggingface

    folder = huggingface.resolve(args.hf, args.revision or "")
    encoder = huggingface.HFEncoder(folder, args.hf, args.revision or "", None)
    if encoder.n_hidden == 1:
        layers: tuple[int, ...] = (encoder.first_layer,)
    else:
        layers = _layers(args.layers, encoder.n_hidden, args.hf)
    local = Path(args.hf).expanduser().is_dir()
    revision = "local" if local else (args.revision or "main")
    options = {"model_id": args.hf, "revision": args.revision or "", "output_layer": layers[-1]}
    return ModelSpec(
        args.name,
        "hear_models.huggingface",
        "huggingface",
        "torch",
        encoder.sample_rate,
        weights=str(folder),
        options=options,
        layers=layers if len(layers) > 1 else (),
        licence=str(getattr(encoder.config, "license", "") or ""),
        source=f"hf:{args.hf}@{revision}",
    )


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
    from hear_models.registry import OPTIONAL_MODELS
    from hear_models.validate import validate

    layout = current_layout()
    if not MODEL_NAME_RE.match(args.name):
        raise HearError(f"model name '{args.name}' must match {MODEL_NAME_RE.pattern}")
    if args.hf:
        if args.module:
            raise HearError("give either --module or --hf, not both")
        return _register(layout, hf_spec(args), args.device)
    if not args.module:
        if args.name in OPTIONAL_MODELS:
            return _register(layout, OPTIONAL_MODELS[args.name], args.device)
        raise HearError(
            f"give --module or --hf (built-in models to add by name: "
            f"{', '.join(sorted(OPTIONAL_MODELS))})"
        )
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
    return _register(layout, spec, None)


def _register(layout: Layout, spec, device: str | None) -> int:
    """Register ``spec`` (validated first when ``device`` is given)."""
    from hear_models.validate import validate

    if device is not None:
        report = validate(spec, device)
        sys.stderr.write(report.text() + "\n")
        if not report.ok:
            raise HearError(f"{spec.name} failed validation; not registered")
    if not catalog.register_model(layout, spec):
        print(f"model {spec.name} is already registered (identical)")
        return 0
    layers = f", layers {','.join(map(str, spec.layers))}" if spec.layers else ""
    print(f"registered model {spec.name} ({spec.framework}, {spec.sample_rate} Hz{layers})")
    return 0
