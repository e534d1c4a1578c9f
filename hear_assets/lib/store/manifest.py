"""Stage manifests: what a stage wrote, from which inputs, by which code version.

``manifests/<stage>/<task>.json`` or ``manifests/<stage>/<model>/<task>.json`` under HEAR_HOME,
written after the stage's files. A stage is *done* when its manifest's code version and input
digests equal the current ones and its files still exist; *stale* when they differ; *missing*
when there is no manifest or a listed file is gone.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hear_assets.lib.store.files import read_json, write_json
from hear_assets.lib.store.layout import Layout


def digest_json(obj: Any) -> str:
    """sha256 of an object's canonical json."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Manifest:
    """One stage output's record."""

    stage: str
    key: str
    code_version: str
    inputs: dict[str, str]
    digest: str
    files: dict[str, int]  # every output file (relative to HEAR_HOME) and its size in bytes
    info: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """As written to disk."""
        return self.__dict__.copy()


def manifest_path(root: Path, stage: str, task: str, model: str | None = None) -> Path:
    """Where a stage's manifest lives (``Layout.manifest_file``)."""
    return Layout(root).manifest_file(stage, task, model)


def write_manifest(root: Path, m: Manifest, task: str, model: str | None = None) -> None:
    """Atomically write ``m`` (after the stage's files are in place)."""
    write_json(manifest_path(root, m.stage, task, model), m.to_json())


def read_manifest(root: Path, stage: str, task: str, model: str | None = None) -> Manifest | None:
    """The manifest, or None if absent or unreadable."""
    path = manifest_path(root, stage, task, model)
    try:
        return Manifest(**read_json(path))
    except (OSError, ValueError, TypeError):
        return None


def list_files(root: Path, paths: list[Path]) -> dict[str, int]:
    """Every file under ``paths`` (files or folders) with its size, relative to ``root``."""
    out: dict[str, int] = {}
    for p in paths:
        for f in sorted(p.rglob("*")) if p.is_dir() else [p]:
            if f.is_file():
                out[str(f.relative_to(root))] = f.stat().st_size
    return out


def files_intact(root: Path, files: dict[str, int]) -> bool:
    """True when every recorded file exists with its recorded size."""
    for rel, size in files.items():
        try:
            if (root / rel).stat().st_size != size:
                return False
        except OSError:
            return False
    return True


def state_of(
    root: Path, m: Manifest | None, code_version: str, inputs: dict[str, str] | None
) -> str:
    """``missing`` (no manifest, or a file gone or resized), ``stale`` or ``done``.

    ``inputs`` None means an upstream stage has no output, so this one is stale.
    """
    if m is None or not files_intact(root, m.files):
        return "missing"
    if m.code_version != code_version or inputs is None or m.inputs != inputs:
        return "stale"
    return "done"
