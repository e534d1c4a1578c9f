"""HEAR's naive baseline in PyTorch: log-mel power spectrum followed by a random projection.

A faithful port of ``hearbaseline.naive`` (see docs/hear-reference.md §3.1): 44.1 kHz, 4096-sample
Hann frames, 256 Slaney mel bands, ``ln(mel + 1e-4)`` projected to 4096 dimensions by a matrix
drawn as ``torch.rand(256, 4096) / 16`` after seeding 0; 50 ms hop for timestamp embeddings and
a 250 ms hop averaged over time for scene embeddings. Unlike the original it seeds a private
generator rather than re-seeding torch's global one.
"""

import math

import numpy as np
import torch

from hear_models.audio import frame_starts, mel_filterbank

SAMPLE_RATE = 44100
N_FFT = 4096
N_MELS = 256
EMBEDDING_SIZE = 4096
SEED = 0
EPSILON = 1e-4
TIMESTAMP_HOP_MS = 50
SCENE_HOP_MS = 250
BATCH_SIZE = 512  # frames per forward pass


def naive_projection() -> np.ndarray:
    """The projection matrix, float32 ``(256, 4096)``: torch's ``rand`` after ``manual_seed(0)``."""
    gen = torch.Generator().manual_seed(SEED)
    return (torch.rand(N_MELS, EMBEDDING_SIZE, generator=gen) / math.sqrt(N_MELS)).numpy()


def naive_arrays() -> dict[str, np.ndarray]:
    """The model's three arrays as float32 numpy: ``window``, ``mel_scale``, ``projection``.

    The JAX/Flax port loads exactly these, so both frameworks share one weights source.
    """
    return {
        "window": torch.hann_window(N_FFT).numpy(),
        "mel_scale": mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS),
        "projection": naive_projection(),
    }


class RandomProjectionMelEmbedding(torch.nn.Module):
    """Mel spectrum of one frame → random projection; attributes follow the HEAR API."""

    sample_rate = SAMPLE_RATE
    scene_embedding_size = EMBEDDING_SIZE
    timestamp_embedding_size = EMBEDDING_SIZE

    def __init__(self) -> None:
        super().__init__()
        arrays = naive_arrays()
        self.register_buffer("window", torch.from_numpy(arrays["window"]))
        self.register_buffer("mel_scale", torch.from_numpy(arrays["mel_scale"]))
        self.projection = torch.nn.Parameter(torch.from_numpy(arrays["projection"]))

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """``(n_frames, 4096)`` float32 samples → ``(n_frames, 4096)`` embeddings."""
        spec = torch.fft.rfft(frames * self.window)
        power = torch.abs(spec) ** 2.0
        mel = torch.matmul(power, self.mel_scale.transpose(0, 1))
        return torch.matmul(torch.log(mel + EPSILON), self.projection)


def load_model(model_file_path: str = "") -> RandomProjectionMelEmbedding:
    """Build the model; ``model_file_path`` may name a saved state dict (``naive_baseline.pt``)."""
    model = RandomProjectionMelEmbedding()
    if model_file_path:
        model.load_state_dict(torch.load(model_file_path, map_location="cpu", weights_only=True))
    return model


def _embed_frames(
    audio: torch.Tensor, model: RandomProjectionMelEmbedding, hop_ms: float
) -> tuple[torch.Tensor, torch.Tensor]:
    if audio.ndim != 2:
        raise ValueError(f"audio must be (n_sounds, n_samples), got shape {tuple(audio.shape)}")
    n_sounds, n_samples = audio.shape
    starts, ts = frame_starts(n_samples, SAMPLE_RATE, hop_ms)
    padded = torch.nn.functional.pad(audio, (N_FFT // 2, N_FFT - N_FFT // 2))
    idx = torch.from_numpy(starts)[:, None] + torch.arange(N_FFT)[None, :]
    idx = idx.to(audio.device)
    frames = padded[:, idx].reshape(-1, N_FFT)  # (n_sounds * T, N_FFT)
    with torch.no_grad():
        out = torch.cat([model(chunk) for chunk in frames.split(BATCH_SIZE)], dim=0)
    emb = out.reshape(n_sounds, len(starts), EMBEDDING_SIZE)
    timestamps = torch.from_numpy(ts).to(audio.device).expand(n_sounds, -1)
    return emb, timestamps


def get_timestamp_embeddings(
    audio: torch.Tensor, model: RandomProjectionMelEmbedding
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(n_sounds, n_samples)`` → ``(n_sounds, T, 4096)`` and centre times ``(n_sounds, T)`` ms."""
    return _embed_frames(audio, model, TIMESTAMP_HOP_MS)


def get_scene_embeddings(audio: torch.Tensor, model: RandomProjectionMelEmbedding) -> torch.Tensor:
    """``(n_sounds, n_samples)`` → ``(n_sounds, 4096)``: mean over 250 ms-hop frames."""
    emb, _ = _embed_frames(audio, model, SCENE_HOP_MS)
    return emb.mean(dim=1)
