"""HEAR API models: plain modules (PyTorch, JAX/Flax) with no dependency on Dagster."""

from types import ModuleType

from hear_models.registry import MODELS, ModelSpec, import_module, unknown_model


def available_models() -> list[str]:
    """Names of the built-in models."""
    return sorted(MODELS)


def get_spec(name: str) -> ModelSpec:
    """The built-in spec of ``name``, or UnknownModelError with a suggestion."""
    if name not in MODELS:
        raise unknown_model(name, list(MODELS))
    return MODELS[name]


def load_module(name: str) -> ModuleType:
    """Import the HEAR API module of a built-in model."""
    return import_module(get_spec(name).module)


__all__ = ["MODELS", "ModelSpec", "available_models", "get_spec", "load_module"]
