"""Task specs: what a task is (type, duration, metrics, split mode), for every task source."""

import difflib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from hear_assets.lib.store.errors import TaskDataError, UnknownTaskError

TASK_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
TASK_TYPES = ("scene", "event", "jnd", "ranking")
PRIMARY_IS_LOWER_BETTER = frozenset({"segment_1s_er"})


@dataclass(frozen=True)
class TaskSpec:
    """One task of the benchmark grid.

    Attributes:
        name: partition key and folder name, ``^[a-z0-9][a-z0-9_.-]*$``.
        task_type: ``scene``, ``event``, ``jnd`` or ``ranking``.
        prediction_type: ``multiclass`` or ``multilabel`` (scene and event tasks).
        sample_duration: clip length in seconds, or None to keep each clip's length.
        evaluation: metric names, the first is primary.
        split_mode: ``trainvaltest``, ``presplit_kfold`` or ``new_split_kfold``.
        nfolds: folds of a k-fold task.
        source: ``builtin``, ``recipe`` or ``imported``.
        version: content version; bump when the same name would produce other files.
        source_sample_rate: the rate of the raw audio (built-ins generate at this rate).
        params: source-specific settings (generator seed and sizes, recipe URLs).
    """

    name: str
    task_type: str
    prediction_type: str
    sample_duration: float | None
    evaluation: tuple[str, ...]
    split_mode: str = "trainvaltest"
    nfolds: int = 0
    source: str = "builtin"
    version: str = "1"
    source_sample_rate: int = 48000
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not TASK_NAME_RE.match(self.name):
            raise TaskDataError(f"task name '{self.name}' must match {TASK_NAME_RE.pattern}")
        if self.task_type not in TASK_TYPES:
            raise TaskDataError(
                f"task {self.name}: task_type '{self.task_type}' not in {TASK_TYPES}"
            )

    @property
    def splits(self) -> list[str]:
        """Split names: train/valid/test or fold00, fold01, ...."""
        if self.split_mode == "trainvaltest":
            return ["train", "valid", "test"]
        return [f"fold{i:02d}" for i in range(self.nfolds)]

    @property
    def embedding_type(self) -> str:
        """HEAR's ``embedding_type``: scene embeddings for scene tasks, else timestamp ones."""
        return "scene" if self.task_type == "scene" else "event"

    @property
    def primary_metric(self) -> str:
        """The first evaluation metric."""
        return self.evaluation[0]

    def metadata(self) -> dict[str, Any]:
        """``task_metadata.json``: HEAR's fields plus ``task_type``."""
        meta = {
            "task_name": self.name,
            "version": self.version,
            "task_type": self.task_type,
            "embedding_type": self.embedding_type,
            "prediction_type": self.prediction_type,
            "split_mode": self.split_mode,
            "sample_duration": self.sample_duration,
            "evaluation": list(self.evaluation),
            "mode": "full",
            "splits": self.splits,
            "source": self.source,
        }
        if self.nfolds:
            meta["nfolds"] = self.nfolds
        evaluation_params: dict[str, Any] = {}
        if "event_postprocessing_grid" in self.params:
            grid = self.params["event_postprocessing_grid"]
            meta["event_postprocessing_grid"] = grid
            # The original kit reads the grid here, under its own key for the minimum length.
            evaluation_params["event_postprocessing_grid"] = {
                "median_filter_ms": grid["median_filter_ms"],
                "min_duration": grid["min_duration_ms"],
            }
        if "task_specific_param_grid" in self.params:
            evaluation_params["task_specific_param_grid"] = self.params["task_specific_param_grid"]
        if evaluation_params:
            meta["evaluation_params"] = evaluation_params
        if self.params.get("use_scoring_for_early_stopping") is False:
            meta["use_scoring_for_early_stopping"] = False
        return meta

    def to_json(self) -> dict[str, Any]:
        """The spec as a json-able dict (the form of ``registry/tasks.json``)."""
        d = asdict(self)
        d["evaluation"] = list(self.evaluation)
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "TaskSpec":
        """Inverse of ``to_json``."""
        d = dict(d)
        d["evaluation"] = tuple(d["evaluation"])
        return cls(**d)


def unknown_task(name: str, known: list[str]) -> UnknownTaskError:
    """An error naming the closest known task."""
    close = difflib.get_close_matches(name, known, n=1)
    hint = (
        f"; did you mean '{close[0]}'?" if close else f"; known tasks: {', '.join(sorted(known))}"
    )
    return UnknownTaskError(f"no task '{name}'{hint}")
