"""Layered embeddings: the selected layers stored once each, the last linked at the top level;
a layer with NaN or of the wrong width refused with one line, nothing written; and the learned
layer weights favour the layer that carries the labels."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from hear_assets.lib.embedding import embed
from hear_assets.lib.evaluation.layers import fit_layer_weights
from hear_models.api import ModelContractError

SR = 16000


class LayeredStub:
    """Three hidden layers of 4 values per clip: layer i = clip mean × (i + 1); ``bad`` spoils
    one layer."""

    name, sample_rate, scene_embedding_size, timestamp_embedding_size = "stub", SR, 4, 4

    def __init__(self, bad: str = ""):
        self.bad = bad

    def layer_scene(self, audio: np.ndarray) -> np.ndarray:
        base = np.repeat(audio.mean(axis=1, keepdims=True), 4, axis=1).astype(np.float32)
        out = np.stack([base * (i + 1) for i in range(3)])
        if self.bad == "nan":
            out[1, 0, 0] = np.nan
        if self.bad == "width":
            out = out[:, :, :3]
        return out


def write_clips(folder: Path, n: int = 3) -> list[str]:
    folder.mkdir(parents=True)
    names = [f"c{i}.wav" for i in range(n)]
    for i, name in enumerate(names):
        sf.write(folder / name, np.full(SR // 4, 0.1 * (i + 1), np.float32), SR, subtype="FLOAT")
    return names


def test_selected_layers_in_order(tmp_path: Path) -> None:
    files = write_clips(tmp_path / "a")
    array, index = embed.embed_split(
        LayeredStub(), files, tmp_path / "a", "scene", "w", None, (0, 2)
    )
    assert array.shape == (2, 3, 4) and index["files"] == files
    np.testing.assert_allclose(array[1], 3 * array[0], rtol=1e-6)


@pytest.mark.parametrize(
    ("bad", "message"),
    [("nan", "layer 1: 1 of 3 clips have NaN"), ("width", "layer 0: embeddings have shape")],
)
def test_bad_layer_is_one_line(tmp_path: Path, bad: str, message: str) -> None:
    files = write_clips(tmp_path / "a")
    layers = (0, 1, 2) if bad == "nan" else (0, 2)
    with pytest.raises(ModelContractError) as err:
        embed.embed_split(
            LayeredStub(bad), files, tmp_path / "a", "scene", "stub on t", None, layers
        )
    text = str(err.value)
    assert "\n" not in text and message in text


def test_out_of_range_layer(tmp_path: Path) -> None:
    files = write_clips(tmp_path / "a")
    with pytest.raises(ModelContractError, match=r"expected \(n_hidden > 5"):
        embed.embed_split(LayeredStub(), files, tmp_path / "a", "scene", "w", None, (0, 5))


def test_weights_favour_the_informative_layer() -> None:
    rng = np.random.default_rng(0)
    n, d = 400, 8
    labels = rng.integers(0, 2, n)
    y = np.eye(2, dtype=np.float32)[labels]
    noise = rng.standard_normal((3, n, d)).astype(np.float32)
    noise[2, :, 0] += 3.0 * (labels * 2 - 1)  # only layer 2 knows the label
    fitted = fit_layer_weights(
        [0, 1, 2], noise[:, :300], y[:300], noise[:, 300:], y[300:], multilabel=False
    )
    assert abs(fitted.weights.sum() - 1) < 1e-6
    assert fitted.weights.argmax() == 2 and fitted.weights[2] > 0.5
    combined = fitted.combine(noise)
    assert combined.shape == (n, d) and np.isfinite(combined).all()
