"""Built-in synthetic tasks: deterministic from a seed, generated in seconds, no download.

Each generator writes the raw form of a task into a folder: ``audio/*.wav`` (16-bit, at the
spec's ``source_sample_rate``) and ``clips.csv`` (``filename,split,label``; multilabel labels
joined with ``;``), plus ``events.csv``, ``pairs.csv`` or ``groups.csv`` for event, JND and
ranking tasks. The labels are properties of the signal a good embedding can learn.
"""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from hear_assets.lib.tasks import TaskSpec


def _midi_hz(pitch: float) -> float:
    return 440.0 * 2.0 ** ((pitch - 69.0) / 12.0)


def harmonic_tone(
    rng: np.random.Generator, f0: float, duration_s: float, sample_rate: int
) -> np.ndarray:
    """A harmonic tone with random timbre and envelope plus faint noise, float64 in [-1, 1]."""
    n = int(round(duration_s * sample_rate))
    t = np.arange(n) / sample_rate
    n_harm = int(rng.integers(3, 9))
    amps = rng.uniform(0.2, 1.0, n_harm) / np.arange(1, n_harm + 1) ** rng.uniform(0.5, 1.5)
    phases = rng.uniform(0, 2 * np.pi, n_harm)
    k = np.arange(1, n_harm + 1)[:, None]
    keep = (k[:, 0] * f0) < sample_rate / 2 * 0.9
    wave = (amps[keep, None] * np.sin(2 * np.pi * f0 * k[keep] * t + phases[keep, None])).sum(0)
    attack = rng.uniform(0.005, 0.05)
    env = np.minimum(t / attack, 1.0) * np.exp(-t * rng.uniform(0.5, 3.0))
    wave = wave * env / max(np.abs(wave).max(), 1e-9)
    wave += rng.normal(0, rng.uniform(0.002, 0.02), n)
    return np.clip(wave * rng.uniform(0.2, 0.7), -1.0, 1.0)


def stratified_splits(
    rng: np.random.Generator, n: int, fractions: tuple[float, float, float]
) -> list[str]:
    """Assign ``n`` clips of one class to train/valid/test in the given proportions."""
    n_valid = max(1, int(round(n * fractions[1])))
    n_test = max(1, int(round(n * fractions[2])))
    names = ["valid"] * n_valid + ["test"] * n_test + ["train"] * (n - n_valid - n_test)
    return list(rng.permutation(names))


def write_clips(out: Path, clips: list[tuple[str, np.ndarray, str, str]], sample_rate: int) -> None:
    """Write ``(filename, audio, split, label)`` clips as 16-bit wavs and ``clips.csv``."""
    audio_dir = out / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    for name, audio, _, _ in clips:
        sf.write(audio_dir / name, audio, sample_rate, subtype="PCM_16")
    rows = [{"filename": name, "split": split, "label": label} for name, _, split, label in clips]
    pd.DataFrame(rows, columns=["filename", "split", "label"]).to_csv(
        out / "clips.csv", index=False
    )


def generate_tones(spec: TaskSpec, out: Path) -> None:
    """Pitch of harmonic tones (NSynth-like): one class per MIDI pitch, random timbres."""
    p = spec.params
    rng = np.random.default_rng(p["seed"])
    items: list[tuple[int, np.ndarray, str, str]] = []
    for pitch in range(p["pitch_low"], p["pitch_high"] + 1):
        splits = stratified_splits(rng, p["per_class"], (0.6, 0.2, 0.2))
        for split in splits:
            detune = rng.uniform(-0.25, 0.25)  # semitones
            audio = harmonic_tone(
                rng,
                _midi_hz(pitch + detune),
                float(spec.sample_duration or 1.0),
                spec.source_sample_rate,
            )
            items.append((int(rng.integers(1 << 30)), audio, split, str(pitch)))
    order = np.argsort([key for key, *_ in items], kind="stable")
    clips = [(f"{i:05d}.wav", items[j][1], items[j][2], items[j][3]) for i, j in enumerate(order)]
    write_clips(out, clips, spec.source_sample_rate)


GENERATORS: dict[str, Callable[[TaskSpec, Path], None]] = {
    "tones": generate_tones,
}

BUILTIN_TASKS: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec(
            name="tiny_tones",
            task_type="scene",
            prediction_type="multiclass",
            sample_duration=1.0,
            evaluation=("pitch_acc", "chroma_acc"),
            source_sample_rate=48000,
            params={
                "generator": "tones",
                "seed": 1,
                "pitch_low": 48,
                "pitch_high": 71,
                "per_class": 10,
                "resample_filter": "kaiser_fast",
            },
        ),
    )
}


def generate(spec: TaskSpec, out: Path) -> None:
    """Write the raw form of built-in task ``spec`` into ``out`` (which must be empty)."""
    GENERATORS[spec.params["generator"]](spec, out)
