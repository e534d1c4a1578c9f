"""Framing and filterbank maths shared by every framework's models."""

import numpy as np
import pytest

from hear_models.audio import frame_starts, mel_filterbank, periodic_hann


@pytest.mark.parametrize(
    ("seconds", "hop_ms", "frames"),
    [(1.07, 50, 22), (1.07, 250, 5), (4.0, 50, 81), (4.0, 250, 17), (120.0, 50, 2401)],
)
def test_frame_counts_match_the_hear_baseline(seconds: float, hop_ms: int, frames: int) -> None:
    starts, ts = frame_starts(int(seconds * 44100), 44100, hop_ms)
    assert len(starts) == len(ts) == frames
    assert ts[0] == 0.0
    np.testing.assert_allclose(np.diff(ts), hop_ms, atol=1e-3)


def test_frame_starts_round_half_to_even_without_pre_rounding() -> None:
    # 25 ms at 44.1 kHz is 1102.5 samples: starts alternate by rounding half to even.
    starts, ts = frame_starts(44100, 44100, 25)
    assert starts[:4].tolist() == [0, 1102, 2205, 3308]
    assert ts[1] == pytest.approx(25.0)
    assert starts[-1] <= 44100


def test_periodic_hann_matches_torch() -> None:
    import torch

    np.testing.assert_allclose(periodic_hann(4096), torch.hann_window(4096).numpy(), atol=1e-6)


def test_mel_filterbank_matches_librosa() -> None:
    librosa = pytest.importorskip("librosa")
    ours = mel_filterbank(44100, 4096, 256)
    ref = librosa.filters.mel(sr=44100, n_fft=4096, n_mels=256)
    assert ours.shape == (256, 2049)
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-8)
