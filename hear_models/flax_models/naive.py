"""HEAR's naive baseline in JAX/Flax, numerically equal to ``hear_models.torch_models.naive``.

One weights source: the window, the mel filterbank and the projection are the torch model's
arrays (torch's RNG cannot be replayed in JAX), passed in as Flax variables. Framing uses the
same host-side ``frame_starts`` rule, so timestamps are identical.
"""

from functools import partial
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from hear_models.audio import frame_starts

SAMPLE_RATE = 44100
N_FFT = 4096
N_MELS = 256
EMBEDDING_SIZE = 4096
EPSILON = 1e-4
TIMESTAMP_HOP_MS = 50
SCENE_HOP_MS = 250


class MelProjection(nn.Module):
    """Frames ``(n, 4096)`` → embeddings ``(n, 4096)``; all weights are constant variables."""

    @nn.compact
    def __call__(self, frames: jax.Array) -> jax.Array:
        window = self.variable("consts", "window", jnp.zeros, (N_FFT,)).value
        mel_scale = self.variable("consts", "mel_scale", jnp.zeros, (N_MELS, N_FFT // 2 + 1)).value
        proj = self.param("projection", nn.initializers.zeros, (N_MELS, EMBEDDING_SIZE))
        power = jnp.abs(jnp.fft.rfft(frames * window)) ** 2
        mel = jnp.matmul(power, mel_scale.T, precision="highest")
        return jnp.matmul(jnp.log(mel + EPSILON), proj, precision="highest")


class NaiveFlaxModel:
    """The loaded model: the Flax module, its variables and the HEAR API attributes."""

    sample_rate = SAMPLE_RATE
    scene_embedding_size = EMBEDDING_SIZE
    timestamp_embedding_size = EMBEDDING_SIZE

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.module = MelProjection()
        self.variables: dict[str, Any] = {
            "params": {"projection": jnp.asarray(arrays["projection"], jnp.float32)},
            "consts": {
                "window": jnp.asarray(arrays["window"], jnp.float32),
                "mel_scale": jnp.asarray(arrays["mel_scale"], jnp.float32),
            },
        }


def default_arrays() -> dict[str, np.ndarray]:
    """The PyTorch naive model's arrays (torch's window and seeded projection)."""
    from hear_models.torch_models.naive import naive_arrays

    return naive_arrays()


def load_model(model_file_path: str = "") -> NaiveFlaxModel:
    """Build the model; ``model_file_path`` may name an ``.npz`` of the three arrays."""
    if model_file_path:
        with np.load(model_file_path, allow_pickle=False) as f:
            return NaiveFlaxModel({k: f[k] for k in ("window", "mel_scale", "projection")})
    return NaiveFlaxModel(default_arrays())


@partial(jax.jit, static_argnums=(0,))
def _apply(module: MelProjection, variables: dict, padded: jax.Array, idx: jax.Array) -> jax.Array:
    frames = jnp.take(padded, idx, axis=1)  # (n_sounds, T, N_FFT)
    n_sounds, n_frames = frames.shape[:2]
    out = module.apply(variables, frames.reshape(-1, N_FFT))
    return out.reshape(n_sounds, n_frames, EMBEDDING_SIZE)


def _embed_frames(audio: Any, model: NaiveFlaxModel, hop_ms: float) -> tuple[jax.Array, jax.Array]:
    audio = jnp.asarray(audio, jnp.float32)
    if audio.ndim != 2:
        raise ValueError(f"audio must be (n_sounds, n_samples), got shape {tuple(audio.shape)}")
    n_sounds, n_samples = audio.shape
    starts, ts = frame_starts(n_samples, SAMPLE_RATE, hop_ms)
    padded = jnp.pad(audio, ((0, 0), (N_FFT // 2, N_FFT - N_FFT // 2)))
    idx = jnp.asarray(starts[:, None] + np.arange(N_FFT)[None, :])
    emb = _apply(model.module, model.variables, padded, idx)
    return emb, jnp.broadcast_to(jnp.asarray(ts), (n_sounds, len(ts)))


def get_timestamp_embeddings(audio: Any, model: NaiveFlaxModel) -> tuple[jax.Array, jax.Array]:
    """``(n_sounds, n_samples)`` → ``(n_sounds, T, 4096)`` and centre times ``(n_sounds, T)`` ms."""
    return _embed_frames(audio, model, TIMESTAMP_HOP_MS)


def get_scene_embeddings(audio: Any, model: NaiveFlaxModel) -> jax.Array:
    """``(n_sounds, n_samples)`` → ``(n_sounds, 4096)``: mean over 250 ms-hop frames."""
    emb, _ = _embed_frames(audio, model, SCENE_HOP_MS)
    return emb.mean(axis=1)
