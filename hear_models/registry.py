"""The built-in models as plain data (no framework imports), and lazy module loading."""

import difflib
import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from hear_models.api import UnknownModelError


@dataclass(frozen=True)
class ModelSpec:
    """One model of the benchmark grid.

    Attributes:
        name: partition key and folder name, ``^[a-z][a-z0-9_]*$``.
        module: importable HEAR API module.
        family: ``naive``, ``learned``, ``multitask`` or ``outside``.
        framework: ``torch``, ``jax``, ``numpy`` or ``unknown`` (outside modules before loading).
        sample_rate: the model's input rate, one of the five HEAR rates.
        weights: path handed to ``load_model`` (empty: the module's default).
        options: extra keyword arguments for ``load_model``.
        retired: kept for history, no longer evaluated.
        training: ``""`` (frozen), ``per_task`` (weights trained on each task's own training
            split) or ``all_tasks`` (one set of weights trained over every task).
        trainer: ``module:function`` that trains the weights (numpy in, checkpoint out).
        weights_suffix: file name suffix of a trained checkpoint (``.pt``, ``.npz``).
    """

    name: str
    module: str
    family: str
    framework: str
    sample_rate: int
    weights: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    retired: bool = False
    training: str = ""
    trainer: str = ""
    weights_suffix: str = ""

    def to_json(self) -> dict[str, Any]:
        """The spec as a json-able dict (the form of ``registry/models.json``)."""
        return {
            "name": self.name,
            "module": self.module,
            "family": self.family,
            "framework": self.framework,
            "sample_rate": self.sample_rate,
            "weights": self.weights,
            "options": dict(self.options),
            "retired": self.retired,
            "training": self.training,
            "trainer": self.trainer,
            "weights_suffix": self.weights_suffix,
        }


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("naive_torch", "hear_models.naive_torch", "naive", "torch", 44100),
        ModelSpec("naive_flax", "hear_models.naive_flax", "naive", "jax", 44100),
        ModelSpec(
            "learned_conv",
            "hear_models.learned_conv",
            "learned",
            "torch",
            16000,
            training="per_task",
            trainer="hear_models.torch_models.learned_conv:train",
            weights_suffix=".pt",
        ),
        ModelSpec(
            "multitask_flax",
            "hear_models.multitask_flax",
            "multitask",
            "jax",
            16000,
            training="all_tasks",
            trainer="hear_models.flax_models.multitask:train",
            weights_suffix=".npz",
        ),
    )
}


def unknown_model(name: str, known: list[str]) -> UnknownModelError:
    """An error naming the closest known model."""
    close = difflib.get_close_matches(name, known, n=1)
    hint = (
        f"; did you mean '{close[0]}'?" if close else f"; known models: {', '.join(sorted(known))}"
    )
    return UnknownModelError(f"no model '{name}'{hint}")


def import_trainer(path: str):
    """The training function named ``module:function``."""
    module, _, func = path.partition(":")
    return getattr(importlib.import_module(module), func)


def import_module(module: str) -> ModuleType:
    """Import a HEAR API module by name, checking it has the three API functions."""
    mod = importlib.import_module(module)
    missing = [
        fn
        for fn in ("load_model", "get_scene_embeddings", "get_timestamp_embeddings")
        if not callable(getattr(mod, fn, None))
    ]
    if missing:
        from hear_models.api import ModelContractError

        raise ModelContractError(f"module {module} lacks the HEAR API function(s) {missing}")
    return mod
