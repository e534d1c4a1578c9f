"""The HEAR model API as data: sample rates, the module protocol and the error hierarchy."""

from typing import Any, Protocol

import numpy as np

HEAR_SAMPLE_RATES = (16000, 22050, 32000, 44100, 48000)


class HearError(Exception):
    """Base of every error this project raises on purpose (an ``Exception``, unlike HEAR's)."""


class UnknownModelError(HearError, KeyError):
    """A model name that is neither built in nor registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ModelContractError(HearError):
    """A model broke the HEAR API: wrong shape, dtype, NaN, timestamps out of order."""


class HearModule(Protocol):
    """What a HEAR API module exposes at module level."""

    def load_model(self, model_file_path: str = "", **options: Any) -> Any: ...

    def get_scene_embeddings(self, audio: Any, model: Any) -> Any: ...

    def get_timestamp_embeddings(self, audio: Any, model: Any) -> tuple[Any, Any]: ...


def check_sample_rate(sample_rate: int, who: str) -> None:
    """Raise ModelContractError unless ``sample_rate`` is one of the five HEAR rates."""
    if sample_rate not in HEAR_SAMPLE_RATES:
        raise ModelContractError(
            f"{who}: sample_rate {sample_rate} is not a HEAR rate {list(HEAR_SAMPLE_RATES)}"
        )


def check_embeddings(
    emb: np.ndarray, n_sounds: int, dim: int, who: str, timestamps: np.ndarray | None = None
) -> None:
    """Validate one batch of embeddings (and timestamps) returned by a model.

    Args:
        emb: ``(n_sounds, d)`` scene or ``(n_sounds, T, d)`` timestamp embeddings.
        n_sounds: clips in the batch.
        dim: the size the model declares.
        who: names the model and the clips in error messages.
        timestamps: ``(n_sounds, T)`` in ms, for timestamp embeddings.
    """
    if emb.dtype != np.float32:
        raise ModelContractError(f"{who}: embeddings are {emb.dtype}, expected float32")
    want_ndim = 2 if timestamps is None else 3
    if emb.ndim != want_ndim or emb.shape[0] != n_sounds or emb.shape[-1] != dim:
        raise ModelContractError(
            f"{who}: embeddings have shape {tuple(emb.shape)}, expected "
            f"({n_sounds}, {'T, ' if timestamps is not None else ''}{dim})"
        )
    if not np.isfinite(emb).all():
        bad = int((~np.isfinite(emb)).any(axis=tuple(range(1, emb.ndim))).sum())
        raise ModelContractError(f"{who}: {bad} of {n_sounds} clips have NaN or inf embeddings")
    if timestamps is not None:
        if timestamps.shape != emb.shape[:2]:
            raise ModelContractError(
                f"{who}: timestamps have shape {tuple(timestamps.shape)}, "
                f"expected {tuple(emb.shape[:2])}"
            )
        if timestamps.shape[1] > 1 and not (np.diff(timestamps, axis=1) > 0).all():
            raise ModelContractError(f"{who}: timestamps are not strictly increasing")
