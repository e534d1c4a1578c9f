"""Every task and model of one HEAR_HOME: the built-ins plus ``registry/{tasks,models}.json``."""

import json
import shutil
from pathlib import Path

from hear_assets.lib.store.errors import HearError, TaskDataError
from hear_assets.lib.store.files import read_json, write_json
from hear_assets.lib.store.layout import Layout
from hear_assets.lib.tasks import TaskSpec, importer, unknown_task
from hear_assets.lib.tasks.synthetic import BUILTIN_TASKS
from hear_models.registry import MODELS, ModelSpec, unknown_model


def _read_registry(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    try:
        data = read_json(path)
    except json.JSONDecodeError as exc:
        raise TaskDataError(f"{path}: not valid json ({exc}); fix or remove it") from exc
    return {entry["name"]: entry for entry in data}


def registered_tasks(layout: Layout) -> dict[str, TaskSpec]:
    """Tasks added with ``tasks add`` (retired ones included)."""
    return {
        n: TaskSpec.from_json(d) for n, d in _read_registry(layout.registry_file("tasks")).items()
    }


def registered_models(layout: Layout) -> dict[str, ModelSpec]:
    """Models added with ``models add`` (retired ones included)."""
    return {n: ModelSpec(**d) for n, d in _read_registry(layout.registry_file("models")).items()}


def all_tasks(layout: Layout, include_retired: bool = False) -> dict[str, TaskSpec]:
    """Built-in and registered tasks by name."""
    tasks = dict(BUILTIN_TASKS)
    tasks.update(registered_tasks(layout))
    retired = set(_read_retired(layout, "tasks"))
    return {n: t for n, t in sorted(tasks.items()) if include_retired or n not in retired}


def all_models(layout: Layout, include_retired: bool = False) -> dict[str, ModelSpec]:
    """Built-in and registered models by name; a layered model ``M`` brings ``M@L`` for each
    of its selected layers (retiring ``M`` retires them too)."""
    models = dict(MODELS)
    models.update(registered_models(layout))
    for spec in list(models.values()):
        if spec.layered:
            models.update({f"{spec.name}@{i}": spec.layer_spec(i) for i in spec.layers})
    retired = set(_read_retired(layout, "models"))
    return {
        n: m
        for n, m in sorted(models.items(), key=lambda kv: _model_order(kv[0]))
        if include_retired or (n not in retired and (m.base or n) not in retired and not m.retired)
    }


def _model_order(name: str) -> tuple[str, int]:
    """``M`` before ``M@0``, ``M@2`` before ``M@10``."""
    base, _, layer = name.partition("@")
    return base, int(layer) if layer else -1


def _read_retired(layout: Layout, axis: str) -> list[str]:
    path = layout.retired_file(axis)
    return read_json(path) if path.exists() else []


def get_task(layout: Layout, name: str) -> TaskSpec:
    """The spec of task ``name``, or UnknownTaskError with a suggestion."""
    tasks = all_tasks(layout, include_retired=True)
    if name not in tasks:
        raise unknown_task(name, list(tasks))
    return tasks[name]


def get_model(layout: Layout, name: str) -> ModelSpec:
    """The spec of model ``name``, or UnknownModelError with a suggestion."""
    models = all_models(layout, include_retired=True)
    if name not in models:
        raise unknown_model(name, list(models))
    return models[name]


def save_registry(layout: Layout, axis: str, entries: list[dict]) -> None:
    """Rewrite ``registry/<axis>.json`` atomically."""
    write_json(layout.registry_file(axis), sorted(entries, key=lambda e: e["name"]))


def _register(layout: Layout, axis: str, entry: dict) -> None:
    """Add one entry to ``registry/<axis>.json``."""
    current = registered_tasks(layout) if axis == "tasks" else registered_models(layout)
    save_registry(layout, axis, [*(v.to_json() for v in current.values()), entry])


def import_task(path: Path, layout: Layout, name: str | None = None) -> tuple[TaskSpec, bool]:
    """Import a HEAR 2021 task folder or .tar.gz (``tasks.importer``) and register it; return
    its spec and whether anything changed (identical content again is a no-op)."""
    spec, changed = importer.import_task(
        path, layout, name, all_tasks(layout, include_retired=True)
    )
    if changed:
        _register(layout, "tasks", spec.to_json())
    unretire(layout, "tasks", spec.name)
    return spec, changed


def retire(layout: Layout, axis: str, name: str, purge: bool = False) -> None:
    """Retire task or model ``name`` (``axis``: ``tasks`` or ``models``): it leaves the grid,
    its files stay; ``purge`` also deletes its files and its registry entry."""
    get_task(layout, name) if axis == "tasks" else get_model(layout, name)
    write_json(layout.retired_file(axis), sorted({*_read_retired(layout, axis), name}))
    if not purge:
        return
    found = layout.task_artifacts(name) if axis == "tasks" else layout.model_artifacts(name)
    for path in found:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    registered = registered_tasks(layout) if axis == "tasks" else registered_models(layout)
    if name in registered:
        save_registry(layout, axis, [v.to_json() for k, v in registered.items() if k != name])


def unretire(layout: Layout, axis: str, name: str) -> None:
    """Put a retired task or model back on the grid (added again)."""
    retired = _read_retired(layout, axis)
    if name in retired:
        write_json(layout.retired_file(axis), [n for n in retired if n != name])


def enable_recipe(layout: Layout, spec: TaskSpec) -> None:
    """Register a recipe task (``tasks add --recipe``); its settings must match a known one."""
    known = all_tasks(layout, include_retired=True)
    if spec.name in known and known[spec.name].to_json() != spec.to_json():
        raise TaskDataError(f"task name '{spec.name}' is taken by a task with other settings")
    if spec.name not in registered_tasks(layout):
        _register(layout, "tasks", spec.to_json())
    unretire(layout, "tasks", spec.name)


def register_model(layout: Layout, spec: ModelSpec) -> bool:
    """Register an outside model; False when the same spec is already registered. A taken
    name with another spec is an error."""
    known = all_models(layout, include_retired=True)
    if spec.name in known:
        if known[spec.name].to_json() == spec.to_json():
            unretire(layout, "models", spec.name)
            return False
        raise HearError(f"model name '{spec.name}' is taken by another model; choose another")
    _register(layout, "models", spec.to_json())
    unretire(layout, "models", spec.name)
    return True
