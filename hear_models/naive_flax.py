"""HEAR API module ``hear_models.naive_flax``: the naive baseline in JAX/Flax."""

from hear_models.flax_models.naive import (
    get_scene_embeddings,
    get_timestamp_embeddings,
    load_model,
)

__all__ = ["get_scene_embeddings", "get_timestamp_embeddings", "load_model"]
