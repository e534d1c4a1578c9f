"""Any Hugging Face ``transformers`` audio encoder.

``load_model(folder, model_id=..., revision=..., output_layer=...)`` loads the encoder and its
own feature extractor offline (a local folder or the Hugging Face cache; ``trust_remote_code``
stays off). Families, by ``config.model_type``:

- waveform encoders (wav2vec2, HuBERT, WavLM, data2vec-audio): the extractor's normalization,
  frames every ``prod(conv_stride)`` samples (20 ms), centred on their receptive field; clips
  longer than ``WAVEFORM_WINDOW_S`` are embedded in windows of that length.
- Whisper: the encoder on the extractor's log-mel of each 30 s window (padded as Whisper
  expects), keeping the frames that cover real audio (20 ms each).
- AST: the patch grid of each ``max_length``-frame window (10.24 s), averaged over frequency
  patches, one frame per time patch (100 ms); the two summary tokens are dropped.
- CLAP (the audio tower of a ``ClapModel``): HTSAT folds time into ``freq_ratio`` bands of a
  square image; each Swin stage's output is unfolded back to time and averaged over frequency,
  one frame per time position of a 10 s window (the extractor's; a shorter window is padded as
  CLAP was trained, and only frames over real audio are kept). Stages differ in width and time
  grid, so CLAP's hidden states are the trailing stage outputs at the final width and grid
  (index 0 = the first of those).

Every hidden state is returned by ``get_layer_*`` (index 0 = the input to the first block);
the plain HEAR functions return hidden state ``output_layer`` (default: the last). A scene
embedding is the mean of a clip's frames.
"""

import hashlib
import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from hear_models.api import HEAR_SAMPLE_RATES, ModelContractError

WAVEFORM = ("wav2vec2", "hubert", "wavlm", "data2vec-audio", "unispeech", "unispeech-sat")
FAMILIES = (*WAVEFORM, "whisper", "audio-spectrogram-transformer", "clap")
WAVEFORM_WINDOW_S = 30.0
BATCH_SAMPLES = 1 << 21  # model input samples per forward call (padded windows count whole)
WEIGHT_FILES = ("*.safetensors", "*.bin")


class WeightsUnavailableError(ModelContractError):
    """No local copy of the model's files (and no network is tried)."""


