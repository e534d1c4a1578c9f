"""A small log-mel convnet trained per task (the original design's learned baseline), PyTorch.

16 kHz input; 40 ms Hann frames every 20 ms → 64 Slaney mel bands → ``log(x + 1e-6)``,
standardized with statistics of the training audio → three 3×3 conv blocks (ReLU, frequency
pooling) → a 128-d frame embedding every 20 ms. The scene embedding is the mean over frames.
``load_model(path)`` reads a checkpoint written by ``train``; without one the weights are a
seeded random initialization (a valid, untrained HEAR module).
"""

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from hear_models.audio import frame_starts, mel_filterbank
from hear_models.torch_models.adam import Adam

SAMPLE_RATE = 16000
N_FFT = 640  # 40 ms
HOP_MS = 20.0
N_MELS = 64
EMBEDDING_SIZE = 128
SEED = 0


class LogMel(nn.Module):
    """Centre-padded framing (HEAR's rule), power spectrum, mel, log, standardization."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("window", torch.hann_window(N_FFT))
        self.register_buffer("mel", torch.from_numpy(mel_filterbank(SAMPLE_RATE, N_FFT, N_MELS)))
        self.register_buffer("mean", torch.zeros(N_MELS))
        self.register_buffer("std", torch.ones(N_MELS))

    def forward(self, audio: torch.Tensor) -> tuple[torch.Tensor, np.ndarray]:
        """``(B, n)`` → ``(B, T, 64)`` standardized log-mel frames and their centres in ms."""
        starts, ts = frame_starts(audio.shape[1], SAMPLE_RATE, HOP_MS)
        padded = nn.functional.pad(audio, (N_FFT // 2, N_FFT - N_FFT // 2))
        idx = torch.from_numpy(starts)[:, None] + torch.arange(N_FFT)[None, :]
        frames = padded[:, idx.to(audio.device)] * self.window
        power = torch.abs(torch.fft.rfft(frames)) ** 2
        logmel = torch.log(power @ self.mel.T + 1e-6)
        return (logmel - self.mean) / self.std, ts


class ConvEncoder(nn.Module):
    """Log-mel frames → 128-d frame embeddings (same frame rate)."""

    sample_rate = SAMPLE_RATE
    scene_embedding_size = EMBEDDING_SIZE
    timestamp_embedding_size = EMBEDDING_SIZE

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(SEED)
        self.frontend = LogMel()
        blocks: list[nn.Module] = []
        for c_in, c_out in ((1, 16), (16, 32), (32, 32)):
            blocks += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.MaxPool2d((1, 2))]
        self.conv = nn.Sequential(*blocks)
        self.project = nn.Linear(32 * (N_MELS // 8), EMBEDDING_SIZE)

    def forward(self, audio: torch.Tensor) -> tuple[torch.Tensor, np.ndarray]:
        """``(B, n)`` audio → ``(B, T, 128)`` frame embeddings and centres in ms."""
        x, ts = self.frontend(audio)
        h = self.conv(x.unsqueeze(1))  # (B, C, T, F')
        h = h.permute(0, 2, 1, 3).flatten(2)
        return torch.relu(self.project(h)), ts


def load_model(model_file_path: str = "") -> ConvEncoder:
    """The encoder, with trained weights from a ``train`` checkpoint if a path is given."""
    model = ConvEncoder()
    if model_file_path:
        state = torch.load(model_file_path, map_location="cpu", weights_only=True)
        model.load_state_dict(state["encoder"])
    return model.eval()


def get_timestamp_embeddings(audio: torch.Tensor, model: ConvEncoder):
    """``(n_sounds, n_samples)`` → ``(n_sounds, T, 128)`` and centre times in ms."""
    if audio.ndim != 2:
        raise ValueError(f"audio must be (n_sounds, n_samples), got {tuple(audio.shape)}")
    with torch.no_grad():
        emb, ts = model(audio)
    return emb, torch.from_numpy(ts).to(audio.device).expand(audio.shape[0], -1)


def get_scene_embeddings(audio: torch.Tensor, model: ConvEncoder) -> torch.Tensor:
    """``(n_sounds, n_samples)`` → ``(n_sounds, 128)``: mean of the frame embeddings."""
    emb, _ = get_timestamp_embeddings(audio, model)
    return emb.mean(dim=1)


def _loss(kind: str, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if kind == "multiclass":
        return nn.functional.cross_entropy(logits, y.argmax(-1))
    return nn.functional.binary_cross_entropy_with_logits(logits, y)


def train(
    train_set: dict[str, Any],
    valid_set: dict[str, Any],
    max_epochs: int = 30,
    patience: int = 4,
    batch_size: int = 32,
    lr: float = 1e-3,
    log: Callable[[str], None] | None = None,
) -> tuple[dict[str, Any], list[dict[str, float]]]:
    """Train the encoder with a linear head on one task's training split.

    Args:
        train_set, valid_set: ``{"audio": (N, n) float32, "kind": "multiclass"|"multilabel"|
            "frames"|"pairs", "y": targets}``. Scene targets are ``(N, K)``; frame targets
            ``(N, T, K)`` (multilabel per frame); pair sets hold ``"pairs": (P, 2)`` indices and
            ``"y": (P,)`` target distances (0 = same, 1 = perceptibly different).
        max_epochs, patience: early stopping on the validation loss.

    Returns:
        ``(checkpoint, curve)``: the best checkpoint (``{"encoder": state_dict}``) and one
        ``{"epoch", "train_loss", "valid_loss"}`` per epoch.
    """
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True, warn_only=True)
    model = ConvEncoder()
    with torch.no_grad():
        mel, _ = model.frontend(torch.from_numpy(train_set["audio"][:256]))
        flat = mel.reshape(-1, N_MELS) * model.frontend.std + model.frontend.mean
        model.frontend.mean.copy_(flat.mean(0))
        model.frontend.std.copy_(flat.std(0).clamp_min(1e-3))
    kind = train_set["kind"]
    n_out = 1 if kind == "pairs" else train_set["y"].shape[-1]
    head = nn.Linear(EMBEDDING_SIZE, n_out)
    opt = Adam([*model.parameters(), *head.parameters()], lr=lr)
    gen = torch.Generator().manual_seed(SEED)

    def batch_loss(data: dict[str, Any], idx: np.ndarray) -> torch.Tensor:
        if kind == "pairs":
            pairs = data["pairs"][idx]
            audio = torch.from_numpy(data["audio"][pairs.ravel()])
            emb, _ = model(audio)
            emb = emb.reshape(len(idx), 2, -1)
            dist = (emb[:, 0] - emb[:, 1]).abs().mean(-1)
            target = torch.from_numpy(data["y"][idx]).float()
            return ((dist - target) ** 2).mean()
        emb, _ = model(torch.from_numpy(data["audio"][idx]))
        y = torch.from_numpy(data["y"][idx])
        if kind == "frames":
            t = min(emb.shape[1], y.shape[1])
            return _loss("multilabel", head(emb[:, :t]), y[:, :t])
        return _loss(kind, head(emb.mean(1)), y)

    def n_items(data: dict[str, Any]) -> int:
        return len(data["pairs"]) if kind == "pairs" else len(data["audio"])

    best, best_loss, stale, curve = None, math.inf, 0, []
    for epoch in range(max_epochs):
        model.train()
        order = torch.randperm(n_items(train_set), generator=gen).numpy()
        losses = []
        for i in range(0, len(order), batch_size):
            opt.zero_grad()
            loss = batch_loss(train_set, order[i : i + batch_size])
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
        model.eval()
        with torch.no_grad():
            idx = np.arange(n_items(valid_set))
            valid = (
                float(
                    np.mean(
                        [
                            float(batch_loss(valid_set, idx[i : i + batch_size]))
                            for i in range(0, len(idx), batch_size)
                        ]
                    )
                )
                if len(idx)
                else float(np.mean(losses))
            )
        curve.append({"epoch": epoch, "train_loss": float(np.mean(losses)), "valid_loss": valid})
        if log:
            log(f"epoch {epoch}: train {curve[-1]['train_loss']:.4f} valid {valid:.4f}")
        if valid < best_loss - 1e-4:
            best_loss, stale = valid, 0
            best = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            stale += 1
            if stale >= patience:
                break
    assert best is not None
    return {"encoder": best}, curve
