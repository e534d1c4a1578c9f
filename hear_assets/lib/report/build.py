"""The ``scores`` stage: score every materialized pair, write its json and the leaderboard."""

import datetime as dt
import importlib.metadata
import logging
import multiprocessing
import os
import subprocess
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hear_assets.lib.evaluation import scoring
from hear_assets.lib.report import history as score_history
from hear_assets.lib.report import leaderboard, results
from hear_assets.lib.store.files import read_json, write_json
from hear_assets.lib.store.layout import Layout, pair_label
from hear_assets.lib.store.manifest import digest_json, files_intact, list_files, read_manifest
from hear_assets.lib.tasks import TaskSpec
from hear_models.registry import ModelSpec

log = logging.getLogger(__name__)
VERSION = "2"
PROJECT_DIR = Path(__file__).resolve().parents[2]


@dataclass
class ReportResult:
    """What the scores stage found and wrote."""

    long: pd.DataFrame
    wide: pd.DataFrame
    scored: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)  # every recorded row
    # what changed since the previous materialization
    changes: score_history.Changes = field(default_factory=score_history.Changes)


def git_sha() -> str:
    """The project checkout's commit, or "" outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        return out.stdout.strip() if out.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError):
        return ""


def package_version() -> str:
    """The installed hear-dagster version."""
    try:
        return importlib.metadata.version("hear-dagster")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def pair_scores(
    layout: Layout, task: TaskSpec, model: ModelSpec, sha: str, n_boot: int = scoring.BOOTSTRAP_N
) -> dict[str, Any]:
    """The full scores json of one pair (contract schema)."""
    task_dir = layout.task_dir(task.name)
    pred_dir = layout.predictions_dir(model.name, task.name)
    meta = read_json(task_dir / "task_metadata.json")
    core = scoring.score_pair(task_dir, pred_dir, meta, n_boot=n_boot)
    probe = read_json(pred_dir / "probe.json")
    emb = read_manifest(layout.root, "embeddings", task.name, model.name)
    splits = read_manifest(layout.root, "task_splits", task.name)
    audio = read_manifest(layout.root, "task_audio", task.name)
    emb_info = emb.info if emb else {}
    return {
        "task": task.name,
        "model": model.name,
        "task_type": core["task_type"],
        "primary_metric": core["primary_metric"],
        "primary": core["primary"],
        "ci95": core["ci95"],
        "metrics": core["metrics"],
        "folds": core["folds"],
        "folds_std": core["folds_std"],
        "seeds": core["seeds"],
        "seed_std": core["seed_std"],
        **({"seed_folds": core["seed_folds"]} if core["seed_folds"] else {}),
        **({"few_shot": probe["few_shot"]} if "few_shot" in probe else {}),
        "probe": {k: probe.get(k) for k in ("kind", "hparams", "valid_score", "candidates")},
        "postprocessing": probe.get(
            "postprocessing", {"median_filter_ms": None, "min_duration_ms": None}
        ),
        "bootstrap": core["bootstrap"],
        "card": {**emb_info.get("card", {}), "efficiency": emb_info.get("efficiency", {})},
        **({"layer": model.layer, "layer_of": model.base} if model.layer is not None else {}),
        **({"layer_weights": probe.get("layer_weights")} if model.layered else {}),
        "provenance": {
            "package_version": package_version(),
            "git_sha": sha,
            "model_weights_sha256": emb_info.get("weights_sha256", ""),
            "task_sha256": digest_json(
                [audio.digest if audio else "", splits.digest if splits else ""]
            ),
            "seed": scoring.BOOTSTRAP_SEED,
            "device": emb_info.get("device", ""),
            "n_test": core["n_test"],
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    }


# Pairs per scoring worker: with fewer, starting a worker (1.5 s) costs more than it saves, so
# pairs are scored in this process below 2 × POOL_MIN_PAIRS.
POOL_MIN_PAIRS = 8


def _score_one(
    root: str, task: TaskSpec, model: ModelSpec, sha: str, n_boot: int
) -> tuple[dict[str, Any] | None, str]:
    """``pair_scores`` as ``(json, "")``, or ``(None, error)`` when it fails."""
    try:
        return pair_scores(Layout(Path(root)), task, model, sha, n_boot), ""
    except Exception as exc:
        return None, str(exc)


def score_pairs(
    layout: Layout, pairs: list[tuple[TaskSpec, ModelSpec]], sha: str, n_boot: int
) -> list[tuple[dict[str, Any] | None, str]]:
    """``_score_one`` of every pair, in order; on every core when there are enough pairs (the
    bootstrap is most of the scores stage, and each pair's is independent)."""
    args = [(str(layout.root), task, model, sha, n_boot) for task, model in pairs]
    workers = min(os.cpu_count() or 1, len(pairs) // POOL_MIN_PAIRS)
    if workers < 2 or multiprocessing.current_process().daemon:  # a daemon has no children
        return [_score_one(*a) for a in args]
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=spawn) as pool:
        return list(pool.map(_score_one, *zip(*args, strict=True)))


def report_inputs(
    layout: Layout, tasks: dict[str, TaskSpec], models: dict[str, ModelSpec]
) -> dict[str, str]:
    """The digest of every pair's predictions (what the report is computed from)."""
    out = {}
    for tname in tasks:
        for mname in models:
            m = read_manifest(layout.root, "predictions", tname, mname)
            if m is not None:
                out[pair_label(mname, tname)] = m.digest
    inputs = {"predictions": digest_json(out), "version": VERSION}
    if any(results.imported_dir(layout).glob("*/*.json")):
        inputs["imported"] = results.imported_inputs(layout)
    return inputs


def report_state(layout: Layout, tasks: dict[str, TaskSpec], models: dict[str, ModelSpec]) -> str:
    """``done`` when the leaderboard was computed from the current predictions."""
    path = layout.scores_manifest()
    if not path.exists():
        return "missing"
    recorded = read_json(path)
    if not isinstance(recorded, dict) or not files_intact(layout.root, recorded.get("files", {})):
        return "missing"
    return "done" if recorded.get("inputs") == report_inputs(layout, tasks, models) else "stale"


def build_report(
    layout: Layout,
    tasks: dict[str, TaskSpec],
    models: dict[str, ModelSpec],
    pair_states: Callable[[TaskSpec, ModelSpec], list[str]],
    n_boot: int = scoring.BOOTSTRAP_N,
    run_id: str = "",
    trigger: str = "",
) -> ReportResult:
    """Re-score every pair whose predictions exist; write scores jsons and the leaderboard.

    ``pair_states`` gives a pair's stage states (``missing``, ``stale``, ``done``), the last
    being its predictions'. Pairs without predictions are listed as missing; pairs whose
    predictions are out of date are still scored and listed as stale. Scores of pairs no
    longer present are removed. The scores are appended to the history (``history``) with
    ``run_id`` and ``trigger``, and compared with the previous materialization.
    """
    sha = git_sha()
    result = ReportResult(pd.DataFrame(), pd.DataFrame())
    keep: set[Path] = set()
    todo: list[tuple[str, str, TaskSpec, ModelSpec]] = []  # names as keyed, and their specs
    for tname, task in tasks.items():
        for mname, model in models.items():
            pair = pair_label(mname, tname)
            states = pair_states(task, model)
            if states[-1] == "missing":
                result.missing.append(pair)
                continue
            if "stale" in states or "missing" in states:
                result.stale.append(pair)
            todo.append((tname, mname, task, model))
    scored = score_pairs(layout, [(task, model) for _, _, task, model in todo], sha, n_boot)
    for (tname, mname, _, _), (pair_json, error) in zip(todo, scored, strict=True):
        pair = pair_label(mname, tname)
        if pair_json is None:  # one broken pair must not hide the others' scores
            log.error("scoring %s failed: %s", pair, error)
            result.failed[pair] = str(error)
            continue
        path = layout.scores_file(mname, tname)
        write_json(path, pair_json)
        keep.add(path)
        result.scored.append(pair)
        result.scores.append(pair_json)
    for old in layout.scores_dir().glob("*/*.json") if layout.scores_dir().exists() else []:
        if old not in keep:
            old.unlink()
    result.long = results.collect(layout)
    result.wide = leaderboard.wide_table(result.long)
    leaderboard.write_csv(result.wide, layout.leaderboard_csv())
    leaderboard.write_html(result.long, layout.leaderboard_html())
    outputs = [layout.leaderboard_csv(), layout.leaderboard_html(), *sorted(keep)]
    write_json(
        layout.scores_manifest(),
        {"inputs": report_inputs(layout, tasks, models), "files": list_files(layout.root, outputs)},
    )
    score_history.record(layout, result.scores, run_id, trigger)
    result.history = score_history.read(layout)
    result.changes = score_history.latest_changes(result.history, trigger)
    return result
