"""Every built-in model honours the HEAR API (the validator's checks) and its spec."""

import importlib

import numpy as np
import pytest

from hear_models import available_models, get_spec
from hear_models.runtime import open_model
from hear_models.validate import validate


@pytest.mark.parametrize("name", available_models())
def test_builtin_passes_the_validator(name: str) -> None:
    report = validate(get_spec(name))
    assert report.ok, report.text()


@pytest.mark.parametrize("name", available_models())
def test_builtin_is_a_plain_hear_module(name: str) -> None:
    module = importlib.import_module(f"hear_models.{name}")
    model = module.load_model()
    spec = get_spec(name)
    assert model.sample_rate == spec.sample_rate
    assert isinstance(model.scene_embedding_size, int)
    assert isinstance(model.timestamp_embedding_size, int)


@pytest.mark.parametrize("name", available_models())
def test_batched_equals_single_for_timestamps(name: str) -> None:
    rng = np.random.default_rng(0)
    with open_model(get_spec(name)) as model:
        audio = (rng.random((3, model.sample_rate)) * 2 - 1).astype(np.float32)
        emb, ts = model.timestamps(audio)
        for i in range(3):
            e1, t1 = model.timestamps(audio[i : i + 1])
            np.testing.assert_allclose(e1[0], emb[i], rtol=1e-4, atol=1e-4)
            np.testing.assert_array_equal(t1[0], ts[i])
