"""Generators of the built-in synthetic tasks, one per task family.

Each ``generate_*(spec, out)`` writes ``out/audio/*.wav`` (16-bit at the spec's source rate)
and ``out/clips.csv`` (``filename,split,label``), plus ``events.csv``, ``pairs.csv`` or
``groups.csv``. Everything is drawn from ``numpy.random.default_rng(spec.params["seed"])``.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import soundfile as sf

from hear_assets.lib.tasks import TaskSpec
from hear_assets.lib.tasks import signals as sig

Clip = tuple[np.ndarray, str, str]  # audio, split, label


def stratified_splits(
    rng: np.random.Generator, n: int, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2)
) -> list[str]:
    """Assign ``n`` items of one class to train/valid/test in the given proportions."""
    n_valid = max(1, int(round(n * fractions[1])))
    n_test = max(1, int(round(n * fractions[2])))
    names = ["valid"] * n_valid + ["test"] * n_test + ["train"] * (n - n_valid - n_test)
    return [str(x) for x in rng.permutation(names)]


class Clips:
    """A generator's clips, each written as a 16-bit wav as soon as it is made (memory stays
    flat at any task size), under a staging name until ``write_clips`` gives every clip its
    shuffled name. ``append((audio, split, label))`` as on a list."""

    def __init__(self, out: Path, sr: int) -> None:
        self.audio_dir = out / "audio"
        self.audio_dir.mkdir(parents=True, exist_ok=True)
        self.sr = sr
        self.meta: list[tuple[str, str]] = []  # split, label

    def staged(self, i: int) -> Path:
        return self.audio_dir / f".gen-{i:07d}.wav"

    def append(self, clip: Clip) -> None:
        audio, split, label = clip
        sf.write(self.staged(len(self.meta)), np.clip(audio, -1, 1), self.sr, subtype="PCM_16")
        self.meta.append((split, label))

    def __len__(self) -> int:
        return len(self.meta)


def write_clips(out: Path, clips: Clips, rng: np.random.Generator) -> list[str]:
    """Name the clips in a shuffled order ``00000.wav``... and write ``clips.csv``; return
    the names in the order the clips were made."""
    order = rng.permutation(len(clips))
    names = [""] * len(clips)
    for new, old in enumerate(order):
        names[old] = f"{new:05d}.wav"
    for i, name in enumerate(names):
        clips.staged(i).rename(clips.audio_dir / name)
    rows = [
        {"filename": name, "split": split, "label": label}
        for name, (split, label) in sorted(zip(names, clips.meta, strict=True))
    ]
    pd.DataFrame(rows, columns=["filename", "split", "label"]).to_csv(
        out / "clips.csv", index=False
    )
    return names


def generate_tones(spec: TaskSpec, out: Path) -> None:
    """Pitch of harmonic tones (NSynth-like): one class per MIDI pitch, random timbres."""
    p, sr = spec.params, spec.source_sample_rate
    rng = np.random.default_rng(p["seed"])
    t = sig.times(float(spec.sample_duration or 1.0), sr)
    clips = Clips(out, sr)
    for pitch in range(p["pitch_low"], p["pitch_high"] + 1):
        for split in stratified_splits(rng, p["per_class"]):
            f0 = sig.midi_hz(pitch + rng.uniform(-0.25, 0.25))
            wave = sig.harmonic(f0, *sig.random_timbre(rng), t, sr)
            wave = sig.normalize(
                wave * sig.envelope(t, rng.uniform(0.005, 0.05), rng.uniform(0.5, 3)), 1
            )
            wave += rng.normal(0, rng.uniform(0.002, 0.02), len(t))
            clips.append((wave * rng.uniform(0.2, 0.7), split, str(pitch)))
    write_clips(out, clips, rng)


def generate_modulation(spec: TaskSpec, out: Path) -> None:
    """Binary: amplitude-modulated (4-12 Hz, deep) versus steady tones and noise bands."""
    p, sr = spec.params, spec.source_sample_rate
    rng = np.random.default_rng(p["seed"])
    t = sig.times(float(spec.sample_duration or 1.0), sr)
    clips = Clips(out, sr)
    for label in ("modulated", "steady"):
        for split in stratified_splits(rng, p["per_class"]):
            if rng.random() < 0.5:
                carrier = sig.harmonic(rng.uniform(150, 1200), *sig.random_timbre(rng), t, sr)
            else:
                lo = rng.uniform(200, 3000)
                carrier = sig.band_noise(rng, len(t), sr, lo, lo * rng.uniform(1.5, 3))
            if label == "modulated":
                depth, rate = rng.uniform(0.8, 1.0), rng.uniform(4, 12)
                carrier = carrier * (1 - depth * 0.5 * (1 + np.sin(2 * np.pi * rate * t)))
            clips.append((sig.normalize(carrier, rng.uniform(0.1, 0.7)), split, label))
    write_clips(out, clips, rng)


MIXTURE_SOURCES = ("chirp", "clicks", "hiss", "hum", "tone")


def _mixture_source(name: str, rng: np.random.Generator, t: np.ndarray, sr: int) -> np.ndarray:
    n = len(t)
    if name == "tone":
        return sig.harmonic(rng.uniform(300, 600), *sig.random_timbre(rng), t, sr)
    if name == "hiss":
        return sig.band_noise(rng, n, sr, rng.uniform(4000, 5000), 7500)
    if name == "clicks":
        return sig.click_train(rng, n, sr, rng.uniform(8, 25))
    if name == "chirp":
        f0 = rng.uniform(800, 1500)
        return sig.chirp(t, f0, f0 * rng.uniform(2, 3))
    return sig.harmonic(rng.uniform(80, 120), np.array([1.0, 0.5, 0.3]), np.zeros(3), t, sr)


def generate_mixtures(spec: TaskSpec, out: Path) -> None:
    """Multilabel: mixtures of 1-3 of five sources at random levels."""
    p, sr = spec.params, spec.source_sample_rate
    rng = np.random.default_rng(p["seed"])
    t = sig.times(float(spec.sample_duration or 1.0), sr)
    clips = Clips(out, sr)
    splits = stratified_splits(rng, p["clips"])
    for split in splits:
        k = int(rng.integers(1, 4))
        present = sorted(rng.choice(MIXTURE_SOURCES, size=k, replace=False).tolist())
        mix = sum(
            sig.normalize(_mixture_source(s, rng, t, sr), rng.uniform(0.3, 1.0)) for s in present
        )
        noise = rng.normal(0, p.get("noise", 0.01), len(t))
        mix = sig.normalize(mix + noise, rng.uniform(0.3, 0.8))
        clips.append((mix, split, ";".join(present)))
    write_clips(out, clips, rng)


NOISE_COLOURS = {"white": 0.0, "pink": 1.0, "brown": 2.0, "blue": -1.0}


def generate_noise_colours(spec: TaskSpec, out: Path) -> None:
    """Multiclass k-fold: the colour of a noise; folds assigned later (``new_split_kfold``)."""
    p, sr = spec.params, spec.source_sample_rate
    rng = np.random.default_rng(p["seed"])
    n = int(round(float(spec.sample_duration or 1.0) * sr))
    clips = Clips(out, sr)
    for colour, exponent in NOISE_COLOURS.items():
        for _ in range(p["per_class"]):
            noise = sig.coloured_noise(rng, n, exponent + rng.uniform(-0.3, 0.3))
            clips.append((sig.normalize(noise, rng.uniform(0.1, 0.8)), "", colour))
    write_clips(out, clips, rng)


EVENT_CLASSES = ("beep", "buzz", "knock")


def _event_sound(name: str, rng: np.random.Generator, n: int, sr: int) -> np.ndarray:
    t = np.arange(n) / sr
    if name == "beep":
        wave = np.sin(2 * np.pi * rng.uniform(900, 1100) * t)
    elif name == "buzz":
        wave = sig.band_noise(rng, n, sr, 2000, 4000)
    else:
        wave = sig.click_train(rng, n, sr, rng.uniform(5, 8)) * 3
    ramp = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)
    return sig.normalize(wave * ramp, rng.uniform(0.3, 0.8))


def generate_events(spec: TaskSpec, out: Path) -> None:
    """Sound events: 1-3 events of three classes per clip, with onsets and offsets in ms."""
    p, sr = spec.params, spec.source_sample_rate
    dur = float(spec.sample_duration or 3.0)
    rng = np.random.default_rng(p["seed"])
    n_total = int(round(dur * sr))
    clips, events = Clips(out, sr), []
    for split in stratified_splits(rng, p["clips"]):
        mix = rng.normal(0, p.get("noise", 0.005), n_total)
        clip_events = []
        for _ in range(int(rng.integers(1, 4))):
            label = str(rng.choice(EVENT_CLASSES))
            length = rng.uniform(0.25, 0.8)
            onset = rng.uniform(0, dur - length)
            i0, n = int(round(onset * sr)), int(round(length * sr))
            mix[i0 : i0 + n] += _event_sound(label, rng, n, sr)
            clip_events.append((round(onset * 1000, 1), round((onset + length) * 1000, 1), label))
        clips.append((mix * 0.6, split, ""))
        events.append(clip_events)
    names = write_clips(out, clips, rng)
    rows = [
        {"filename": name, "start_ms": s, "end_ms": e, "label": lab}
        for name, evs in zip(names, events, strict=True)
        for s, e, lab in evs
    ]
    pd.DataFrame(rows, columns=["filename", "start_ms", "end_ms", "label"]).to_csv(
        out / "events.csv", index=False
    )


def generate_jnd(spec: TaskSpec, out: Path) -> None:
    """JND pairs: a tone and a copy shifted in pitch, imperceptibly (label 0) or clearly (1)."""
    p, sr = spec.params, spec.source_sample_rate
    rng = np.random.default_rng(p["seed"])
    t = sig.times(float(spec.sample_duration or 0.5), sr)
    clips, pairs = Clips(out, sr), []
    for split in stratified_splits(rng, p["pairs"]):
        label = int(rng.random() < 0.5)
        shift = rng.uniform(0.5, 2.0) if label else rng.uniform(0.0, 0.03)  # semitones
        f0, timbre = rng.uniform(200, 800), sig.random_timbre(rng)
        level = rng.uniform(0.3, 0.7)
        for f in (f0, f0 * 2 ** (shift * rng.choice([-1, 1]) / 12)):
            wave = sig.normalize(sig.harmonic(f, *timbre, t, sr), level * rng.uniform(0.97, 1.03))
            clips.append((wave + rng.normal(0, 0.003, len(t)), split, ""))
        pairs.append(str(label))
    names = write_clips(out, clips, rng)
    rows = [
        {"filename1": names[2 * i], "filename2": names[2 * i + 1], "label": lab}
        for i, lab in enumerate(pairs)
    ]
    pd.DataFrame(rows, columns=["filename1", "filename2", "label"]).to_csv(
        out / "pairs.csv", index=False
    )


def generate_brightness(spec: TaskSpec, out: Path) -> None:
    """Ranking: groups of noises low-passed at rising cutoffs; rank 0 is the darkest."""
    p, sr = spec.params, spec.source_sample_rate
    rng = np.random.default_rng(p["seed"])
    n = int(round(float(spec.sample_duration or 0.5) * sr))
    clips, groups = Clips(out, sr), []
    for g, split in enumerate(stratified_splits(rng, p["groups"])):
        base = rng.uniform(300, 600)
        cutoffs = base * 2.0 ** np.sort(rng.uniform(0, 4, p["per_group"]))
        for rank, cutoff in enumerate(cutoffs):
            noise = sig.normalize(sig.lowpass_noise(rng, n, sr, cutoff), rng.uniform(0.4, 0.6))
            clips.append((noise, split, ""))
            groups.append((f"g{g:03d}", rank))
    names = write_clips(out, clips, rng)
    rows = [
        {"group": grp, "filename": name, "rank": rank}
        for name, (grp, rank) in zip(names, groups, strict=True)
    ]
    pd.DataFrame(rows, columns=["group", "filename", "rank"]).to_csv(
        out / "groups.csv", index=False
    )
