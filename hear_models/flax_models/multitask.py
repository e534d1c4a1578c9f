"""A multi-task embedding in JAX/Flax: one encoder trained over many tasks at once.

16 kHz input; 40 ms Hann frames every 20 ms → 64 Slaney mel bands → log, standardized → two
temporal convolutions (width 5) → a 128-d frame embedding every 20 ms; the scene embedding is
the mean over frames. Training puts one linear head per task on it (on the mean for scene
tasks, on every frame for event tasks) and minimizes the mean of the per-task losses, one
batch of every task per step, so large tasks do not drown small ones. ``load_model(path)``
reads the encoder from an ``.npz`` written by ``train``; without one it is a seeded random
initialization (a valid, untrained HEAR module).
"""

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax.traverse_util import flatten_dict, unflatten_dict

from hear_models.audio import frame_starts, mel_filterbank

SAMPLE_RATE = 16000
N_FFT = 640
HOP_MS = 20.0
N_MELS = 64
EMBEDDING_SIZE = 128
SEED = 0


class Encoder(nn.Module):
    """Standardized log-mel frames ``(B, T, 64)`` → frame embeddings ``(B, T, 128)``."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        x = nn.relu(nn.Conv(128, (5,), padding="SAME")(x))
        x = nn.relu(nn.Conv(128, (5,), padding="SAME")(x))
        return nn.relu(nn.Dense(EMBEDDING_SIZE)(x))


def log_mel(audio: jax.Array, mel: jax.Array, window: jax.Array) -> tuple[jax.Array, np.ndarray]:
    """``(B, n)`` → ``(B, T, 64)`` log-mel frames (HEAR's centre-padded framing) and centres."""
    starts, ts = frame_starts(audio.shape[1], SAMPLE_RATE, HOP_MS)
    padded = jnp.pad(audio, ((0, 0), (N_FFT // 2, N_FFT - N_FFT // 2)))
    frames = jnp.take(padded, jnp.asarray(starts[:, None] + np.arange(N_FFT)), axis=1) * window
    power = jnp.abs(jnp.fft.rfft(frames)) ** 2
    return jnp.log(jnp.matmul(power, mel.T, precision="highest") + 1e-6), ts


class MultitaskModel:
    """The loaded encoder with the HEAR API attributes."""

    sample_rate = SAMPLE_RATE
    scene_embedding_size = EMBEDDING_SIZE
    timestamp_embedding_size = EMBEDDING_SIZE

    def __init__(self, params: dict, mean: np.ndarray, std: np.ndarray) -> None:
        self.encoder = Encoder()
        self.params = params
        self.mean, self.std = jnp.asarray(mean), jnp.asarray(std)
        self.mel = jnp.asarray(mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS))
        self.window = jnp.asarray(
            0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT), jnp.float32
        )


def _init_params() -> dict:
    return Encoder().init(jax.random.PRNGKey(SEED), jnp.zeros((1, 8, N_MELS)))["params"]


def load_model(model_file_path: str = "") -> MultitaskModel:
    """The encoder; trained weights from a ``train`` checkpoint (.npz) if a path is given."""
    if not model_file_path:
        return MultitaskModel(_init_params(), np.zeros(N_MELS), np.ones(N_MELS))
    with np.load(model_file_path, allow_pickle=False) as f:
        flat = {
            tuple(k.split("/")[1:]): jnp.asarray(f[k]) for k in f.files if k.startswith("encoder/")
        }
        return MultitaskModel(unflatten_dict(flat), f["mel_mean"], f["mel_std"])


@partial(jax.jit, static_argnums=(0,))
def _embed(encoder: Encoder, params: dict, x: jax.Array) -> jax.Array:
    return encoder.apply({"params": params}, x)


def get_timestamp_embeddings(audio: Any, model: MultitaskModel) -> tuple[jax.Array, jax.Array]:
    """``(n_sounds, n_samples)`` → ``(n_sounds, T, 128)`` and centre times in ms."""
    audio = jnp.asarray(audio, jnp.float32)
    if audio.ndim != 2:
        raise ValueError(f"audio must be (n_sounds, n_samples), got {tuple(audio.shape)}")
    x, ts = log_mel(audio, model.mel, model.window)
    emb = _embed(model.encoder, model.params, (x - model.mean) / model.std)
    return emb, jnp.broadcast_to(jnp.asarray(ts), (audio.shape[0], len(ts)))


def get_scene_embeddings(audio: Any, model: MultitaskModel) -> jax.Array:
    """``(n_sounds, n_samples)`` → ``(n_sounds, 128)``: mean of the frame embeddings."""
    emb, _ = get_timestamp_embeddings(audio, model)
    return emb.mean(axis=1)


def _task_loss(kind: str, emb: jax.Array, head: dict, y: jax.Array) -> jax.Array:
    if kind == "frames":
        t = min(emb.shape[1], y.shape[1])
        logits = emb[:, :t] @ head["w"] + head["b"]
        return optax.sigmoid_binary_cross_entropy(logits, y[:, :t]).mean()
    logits = emb.mean(1) @ head["w"] + head["b"]
    if kind == "multiclass":
        return optax.softmax_cross_entropy(logits, y).mean()
    return optax.sigmoid_binary_cross_entropy(logits, y).mean()


def train(
    sets: dict[str, tuple[dict[str, Any], dict[str, Any]]],
    max_epochs: int = 25,
    patience: int = 4,
    batch_size: int = 16,
    lr: float = 1e-3,
    log: Callable[[str], None] | None = None,
) -> tuple[dict[str, np.ndarray], list[dict[str, float]]]:
    """Train the shared encoder with one head per task.

    Args:
        sets: ``{task: (train_set, valid_set)}`` with ``audio (N, n)`` at 16 kHz, ``kind``
            (``multiclass``, ``multilabel`` or ``frames``) and targets ``y``.

    Returns:
        ``(checkpoint, curve)``: encoder arrays (``encoder/...``, ``mel_mean``, ``mel_std``) of
        the epoch with the lowest mean validation loss, and the per-epoch losses.
    """
    model = load_model()
    mel_frames = np.concatenate(
        [
            np.asarray(log_mel(jnp.asarray(tr["audio"][:64]), model.mel, model.window)[0]).reshape(
                -1, N_MELS
            )
            for tr, _ in sets.values()
        ]
    )
    mean, std = mel_frames.mean(0), np.maximum(mel_frames.std(0), 1e-3)
    rng = np.random.default_rng(SEED)
    key = jax.random.PRNGKey(SEED + 1)
    heads = {}
    for i, (task, (tr, _)) in enumerate(sorted(sets.items())):
        k = tr["y"].shape[-1]
        w = jax.random.normal(jax.random.fold_in(key, i), (EMBEDDING_SIZE, k)) * 0.05
        heads[task] = {"w": w, "b": jnp.zeros(k)}
    state = {"encoder": model.params, "heads": heads}
    opt = optax.adam(lr)
    opt_state = opt.init(state)
    encoder = model.encoder
    kinds = {t: tr["kind"] for t, (tr, _) in sets.items()}

    def features(audio: jax.Array) -> jax.Array:
        return (log_mel(audio, model.mel, model.window)[0] - mean) / std

    def loss_fn(state: dict, batches: dict[str, tuple[jax.Array, jax.Array]]) -> jax.Array:
        losses = [
            _task_loss(
                kinds[t], encoder.apply({"params": state["encoder"]}, x), state["heads"][t], y
            )
            for t, (x, y) in sorted(batches.items())
        ]
        return jnp.mean(jnp.stack(losses))

    @jax.jit
    def step(state: dict, opt_state: Any, batches: dict) -> tuple[dict, Any, jax.Array]:
        loss, grads = jax.value_and_grad(loss_fn)(state, batches)
        updates, opt_state = opt.update(grads, opt_state, state)
        return optax.apply_updates(state, updates), opt_state, loss

    valid_loss = jax.jit(loss_fn)
    feats = {
        t: (
            features(jnp.asarray(tr["audio"])),
            jnp.asarray(tr["y"]),
            features(jnp.asarray(va["audio"])),
            jnp.asarray(va["y"]),
        )
        for t, (tr, va) in sets.items()
    }
    n_steps = max(math.ceil(len(tr["audio"]) / batch_size) for tr, _ in sets.values())
    best, best_loss, stale, curve = None, math.inf, 0, []
    for epoch in range(max_epochs):
        perms = {t: rng.permutation(len(f[0])) for t, f in feats.items()}
        losses = []
        for s in range(n_steps):
            batches = {}
            for t, (x, y, _, _) in feats.items():
                idx = np.resize(perms[t], (s + 1) * batch_size)[s * batch_size :]
                batches[t] = (x[idx], y[idx])
            state, opt_state, loss = step(state, opt_state, batches)
            losses.append(float(loss))
        valid = float(valid_loss(state, {t: (f[2], f[3]) for t, f in feats.items()}))
        curve.append({"epoch": epoch, "train_loss": float(np.mean(losses)), "valid_loss": valid})
        if log:
            log(f"epoch {epoch}: train {curve[-1]['train_loss']:.4f} valid {valid:.4f}")
        if valid < best_loss - 1e-4:
            best_loss, stale, best = valid, 0, state["encoder"]
        else:
            stale += 1
            if stale >= patience:
                break
    assert best is not None
    checkpoint = {"encoder/" + "/".join(k): np.asarray(v) for k, v in flatten_dict(best).items()}
    checkpoint["mel_mean"], checkpoint["mel_std"] = mean.astype(np.float32), std.astype(np.float32)
    return checkpoint, curve
