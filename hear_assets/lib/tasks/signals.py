"""Signal primitives for the synthetic tasks: float64 mono arrays in [-1, 1], seeded."""

import numpy as np

# scipy.signal is imported where it is used: importing it parses ~800 docstrings (1.5 s), which
# every process that imports the task catalogue (each `hear-assets` command, each worker) paid.


def midi_hz(pitch: float) -> float:
    """Frequency of a (fractional) MIDI pitch."""
    return 440.0 * 2.0 ** ((pitch - 69.0) / 12.0)


def times(duration_s: float, sample_rate: int) -> np.ndarray:
    """Sample times in seconds."""
    return np.arange(int(round(duration_s * sample_rate))) / sample_rate


def normalize(x: np.ndarray, peak: float) -> np.ndarray:
    """Scale to the given peak amplitude."""
    return x * (peak / max(float(np.abs(x).max()), 1e-12))


def harmonic(f0: float, amps: np.ndarray, phases: np.ndarray, t: np.ndarray, sr: int) -> np.ndarray:
    """A sum of harmonics ``k * f0`` (those below 0.45 ``sr``)."""
    k = np.arange(1, len(amps) + 1)
    keep = k * f0 < 0.45 * sr
    return (amps[keep, None] * np.sin(2 * np.pi * f0 * k[keep, None] * t + phases[keep, None])).sum(
        0
    )


def random_timbre(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Harmonic amplitudes and phases of a random timbre."""
    n = int(rng.integers(3, 9))
    amps = rng.uniform(0.2, 1.0, n) / np.arange(1, n + 1) ** rng.uniform(0.5, 1.5)
    return amps, rng.uniform(0, 2 * np.pi, n)


def envelope(t: np.ndarray, attack_s: float, decay_per_s: float) -> np.ndarray:
    """Linear attack then exponential decay."""
    return np.minimum(t / max(attack_s, 1e-4), 1.0) * np.exp(-t * decay_per_s)


def band_noise(rng: np.random.Generator, n: int, sr: int, lo_hz: float, hi_hz: float) -> np.ndarray:
    """White noise band-passed to ``[lo_hz, hi_hz]`` (4th-order Butterworth)."""
    from scipy.signal import butter, sosfilt

    sos = butter(4, [lo_hz, min(hi_hz, 0.45 * sr)], btype="bandpass", fs=sr, output="sos")
    return sosfilt(sos, rng.normal(0, 1, n))


def lowpass_noise(rng: np.random.Generator, n: int, sr: int, cutoff_hz: float) -> np.ndarray:
    """White noise low-passed at ``cutoff_hz``."""
    from scipy.signal import butter, sosfilt

    sos = butter(4, min(cutoff_hz, 0.45 * sr), btype="lowpass", fs=sr, output="sos")
    return sosfilt(sos, rng.normal(0, 1, n))


def coloured_noise(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    """Noise with power spectrum ``1 / f**exponent`` (0 white, 1 pink, 2 brown, -1 blue)."""
    spec = np.fft.rfft(rng.normal(0, 1, n))
    f = np.fft.rfftfreq(n)
    f[0] = f[1]
    return np.fft.irfft(spec / f ** (exponent / 2), n)


def click_train(rng: np.random.Generator, n: int, sr: int, rate_hz: float) -> np.ndarray:
    """Short decaying clicks at ``rate_hz`` with a little jitter."""
    out = np.zeros(n)
    click = np.exp(-np.arange(int(0.004 * sr)) / (0.001 * sr)) * rng.choice([-1, 1])
    period = sr / rate_hz
    pos = rng.uniform(0, period)
    while pos < n - len(click):
        i = int(pos)
        out[i : i + len(click)] += click
        pos += period * rng.uniform(0.9, 1.1)
    return out


def chirp(t: np.ndarray, f_start: float, f_end: float) -> np.ndarray:
    """A linear frequency sweep over the whole of ``t``."""
    dur = max(float(t[-1]), 1e-9) if len(t) else 1.0
    return np.sin(2 * np.pi * (f_start * t + (f_end - f_start) * t**2 / (2 * dur)))
