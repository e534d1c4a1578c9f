"""HEAR API module ``hear_models.learned_conv``: the per-task learned log-mel convnet (PyTorch)."""

from hear_models.torch_models.learned_conv import (
    get_scene_embeddings,
    get_timestamp_embeddings,
    load_model,
)

__all__ = ["get_scene_embeddings", "get_timestamp_embeddings", "load_model"]
