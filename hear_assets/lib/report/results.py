"""Portable results: export a HEAR_HOME's scores, import others' into the leaderboard.

``export`` writes ``OUT/<model>/<task>.json``: the pair's scores json (every metric, interval,
seeds, the model card, provenance with the task digest) plus ``result_format`` and where and
when it was exported. ``import_results`` checks every file first and imports all or nothing:
a result whose task is not built here, or whose task digest differs from the local task's,
is refused in one line (the scores would not be comparable). Imported results live in
``HEAR_HOME/imported/<model>/<task>.json``, marked ``imported``; a pair scored here keeps its
local score (the import says so), and a later import of the same pair replaces the earlier.
"""

import datetime as dt
import json
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hear_assets.lib.report import leaderboard
from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.files import read_json, write_json
from hear_assets.lib.store.layout import Layout, pair_label
from hear_assets.lib.store.manifest import digest_json, read_manifest

FORMAT = 1
REQUIRED = ("task", "model", "task_type", "primary_metric", "primary", "ci95", "metrics")


def imported_dir(layout: Layout) -> Path:
    return layout.root / "imported"


def task_digest(layout: Layout, task: str) -> str | None:
    """The local task's digest as the scores json records it (None: not built here)."""
    audio = read_manifest(layout.root, "task_audio", task)
    splits = read_manifest(layout.root, "task_splits", task)
    if audio is None or splits is None:
        return None
    return digest_json([audio.digest, splits.digest])


def export(layout: Layout, out: Path) -> list[Path]:
    """Write every locally scored pair as a portable result under ``out``."""
    written = []
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    folder = layout.scores_dir()
    for path in sorted(folder.glob("*/*.json")) if folder.exists() else []:
        scores = read_json(path)
        result = {
            **scores,
            "result_format": FORMAT,
            "exported": {"created": stamp, "host": socket.gethostname()},
        }
        dest = out / scores["model"] / f"{scores['task']}.json"
        write_json(dest, result)
        written.append(dest)
    return written


@dataclass
class ImportReport:
    """What an import did: pairs imported, and pairs left alone with the reason."""

    imported: list[str] = field(default_factory=list)
    kept_local: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _read_result(path: Path) -> dict[str, Any]:
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise TaskDataError(f"{path}: not a readable json result ({exc})") from exc
    if not isinstance(result, dict):
        raise TaskDataError(f"{path}: not a result (a json object expected)")
    missing = [k for k in REQUIRED if k not in result]
    if missing:
        raise TaskDataError(f"{path}: not a result: no {', '.join(missing)}")
    if result.get("result_format", FORMAT) > FORMAT:
        raise TaskDataError(
            f"{path}: result format {result['result_format']} is newer than this hear-dagster "
            f"reads ({FORMAT}); upgrade to import it"
        )
    return result


def import_results(layout: Layout, dirs: list[Path]) -> ImportReport:
    """Import every ``*.json`` result under ``dirs``: all, or (on the first refusal) none."""
    found: list[tuple[Path, dict[str, Any]]] = []
    for d in dirs:
        if not d.exists():
            raise TaskDataError(f"{d}: no such folder")
        files = sorted(d.rglob("*.json")) if d.is_dir() else [d]
        if not files:
            raise TaskDataError(f"{d}: no results (*.json) in it")
        found += [(f, _read_result(f)) for f in files]
    digests: dict[str, str | None] = {}
    for path, result in found:
        task = result["task"]
        if task not in digests:
            digests[task] = task_digest(layout, task)
        theirs = (result.get("provenance") or {}).get("task_sha256", "")
        if digests[task] is None:
            raise TaskDataError(
                f"{path}: task {task} is not built in this HEAR_HOME (add it and run its task "
                "stages first: its digest must match); nothing imported"
            )
        if theirs != digests[task]:
            raise TaskDataError(
                f"{path}: task {task}'s digest {theirs[:12] or '(none)'} differs from the local "
                f"task's {digests[task][:12]}: the scores are not comparable; nothing imported"
            )
    report = ImportReport()
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for path, result in found:
        pair = pair_label(result["model"], result["task"])
        if layout.scores_file(result["model"], result["task"]).exists():
            report.kept_local.append(pair)
            continue
        dest = imported_dir(layout) / result["model"] / f"{result['task']}.json"
        body = {k: v for k, v in result.items() if k != "imported"}
        if dest.exists():
            old = read_json(dest)
            if {k: v for k, v in old.items() if k != "imported"} == body:
                report.unchanged.append(pair)
                continue
        write_json(dest, {**body, "imported": {"from": str(path.parent.parent), "at": stamp}})
        report.imported.append(pair)
    return report


def collect(layout: Layout) -> pd.DataFrame:
    """The leaderboard's rows: every local score, then every imported one whose pair is not
    scored here (column ``imported``)."""
    local = leaderboard.collect_scores(layout.scores_dir())  # a missing folder: no rows
    local["imported"] = False
    folder = imported_dir(layout)
    if not folder.exists():
        return local
    other = leaderboard.collect_scores(folder)
    if other.empty:
        return local
    here = set(zip(local["model"], local["task"], strict=True))
    keep = [(m, t) not in here for m, t in zip(other["model"], other["task"], strict=True)]
    other = other[keep].assign(imported=True)
    both = pd.concat([local, other], ignore_index=True) if not local.empty else other
    return both.reset_index(drop=True)


def imported_inputs(layout: Layout) -> str:
    """A digest of the imported results (part of what the leaderboard is computed from)."""
    folder = imported_dir(layout)
    files = sorted(folder.glob("*/*.json")) if folder.exists() else []
    return digest_json({str(f.relative_to(folder)): f.read_text() for f in files})
