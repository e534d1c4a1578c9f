"""HEAR API module ``hear_models.huggingface``: any Hugging Face ``transformers`` audio
encoder (``hear-assets models add NAME --hf ID``); see ``torch_models.huggingface``."""

from hear_models.torch_models.huggingface import (
    get_layer_scene_embeddings,
    get_layer_timestamp_embeddings,
    get_scene_embeddings,
    get_timestamp_embeddings,
    load_model,
)

__all__ = [
    "get_layer_scene_embeddings",
    "get_layer_timestamp_embeddings",
    "get_scene_embeddings",
    "get_timestamp_embeddings",
    "load_model",
]
