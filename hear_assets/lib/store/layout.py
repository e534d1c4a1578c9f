"""``Layout(root)``: the only place where paths under HEAR_HOME are spelled."""

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOME = "./data"


def pair_label(model: str, task: str) -> str:
    """The one name of a (task, model) pair: ``model|task``, as Dagster prints its partition key."""
    return f"{model}|{task}"


def resolve_home(root: str | os.PathLike | None = None) -> Path:
    """HEAR_HOME as an absolute path: ``root`` if given, else ``$HEAR_HOME``, else ``./data``."""
    chosen = root or os.environ.get("HEAR_HOME") or DEFAULT_HOME
    return Path(chosen).expanduser().resolve()


@dataclass(frozen=True)
class Layout:
    """Paths of every artifact under one HEAR_HOME root."""

    root: Path

    # tasks
    def raw_dir(self, task: str) -> Path:
        """``raw/<task>/``: downloads and their extraction, or generated source audio."""
        return self.root / "raw" / task

    def task_dir(self, task: str) -> Path:
        """``tasks/<task>/``: the HEAR 2021 preprocessed layout plus ``<split>.csv``."""
        return self.root / "tasks" / task

    def audio_dir(self, task: str, sample_rate: int, split: str) -> Path:
        """``tasks/<task>/<rate>/<split>/``: standardized wavs."""
        return self.task_dir(task) / str(sample_rate) / split

    # pairs
    def embeddings_dir(self, model: str, task: str) -> Path:
        """``embeddings/<model>/<task>/``: ``<split>.npy`` and ``<split>.index.json``."""
        return self.root / "embeddings" / model / task

    def predictions_dir(self, model: str, task: str) -> Path:
        """``predictions/<model>/<task>/``: ``predicted-*.csv`` and ``probe.json``."""
        return self.root / "predictions" / model / task

    def scores_file(self, model: str, task: str) -> Path:
        """``scores/<model>/<task>.json``."""
        return self.root / "scores" / model / f"{task}.json"

    def scores_dir(self) -> Path:
        """``scores/``."""
        return self.root / "scores"

    # report and registries
    def report_dir(self, task: str) -> Path:
        """``reports/<task>/``: figures shown in the UI (``spectrogram.png``); not read by the
        original kit, which only reads ``tasks/<task>/``."""
        return self.root / "reports" / task

    def leaderboard_csv(self) -> Path:
        """``leaderboard.csv``: model × task primary scores."""
        return self.root / "leaderboard.csv"

    def leaderboard_html(self) -> Path:
        """``leaderboard.html``: the table with 95 % intervals and a plot."""
        return self.root / "leaderboard.html"

    def registry_file(self, axis: str) -> Path:
        """``registry/models.json`` or ``registry/tasks.json``."""
        return self.root / "registry" / f"{axis}.json"

    def retired_file(self, axis: str) -> Path:
        """``registry/retired-tasks.json`` or ``registry/retired-models.json``."""
        return self.root / "registry" / f"retired-{axis}.json"

    def weights_dir(self) -> Path:
        """``weights/``: trained and downloaded model weights."""
        return self.root / "weights"

    def model_weights_dir(self, model: str, task: str) -> Path:
        """``weights/<model>/<task>/``: a model's weights trained on one task (``all``: on
        every task)."""
        return self.weights_dir() / model / task

    # bookkeeping
    def manifest_file(self, stage: str, task: str, model: str | None = None) -> Path:
        """``manifests/<stage>/<task>.json`` or ``manifests/<stage>/<model>/<task>.json``."""
        base = self.root / "manifests" / stage
        return (base / model / f"{task}.json") if model else (base / f"{task}.json")

    def scores_manifest(self) -> Path:
        """``manifests/scores.json``: the inputs and files of the last scores stage."""
        return self.root / "manifests" / "scores.json"

    def lock_file(self, stage: str, key: str) -> Path:
        """``locks/<stage>.<key>.lock`` (``key``: a task or a pair label)."""
        return self.root / "locks" / f"{stage}.{key.replace('|', '.')}.lock"

    def probe_work_dir(self, model: str, task: str) -> Path:
        """``work/probe/<model>/<task>/``: finished grid points of a probe search in progress."""
        return self.root / "work" / "probe" / model / task

    def task_artifacts(self, task: str) -> list[Path]:
        """Every file or folder of one task, its pairs' included (what ``--purge`` deletes)."""
        r = self.root
        return [
            self.raw_dir(task),
            self.task_dir(task),
            self.report_dir(task),
            *r.glob(f"embeddings/*/{task}"),
            *r.glob(f"predictions/*/{task}"),
            *r.glob(f"scores/*/{task}.json"),
            *r.glob(f"manifests/*/{task}.json"),
            *r.glob(f"manifests/*/*/{task}.json"),
        ]

    def model_artifacts(self, model: str) -> list[Path]:
        """Every file or folder of one model's pairs (what ``--purge`` deletes)."""
        r = self.root
        return [
            r / "embeddings" / model,
            r / "predictions" / model,
            r / "scores" / model,
            *r.glob(f"manifests/*/{model}"),
        ]
