"""What every download recipe shares: the Recipe record, catalogue rows and HEAR's rules.

A recipe names a HEAR 2021 task (``task_name``, ``version``, modes with their download lists and
caps) and a ``catalogue`` function that reads the extracted corpus under ``raw/<task>/`` and
returns the clips (``filename,split,label,source``) and, for event tasks, the events. The rules
HEAR applies to every task (seeded subsampling to a mode's duration caps, dropping missing files
in ``small`` mode, trimming events to the clip length) live here.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.files import atomic_path
from hear_assets.lib.tasks import TaskSpec, fetch

S4 = ("top1_acc", "mAP", "d_prime", "aucroc")
OPEN_SMALL = "https://github.com/hearbenchmark/hear2021-open-tasks-downsampled/raw/main/"
SECRET_SMALL = "https://github.com/kmarufraj/s-task/raw/main/"
# HEAR's 5 h caps in seconds: (train + valid) = 5 h at 80/10, test as much as valid.
CAPS_5H = {"train": 16000.0, "valid": 2000.0, "test": 2000.0}
CAPS_50H = {"train": 160000.0, "valid": 20000.0, "test": 20000.0}
CLIP_COLUMNS = ["filename", "split", "label", "source"]
EVENT_COLUMNS = ["filename", "start_ms", "end_ms", "label"]


def dl(split: str, url: str, md5: str, name: str | None = None) -> dict[str, Any]:
    """One ``download_urls`` entry as HEAR writes it (``name`` when a split has several)."""
    return {"split": split, "name": name, "url": url, "md5": md5}


@dataclass(frozen=True)
class Mode:
    """A preprocessing mode: what to download and how much of each split to keep."""

    downloads: tuple[dict[str, Any], ...]
    max_duration_by_split: dict[str, float | None] | None = None
    sample_duration: float | None = None  # overrides the recipe's (secret tasks' small mode)


@dataclass
class Catalogue:
    """A recipe's output: one row per clip, plus one row per event for event tasks."""

    clips: list[dict[str, str]]
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Recipe:
    """A HEAR 2021 task that is downloaded and catalogued from its public sources."""

    task_name: str
    version: str
    task_type: str
    prediction_type: str
    sample_duration: float
    evaluation: tuple[str, ...]
    split_mode: str
    nfolds: int
    source_sample_rate: int
    default_mode: str
    modes: dict[str, Mode]
    catalogue: Callable[[TaskSpec, Path], Catalogue]
    params: dict[str, Any] = field(default_factory=dict)


def str2int(s: str) -> int:
    """HEAR's seed of a string: sha1 as an integer modulo 2**32 - 1."""
    return int(hashlib.sha1(s.encode("utf-8")).hexdigest(), 16) % (2**32 - 1)


def download_path(raw_dir: Path, entry: dict[str, Any]) -> Path:
    """``raw/<task>/downloads/<file name of the URL>``."""
    return raw_dir / "downloads" / fetch.url_file_name(entry["url"])


def extracted_dir(raw_dir: Path, entry: dict[str, Any]) -> Path:
    """``raw/<task>/extracted/<split>[/<name>]``, as HEAR's ExtractArchive lays them out."""
    base = raw_dir / "extracted" / entry["split"]
    return base / entry["name"] if entry.get("name") else base


def entry_of(spec: TaskSpec, split: str, name: str | None = None) -> dict[str, Any]:
    """The download entry of ``spec`` for ``split`` (and ``name``)."""
    for entry in spec.params["downloads"]:
        if entry["split"] == split and (name is None or entry.get("name") == name):
            return entry
    raise TaskDataError(f"task {spec.name}: no download for split '{split}' name '{name}'")


def find_root(base: Path, folder: str) -> Path:
    """``base/folder`` if present, else ``base`` (some mirrors zip the files without it)."""
    if (base / folder).is_dir():
        return base / folder
    if base.is_dir():
        return base
    raise TaskDataError(f"{base}: not extracted; delete {base.parent} and run again")


def relpath(raw_dir: Path, path: Path) -> str:
    """``path`` relative to the raw folder, with forward slashes."""
    return path.relative_to(raw_dir).as_posix()


