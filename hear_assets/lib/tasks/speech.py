"""Spoken words from espeak-ng (Debian package ``espeak-ng``): a speech task made locally.

Each clip is one word (default: the ten digits, as Speech Commands' digit subset) said by a
voice drawn from several English accents × voice variants, at a random rate and pitch, placed
at a random offset in the clip and mixed with coloured noise at a random signal-to-noise
ratio. Deterministic from the seed for one espeak-ng version (its version is recorded in
``raw/<task>/speech.json``); the task's identity is its parameters, so the bench caches by
the audio's digest, not by the parameters.
"""

import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.tasks import TaskSpec
from hear_assets.lib.tasks import signals as sig
from hear_assets.lib.tasks.generators import Clips, stratified_splits, write_clips

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan")
VARIANTS = ("m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5")


def espeak() -> str:
    """The espeak-ng executable, or a one-line error saying how to get it."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise TaskDataError(
            "the spoken_words generator needs espeak-ng on PATH "
            "(Debian/Ubuntu: apt-get install espeak-ng)"
        )
    return exe


def say(exe: str, word: str, voice: str, rate_wpm: int, pitch: int) -> tuple[np.ndarray, int]:
    """``word`` spoken by espeak-ng: float64 mono samples and their rate (22050 Hz)."""
    out = subprocess.run(
        [exe, "-v", voice, "-s", str(rate_wpm), "-p", str(pitch), "--stdout", word],
        capture_output=True,
        check=True,
    )
    audio, sr = sf.read(io.BytesIO(out.stdout), dtype="float64")
    return (audio if audio.ndim == 1 else audio.mean(axis=1)), int(sr)


def _fit(rng: np.random.Generator, speech: np.ndarray, n: int) -> np.ndarray:
    """``speech`` trimmed of silence and placed at a random offset in ``n`` samples."""
    loud = np.flatnonzero(np.abs(speech) > 0.02 * max(float(np.abs(speech).max()), 1e-12))
    if len(loud):
        speech = speech[loud[0] : loud[-1] + 1]
    speech = speech[:n]
    clip = np.zeros(n)
    start = int(rng.integers(0, n - len(speech) + 1))
    clip[start : start + len(speech)] = speech
    return clip


def generate_spoken_words(spec: TaskSpec, out: Path) -> None:
    """Multiclass: which word is said (``per_class`` clips per word), in noise."""
    import resampy

    exe = espeak()
    p, sr = spec.params, spec.source_sample_rate
    rng = np.random.default_rng(p["seed"])
    n = int(round(float(spec.sample_duration or 1.0) * sr))
    snr_low, snr_high = p.get("snr_db", [0.0, 20.0])
    clips = Clips(out, sr)
    for word in p.get("words", DIGITS):
        for split in stratified_splits(rng, p["per_class"]):
            voice = f"{rng.choice(ACCENTS)}+{rng.choice(VARIANTS)}"
            speech, esr = say(
                exe, word, voice, int(rng.integers(120, 220)), int(rng.integers(20, 80))
            )
            if esr != sr:
                speech = resampy.resample(speech, esr, sr, filter="kaiser_best")
            clip = _fit(rng, speech, n)
            noise = sig.coloured_noise(rng, n, rng.uniform(0.0, 2.0))
            snr = rng.uniform(snr_low, snr_high)
            gain = np.sqrt(np.mean(clip**2) / max(np.mean(noise**2), 1e-12) / 10 ** (snr / 10))
            clips.append((sig.normalize(clip + gain * noise, rng.uniform(0.3, 0.9)), split, word))
    write_clips(out, clips, rng)
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
    (out / "speech.json").write_text(json.dumps({"espeak_ng": version}) + "\n")