def resolve(model_id: str, revision: str = "") -> Path:
    """The folder holding ``model_id``'s files: the path itself, or its snapshot in the
    Hugging Face cache (never downloaded here)."""
    path = Path(model_id).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelContractError(f"{path}: no config.json; not a Hugging Face model folder")
        return path.resolve()
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    rev = revision or "main"
    try:
        return Path(snapshot_download(model_id, revision=rev, local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError, HFValidationError, OSError) as exc:
        raise WeightsUnavailableError(
            f"{model_id}@{rev}: not in a local folder or the Hugging Face cache; with internet "
            f"run `hf download {model_id} --revision {rev}` (or pass a folder saved with "
            f"save_pretrained)"
        ) from exc


def files_sha256(folder: Path) -> str:
    """sha256 over the weight files of a model folder (names and bytes, sorted)."""
    h = hashlib.sha256()
    for pattern in WEIGHT_FILES:
        for f in sorted(folder.glob(pattern)):
            h.update(f.name.encode())
            with f.open("rb") as fh:
                for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                    h.update(block)
    return h.hexdigest()


def _receptive(kernels: list[int], strides: list[int]) -> tuple[int, int]:
    """(hop, receptive field) in samples of a stack of 1-d convolutions."""
    hop, field = 1, 1
    for k, s in zip(kernels, strides, strict=True):
        field += (k - 1) * hop
        hop *= s
    return hop, field


class HFEncoder(nn.Module):
    """A transformers audio encoder with the HEAR attributes."""

    def __init__(self, folder: Path, model_id: str, revision: str, output_layer: int | None):
        super().__init__()
        import transformers

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        config = transformers.AutoConfig.from_pretrained(folder, trust_remote_code=False)
        self.family = config.model_type
        if self.family not in FAMILIES:
            raise ModelContractError(
                f"{model_id}: a '{self.family}' model is not an audio encoder this tool wraps "
                f"(families: {', '.join(FAMILIES)})"
            )
        self.extractor = transformers.AutoFeatureExtractor.from_pretrained(folder)
        if self.family == "clap":
            self.encoder = transformers.ClapModel.from_pretrained(folder).audio_model
        else:
            self.encoder = transformers.AutoModel.from_pretrained(folder, trust_remote_code=False)
        if self.family == "whisper":
            self.encoder = self.encoder.get_encoder()
        self.config = config
        self.model_id, self.revision = model_id, revision
        self.sample_rate = int(self.extractor.sampling_rate)
        if self.sample_rate not in HEAR_SAMPLE_RATES:
            raise ModelContractError(
                f"{model_id}: sample rate {self.sample_rate} is not a HEAR rate"
            )
        self._setup_frames()
        probe = self._hidden(torch.zeros(1, min(int(self.window), self.sample_rate)))
        self.n_hidden = len(probe)
        self.hidden_size = int(probe[-1].shape[-1])
        self.first_layer = 0
        last = self.first_layer + self.n_hidden - 1
        self.output_layer = last if output_layer is None else int(output_layer)
        if not self.first_layer <= self.output_layer <= last:
            raise ModelContractError(
                f"{model_id}: layer {self.output_layer} is out of range "
                f"(hidden states {self.first_layer}..{last})"
            )
        self.scene_embedding_size = self.hidden_size
        self.timestamp_embedding_size = self.hidden_size
        self.weights_file_sha256 = files_sha256(folder)
        self.folder = folder

    def _setup_frames(self) -> None:
        """Window length and step (samples; windows tile the frame grid exactly), frame hop
        and first-frame centre (ms)."""
        sr, cfg = self.sample_rate, self.config
        if self.family in WAVEFORM:
            hop, field = _receptive(list(cfg.conv_kernel), list(cfg.conv_stride))
            self.step = int(WAVEFORM_WINDOW_S * sr) // hop * hop
            self.window = self.step + field - hop
            self.hop_ms, self.first_ms = 1000.0 * hop / sr, 1000.0 * field / 2 / sr
        elif self.family == "whisper":
            self.window = self.step = int(self.extractor.n_samples)
            self.frames_per_window = int(cfg.max_source_positions)
            self.hop_ms = 1000.0 * self.window / sr / self.frames_per_window
            self.first_ms = self.hop_ms / 2
        elif self.family == "audio-spectrogram-transformer":
            shift_ms = 10.0
            self.f_dim = (cfg.num_mel_bins - cfg.patch_size) // cfg.frequency_stride + 1
            self.t_dim = (cfg.max_length - cfg.patch_size) // cfg.time_stride + 1
            self.hop_ms = cfg.time_stride * shift_ms
            self.first_ms = cfg.patch_size * shift_ms / 2
            self.window = self.step = int(self.t_dim * self.hop_ms * sr / 1000)
        else:  # clap: the hop comes from the last stage's grid (``_clap_grid``)
            self.window = self.step = int(self.extractor.nb_max_samples)
            audio_cfg = cfg.audio_config
            self.freq_ratio = audio_cfg.spec_size // audio_cfg.num_mel_bins
            self.fusion = bool(audio_cfg.enable_fusion)
            self.hop_ms, self.first_ms = 0.0, 0.0

    def _features(self, audio: torch.Tensor) -> dict[str, torch.Tensor]:
        arrays = [a for a in audio.detach().cpu().numpy().astype(np.float32)]
        kwargs = {}
        if self.family == "clap":  # windows never exceed the extractor's length
            kwargs["truncation"] = "fusion" if self.fusion else "rand_trunc"
        feats = self.extractor(
            arrays, sampling_rate=self.sample_rate, return_tensors="pt", **kwargs
        )
        device = next(self.encoder.parameters()).device
        keep = {"input_values", "input_features", "is_longer"}
        return {k: v.to(device) for k, v in feats.items() if k in keep}

    def _hidden(self, window: torch.Tensor) -> list[torch.Tensor]:
        """Every hidden state ``(n, frames, d)`` of one window of audio ``(n, samples)``."""
        with torch.no_grad():
            out = self.encoder(**self._features(window), output_hidden_states=True)
        if self.family == "audio-spectrogram-transformer":
            n = window.shape[0]
            return [
                h[:, 2:].reshape(n, self.f_dim, self.t_dim, -1).mean(dim=1)
                for h in out.hidden_states
            ]
        if self.family == "clap":
            return self._clap_grid([self._unfold(h) for h in out.hidden_states])
        return list(out.hidden_states)

    def _unfold(self, image: torch.Tensor) -> torch.Tensor:
        """A Swin stage output ``(n, C, H, W)`` → ``(n, ratio * W, C)``: the ``ratio`` bands of
        rows are consecutive stretches of time; averaged over the frequency rows of each."""
        n, c, h, w = image.shape
        bands = image.reshape(n, c, self.freq_ratio, h // self.freq_ratio, w).mean(dim=3)
        return bands.reshape(n, c, self.freq_ratio * w).transpose(1, 2)

    def _clap_grid(self, states: list[torch.Tensor]) -> list[torch.Tensor]:
        """The trailing states sharing the last one's width and time grid."""
        keep = [h for h in states if h.shape[1:] == states[-1].shape[1:]]
        if not self.hop_ms:
            self.hop_ms = 1000.0 * self.window / self.sample_rate / states[-1].shape[1]
            self.first_ms = self.hop_ms / 2
        return keep

    def _frames_in(self, n_samples: int, produced: int) -> int:
        """How many of a window's frames cover real audio."""
        if self.family in WAVEFORM:
            return min(produced, round(self.step / (self.hop_ms * self.sample_rate / 1000.0)))
        hop = self.hop_ms * self.sample_rate / 1000.0
        return max(1, min(produced, math.ceil(n_samples / hop)))

    def _hidden_batched(self, window: torch.Tensor) -> list[torch.Tensor]:
        """``_hidden`` over clips in groups of at most ``BATCH_SAMPLES`` of model input (the
        padded window counts whole), halving the group on a GPU out-of-memory error."""
        size = max(1, BATCH_SAMPLES // max(self.window, 1))
        while True:
            try:
                parts = [
                    self._hidden(window[i : i + size]) for i in range(0, window.shape[0], size)
                ]
                return [torch.cat([p[j] for p in parts]) for j in range(len(parts[0]))]
            except torch.cuda.OutOfMemoryError:
                if size == 1:
                    raise
                torch.cuda.empty_cache()
                size //= 2

    def hidden_states(self, audio: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """``[(n, T, d)] * n_hidden`` over the whole clips and ``(n, T)`` timestamps (ms)."""
        per_layer: list[list[torch.Tensor]] = []
        stamps: list[torch.Tensor] = []
        total = audio.shape[1]
        for start in range(0, max(total, 1), self.step):
            piece = audio[:, start : start + self.window]
            states = self._hidden_batched(piece)[self.first_layer :]
            keep = self._frames_in(min(piece.shape[1], self.step), states[-1].shape[1])
            if not per_layer:
                per_layer = [[] for _ in states]
            for i, h in enumerate(states):
                per_layer[i].append(h[:, :keep])
            offset = 1000.0 * start / self.sample_rate
            stamps.append(offset + self.first_ms + self.hop_ms * torch.arange(keep))
        ts = torch.cat(stamps).to(torch.float32)
        return [torch.cat(p, dim=1).float() for p in per_layer], ts.expand(audio.shape[0], -1)


def load_model(
    model_file_path: str = "",
    model_id: str = "",
    revision: str = "",
    output_layer: int | None = None,
) -> HFEncoder:
    """Load ``model_id`` (or the folder ``model_file_path``) offline."""
    source = model_file_path or model_id
    if not source:
        raise ModelContractError("hear_models.huggingface needs model_id or a folder")
    folder = resolve(source, revision)
    return HFEncoder(folder, model_id or source, revision, output_layer).eval()


def get_layer_timestamp_embeddings(
    audio: torch.Tensor, model: HFEncoder
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(n_hidden, n, T, d)`` every hidden state, and ``(n, T)`` timestamps."""
    states, ts = model.hidden_states(audio)
    return torch.stack(states), ts


def get_layer_scene_embeddings(audio: torch.Tensor, model: HFEncoder) -> torch.Tensor:
    """``(n_hidden, n, d)``: each hidden state averaged over a clip's frames."""
    states, _ = model.hidden_states(audio)
    return torch.stack([h.mean(dim=1) for h in states])


def get_timestamp_embeddings(
    audio: torch.Tensor, model: HFEncoder
) -> tuple[torch.Tensor, torch.Tensor]:
    """Hidden state ``output_layer`` every frame, with timestamps."""
    states, ts = model.hidden_states(audio)
    return states[model.output_layer - model.first_layer], ts


def get_scene_embeddings(audio: torch.Tensor, model: HFEncoder) -> torch.Tensor:
    """Hidden state ``output_layer`` averaged over each clip's frames."""
    emb, _ = get_timestamp_embeddings(audio, model)
    return emb.mean(dim=1)
