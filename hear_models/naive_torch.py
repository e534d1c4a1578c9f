"""HEAR API module ``hear_models.naive_torch``: the naive baseline in PyTorch."""

from hear_models.torch_models.naive import (
    get_scene_embeddings,
    get_timestamp_embeddings,
    load_model,
)

__all__ = ["get_scene_embeddings", "get_timestamp_embeddings", "load_model"]