def clip(filestem: str, split: str, label: str, source: str) -> dict[str, str]:
    """One clips.csv row; the output name is HEAR's ``unique_filestem`` plus ``.wav``."""
    if "/" in filestem or not filestem:
        raise TaskDataError(f"invalid unique file stem '{filestem}' (from {source})")
    return {"filename": f"{filestem}.wav", "split": split, "label": label, "source": source}


def subsample(clips: list[dict[str, str]], caps: dict | None, duration: float | None) -> list:
    """HEAR's SubsampleSplit: per capped split keep ``int(cap / duration)`` seeded-shuffled clips.

    The split's clips are sorted by file stem and shuffled with pandas
    ``sample(frac=1, random_state=str2int(f"SubsampleSplit({split})"))``; the first ones stay.
    Clips whose split is still empty (carved later) are never capped.
    """
    if not caps or not clips or duration is None:
        return clips
    df = pd.DataFrame(clips)
    keep: set[str] = set()
    for split, group in df.groupby("split", sort=True):
        cap = caps.get(split) if split else None
        names = sorted(group["filename"], key=lambda f: f.removesuffix(".wav"))
        if cap is None:
            keep.update(names)
            continue
        shuffled = pd.Series(names).sample(frac=1, random_state=str2int(f"SubsampleSplit({split})"))
        keep.update(shuffled.iloc[: int(cap / duration)])
    return [c for c in clips if c["filename"] in keep]


def drop_missing(spec: TaskSpec, raw_dir: Path, cat: Catalogue) -> Catalogue:
    """Raise on clips whose source is missing; in ``small`` mode drop them instead (as HEAR)."""
    present = []
    for c in cat.clips:
        if (raw_dir / c["source"]).is_file():
            present.append(c)
        elif spec.params.get("mode") != "small":
            raise TaskDataError(
                f"{raw_dir / c['source']}: listed by the corpus metadata but missing; delete "
                f"{raw_dir / 'extracted'} and run again"
            )
    names = {c["filename"] for c in present}
    return Catalogue(present, [e for e in cat.events if e["filename"] in names])


def trim_events(events: list[dict[str, Any]], duration: float | None) -> list[dict[str, Any]]:
    """Drop events starting at or after the clip's end and cut the others' ends to it."""
    if duration is None:
        return events
    end = duration * 1000.0
    return [{**e, "end_ms": min(e["end_ms"], end)} for e in events if e["start_ms"] < end]


def check_catalogue(spec: TaskSpec, raw_dir: Path, cat: Catalogue) -> None:
    """Unique names, known splits, one label per clip for multiclass scene tasks."""
    seen: dict[str, str] = {}
    allowed = {"", *spec.splits}
    for c in cat.clips:
        if c["filename"] in seen:
            raise TaskDataError(
                f"{raw_dir}: {c['source']} and {seen[c['filename']]} both become {c['filename']}"
            )
        seen[c["filename"]] = c["source"]
        if c["split"] not in allowed:
            raise TaskDataError(
                f"{raw_dir}: {c['source']} has split '{c['split']}' not in {allowed}"
            )
        multi = ";" in c["label"]
        if spec.task_type == "scene" and spec.prediction_type == "multiclass" and multi:
            raise TaskDataError(f"{raw_dir}: multiclass clip {c['source']} has labels {c['label']}")
    if not cat.clips:
        raise TaskDataError(f"{raw_dir}: the corpus yielded no clips; check the downloads")


def write_catalogue(raw_dir: Path, cat: Catalogue, task_type: str) -> None:
    """Atomically write ``events.csv`` (event tasks) and then ``clips.csv``."""
    if task_type == "event":
        events = pd.DataFrame(cat.events, columns=EVENT_COLUMNS)
        events = events.sort_values(EVENT_COLUMNS, kind="stable")
        with atomic_path(raw_dir / "events.csv") as tmp:
            events.to_csv(tmp, index=False)
    clips = pd.DataFrame(cat.clips, columns=CLIP_COLUMNS).sort_values("filename", kind="stable")
    with atomic_path(raw_dir / "clips.csv") as tmp:
        clips.to_csv(tmp, index=False)
