"""Numpy signal steps shared by every framework's models: framing, windows, mel filterbanks."""

import numpy as np


def frame_starts(n_samples: int, sample_rate: int, hop_ms: float) -> tuple[np.ndarray, np.ndarray]:
    """Frame start offsets (into the centre-padded signal) and centre times, HEAR's naive rule.

    The signal is padded by half a frame on each side, so frame k starts at
    ``int(round(k * step))`` with ``step = hop_ms / 1000 * sample_rate`` never pre-rounded, and
    is centred on sample ``k * step`` of the unpadded signal. Frames continue while
    ``start <= n_samples``.

    Returns:
        ``(starts, timestamps_ms)``: int64 ``(T,)`` and float32 ``(T,)``.
    """
    step = hop_ms / 1000.0 * sample_rate
    n_frames = int(np.floor(n_samples / step)) + 1
    ks = np.arange(n_frames + 1)
    # Python's round (half to even) equals np.round on these float64 values.
    starts = np.array([round(k * step) for k in ks.tolist()], dtype=np.int64)
    keep = starts <= n_samples
    ks, starts = ks[keep], starts[keep]
    return starts, (ks * step / sample_rate * 1000.0).astype(np.float32)


def periodic_hann(n: int) -> np.ndarray:
    """``torch.hann_window(n)`` (periodic), float32."""
    i = np.arange(n, dtype=np.float64)
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * i / n)).astype(np.float32)


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default, htk=False)."""
    hz = np.asanyarray(hz, dtype=np.float64)
    f_sp = 200.0 / 3
    mels = hz / f_sp
    min_log_hz, logstep = 1000.0, np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    log_t = hz >= min_log_hz
    mels = np.where(log_t, min_log_mel + np.log(np.maximum(hz, 1e-10) / min_log_hz) / logstep, mels)
    return mels


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    f_sp = 200.0 / 3
    freqs = f_sp * mels
    min_log_hz, logstep = 1000.0, np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    log_t = mels >= min_log_mel
    return np.where(log_t, min_log_hz * np.exp(logstep * (mels - min_log_mel)), freqs)


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """``librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels)``: Slaney scale and norm.

    Returns:
        float32 ``(n_mels, n_fft // 2 + 1)``.
    """
    fftfreqs = np.fft.rfftfreq(n=n_fft, d=1.0 / sample_rate)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sample_rate / 2.0), n_mels + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fftfreqs)
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_f[2 : n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights.astype(np.float32)
