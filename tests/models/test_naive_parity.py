"""The PyTorch and JAX/Flax naive baselines agree, and match HEAR's fixed points."""

import numpy as np
import pytest
import torch

import hear_models.naive_flax as naive_flax
import hear_models.naive_torch as naive_torch
from hear_models.torch_models.naive import EPSILON, naive_projection


@pytest.fixture(scope="module")
def models():
    return naive_torch.load_model(), naive_flax.load_model()


@pytest.mark.parametrize("seconds", [1.07, 1.98, 4.0])
def test_timestamp_embeddings_agree(models, seconds: float) -> None:
    tm, fm = models
    audio = (np.random.default_rng(1).random((2, int(seconds * 44100))) * 2 - 1).astype(np.float32)
    e_t, t_t = naive_torch.get_timestamp_embeddings(torch.from_numpy(audio), tm)
    e_f, t_f = naive_flax.get_timestamp_embeddings(audio, fm)
    np.testing.assert_allclose(np.asarray(e_f), e_t.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(np.asarray(t_f), t_t.numpy())


def test_scene_embeddings_agree_on_tones(models) -> None:
    tm, fm = models
    t = np.arange(44100) / 44100
    audio = np.stack([0.3 * np.sin(2 * np.pi * f * t) for f in (220.0, 440.0)]).astype(np.float32)
    e_t = naive_torch.get_scene_embeddings(torch.from_numpy(audio), tm).numpy()
    e_f = np.asarray(naive_flax.get_scene_embeddings(audio, fm))
    np.testing.assert_allclose(e_f, e_t, rtol=1e-4, atol=1e-4)


def test_silence_is_log_epsilon_times_projection_column_sums(models) -> None:
    tm, _ = models
    emb = naive_torch.get_scene_embeddings(torch.zeros(1, 44100), tm).numpy()[0]
    want = np.log(EPSILON) * naive_projection().astype(np.float64).sum(axis=0)
    np.testing.assert_allclose(emb, want, rtol=1e-5)


def test_projection_is_uniform_on_zero_to_one_sixteenth() -> None:
    p = naive_projection()
    assert p.shape == (256, 4096)
    assert p.min() >= 0 and p.max() < 1 / 16
    torch.manual_seed(0)
    np.testing.assert_array_equal(p, (torch.rand(256, 4096) / 16).numpy())
