"""Hugging Face encoders of every wrapped family (CLAP: its final-width Swin stages), built
small and random from their configs: hidden layers, frame timestamps from the model's stride,
windows past the model's length, and one-line errors for what cannot be loaded."""

from pathlib import Path

import numpy as np
import pytest
import torch

from hear_models import huggingface as hf
from hear_models.api import ModelContractError
from tests.hfmodels import build

WRAPPED = ("wav2vec2", "hubert", "wavlm", "data2vec-audio", "ast", "whisper", "clap")


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hf")
    for family in WRAPPED:
        build(family, root)
    return root


@pytest.mark.parametrize("family", WRAPPED)
def test_every_hidden_layer_with_timestamps(family: str, models_dir: Path) -> None:
    model = hf.load_model(str(models_dir / family))
    samples = int(model.sample_rate * 1.5)
    audio = torch.from_numpy(np.random.default_rng(0).standard_normal((2, samples)) * 0.1).float()
    layers, ts = hf.get_layer_timestamp_embeddings(audio, model)
    assert layers.shape[0] == model.n_hidden >= 2
    assert layers.shape[1:3] == ts.shape and layers.shape[3] == model.timestamp_embedding_size
    gaps = np.diff(ts[0].numpy())
    np.testing.assert_allclose(gaps, model.hop_ms, rtol=1e-5)
    # frames cover the clip and no more (1.5 s at the model's hop)
    assert abs(ts.shape[1] * model.hop_ms - 1500) <= model.hop_ms + 25
    scene = hf.get_layer_scene_embeddings(audio, model)
    np.testing.assert_allclose(scene.numpy(), layers.mean(dim=2).numpy(), rtol=1e-5, atol=1e-6)
    emb, _ = hf.get_timestamp_embeddings(audio, model)
    np.testing.assert_array_equal(emb.numpy(), layers[-1].numpy())
    first = hf.load_model(str(models_dir / family), output_layer=0)
    np.testing.assert_allclose(
        hf.get_scene_embeddings(audio, first).numpy(), scene[0].numpy(), rtol=1e-5, atol=1e-6
    )


def test_whisper_and_ast_windows_past_their_length(models_dir: Path) -> None:
    """AST's window here is 1.28 s: a 3 s clip is three windows, stamps continue across."""
    model = hf.load_model(str(models_dir / "ast"))
    audio = torch.randn(1, 48000) * 0.1
    layers, ts = hf.get_layer_timestamp_embeddings(audio, model)
    assert (np.diff(ts[0].numpy()) > 0).all() and ts[0, -1] < 3000
    first_window, _ = hf.get_layer_timestamp_embeddings(audio[:, : model.window], model)
    n = first_window.shape[2]
    np.testing.assert_allclose(layers[:, :, :n].numpy(), first_window.numpy(), atol=1e-5)


def test_what_cannot_be_loaded_is_one_line(models_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelContractError, match="not in a local folder or the Hugging Face"):
        hf.load_model(model_id="facebook/wav2vec2-base", revision="nope")
    build("bert", tmp_path)
    with pytest.raises(ModelContractError, match="'bert' model is not an audio encoder"):
        hf.load_model(str(tmp_path / "bert"))
    with pytest.raises(ModelContractError, match="layer 9 is out of range"):
        hf.load_model(str(models_dir / "wav2vec2"), output_layer=9)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelContractError, match=r"no config\.json"):
        hf.load_model(str(tmp_path / "empty"))


def test_clips_grouped_by_padded_window_give_the_same_frames(
    models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whisper pads every clip to 30 s: 5 clips go through in groups of 4 and 1, as alone."""
    from hear_models.torch_models import huggingface as impl

    model = hf.load_model(str(models_dir / "whisper"))
    audio = torch.randn(5, 8000) * 0.1
    grouped, _ = hf.get_layer_timestamp_embeddings(audio, model)
    monkeypatch.setattr(impl, "BATCH_SAMPLES", 1)  # one clip per forward call
    alone, _ = hf.get_layer_timestamp_embeddings(audio, model)
    np.testing.assert_allclose(grouped.numpy(), alone.numpy(), atol=1e-5)
