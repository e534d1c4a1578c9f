"""HEAR API module ``hear_models.multitask_flax``: the multi-task embedding (JAX/Flax)."""

from hear_models.flax_models.multitask import (
    get_scene_embeddings,
    get_timestamp_embeddings,
    load_model,
)

__all__ = ["get_scene_embeddings", "get_timestamp_embeddings", "load_model"]
