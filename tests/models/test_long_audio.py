"""Long clips are embedded in chunks with the unchunked result (naive: up to float rounding)."""

import numpy as np
import pytest

from hear_assets.lib.embedding import chunking
from hear_models import get_spec
from hear_models.runtime import open_model


@pytest.mark.parametrize(("name", "rtol"), [("naive_torch", 1e-5), ("learned_conv", 1e-5)])
def test_chunked_equals_unchunked(name: str, rtol: float) -> None:
    with open_model(get_spec(name)) as model:
        sr = model.sample_rate
        rng = np.random.default_rng(0)
        audio = (rng.random(int(25.3 * sr)) * 2 - 1).astype(np.float32) * 0.3
        whole, ts = model.timestamps(audio[None])
        hop = chunking.model_hop_ms(model)
        parts, ts_parts = chunking.chunked_timestamps(model, audio, hop, chunk_s=6.0, context_s=1.0)
    np.testing.assert_array_equal(ts_parts, ts[0])
    np.testing.assert_allclose(parts, whole[0], rtol=rtol, atol=rtol * np.abs(whole).max())


def test_grid_unit_is_whole_samples_and_hops() -> None:
    assert chunking.grid_unit(50.0, 44100) == 2205
    assert chunking.grid_unit(25.0, 44100) == 2205  # two hops of 1102.5 samples
    assert chunking.grid_unit(20.0, 16000) == 320
