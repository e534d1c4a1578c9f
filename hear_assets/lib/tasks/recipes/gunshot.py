"""Gunshot triangulation as HEAR's ``gunshot_triangulation-v1.0`` (hear-secret-tasks).

Zenodo 3997406 has four long recordings (``mic1raw.wav``, ``mic2raw16b.wav``, ``mic3raw.wav``,
``mic4raw.wav``, 48 kHz) of the same 22 shots. As HEAR (after the dataset's ``create_data.m``):
each recording is aligned by dropping all but 1 s before its offset (``params["mic_offsets"]``,
samples at 48 kHz); shot onsets are the first samples of mic 1 with ``|x| >= 0.8`` at least
25000 samples apart; each shot is cut from every mic as 1.5 s starting 1/8 s before the onset
and written (16-bit, as HEAR's ``soundfile`` default) to
``raw/<task>/audio/mic<m>_shot<j>_fid<f>.wav``. Label: the mic (4 classes). The firearm id
(shot 0–3 → 1, then three shots per firearm up to 7) is the split key: HEAR's
``new_split_kfold`` over the 7 firearm ids with 7 folds puts one firearm in each fold, so the
folds are assigned here (same seeded shuffle) rather than by file. ``small``: HEAR's zip of
already cut clips, catalogued by the same file names.
"""

from pathlib import Path

import numpy as np
import soundfile as sf

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.files import atomic_dir
from hear_assets.lib.tasks import TaskSpec
from hear_assets.lib.tasks import splits as splitlib
from hear_assets.lib.tasks.recipes.base import (
    S4,
    SECRET_SMALL,
    Catalogue,
    Mode,
    Recipe,
    clip,
    dl,
    download_path,
    extracted_dir,
    relpath,
)

MICS = ("mic1raw", "mic2raw16b", "mic3raw", "mic4raw")
CUT_RATE = 48000
SHOT_FIREARM_IDS = [1] + [shot // 3 + 1 for shot in range(21)]  # 22 shots, firearms 1..7
DEFAULTS = {
    "mic_offsets": [15764451, 13764742, 9334032, 6794611],
    "min_samples_between_shots": 25000,
    "shot_threshold": 0.8,
}


def find_shots(audio: np.ndarray, min_gap: int, count: int, threshold: float) -> list[int]:
    """Onsets: samples with ``|x| >= threshold``, each more than ``min_gap + 1`` after the last.

    The same onsets as HEAR's sample loop (a shot may start once ``i - last > min_gap`` was seen
    on the previous sample).
    """
    hits = np.flatnonzero(np.abs(audio) >= threshold)
    starts: list[int] = []
    i = 0
    while len(starts) < count and i < len(hits):
        starts.append(int(hits[i]))
        i = int(np.searchsorted(hits, starts[-1] + min_gap + 2))
    return starts


def load_aligned(path: Path, offset: int) -> np.ndarray:
    """A recording as mono float32 at 48 kHz, starting 1 s before ``offset``."""
    try:
        audio, sr = sf.read(path, dtype="float32", always_2d=True)
    except Exception as exc:  # libsndfile raises several types
        raise TaskDataError(f"{path}: not a readable recording ({exc}); delete it") from exc
    mono = audio.mean(axis=1)
    if sr != CUT_RATE:
        from hear_assets.lib.tasks.standardize import resample

        mono = resample(mono, sr, CUT_RATE).astype(np.float32)
    if offset < CUT_RATE or offset >= len(mono):
        raise TaskDataError(f"{path}: alignment offset {offset} outside 1 s..{len(mono)} samples")
    return mono[offset - CUT_RATE :]


def cut_shots(spec: TaskSpec, raw_dir: Path) -> list[Path]:
    """Cut every shot from every mic into ``raw/<task>/audio/``; return the clip paths."""
    p = {**DEFAULTS, **spec.params}
    recordings = [download_path(raw_dir, entry) for entry in spec.params["downloads"]]
    if len(recordings) != len(MICS):
        raise TaskDataError(f"task {spec.name}: expected {len(MICS)} mic recordings")
    audio = [
        load_aligned(path, int(off)) for path, off in zip(recordings, p["mic_offsets"], strict=True)
    ]
    shots = find_shots(
        audio[0], int(p["min_samples_between_shots"]), len(SHOT_FIREARM_IDS), p["shot_threshold"]
    )
    if len(shots) != len(SHOT_FIREARM_IDS):
        raise TaskDataError(
            f"{recordings[0]}: found {len(shots)} shots, expected "
            f"{len(SHOT_FIREARM_IDS)}; the recording or params['mic_offsets'] is wrong"
        )
    length, lead = CUT_RATE + CUT_RATE // 2, CUT_RATE // 8
    out, paths = raw_dir / "audio", []
    with atomic_dir(out) as tmp:
        for j, onset in enumerate(shots):
            start = int(onset - lead)
            if start < 0:
                raise TaskDataError(f"shot {j} starts {onset} samples in: offsets are wrong")
            for m, mic in enumerate(audio, start=1):
                name = f"mic{m}_shot{j}_fid{SHOT_FIREARM_IDS[j]}.wav"
                sf.write(tmp / name, mic[start : start + length], CUT_RATE, subtype="PCM_16")
                paths.append(out / name)
    return paths


def parse_name(path: Path) -> tuple[str, str]:
    """``mic<m>_shot<j>_fid<f>.wav`` → (label ``mic<m>``, firearm ``fid<f>``)."""
    parts = path.stem.split("_")
    if len(parts) < 3 or not parts[-3].startswith("mic") or not parts[-1].startswith("fid"):
        raise TaskDataError(f"{path}: expected a name like mic1_shot0_fid1.wav")
    return parts[-3], parts[-1]


def catalogue(spec: TaskSpec, raw_dir: Path) -> Catalogue:
    """Cut (or, in small mode, find) the shot clips; folds by firearm."""
    if spec.params.get("mode") == "small":
        root = extracted_dir(raw_dir, spec.params["downloads"][0])
        paths = sorted(root.rglob("*.wav"))
    else:
        paths = cut_shots(spec, raw_dir)
    parsed = [(path, *parse_name(path)) for path in paths]
    labels_of_key: dict[str, set[str]] = {}
    for _, label, fid in parsed:
        labels_of_key.setdefault(fid, set()).add(label)
    folds = splitlib.assign_kfold(sorted(labels_of_key), labels_of_key, spec.nfolds)
    rows = [
        clip(path.stem, folds[fid], label, relpath(raw_dir, path)) for path, label, fid in parsed
    ]
    return Catalogue(rows)


RECIPE = Recipe(
    task_name="gunshot_triangulation",
    version="v1.0",
    task_type="scene",
    prediction_type="multiclass",
    sample_duration=1.5,
    evaluation=S4,
    split_mode="new_split_kfold",
    nfolds=7,
    source_sample_rate=CUT_RATE,
    default_mode="full",
    modes={
        "full": Mode(
            tuple(
                dl(
                    "train",
                    f"https://zenodo.org/record/3997406/files/{mic}.wav?download=1",
                    md5,
                    mic,
                )
                for mic, md5 in zip(
                    MICS,
                    (
                        "e2f4acad742278c973e9c190fee03b5f",
                        "184d888f457f331f592eeb4ee5fa12e2",
                        "db2ffa4fdf8b42b98c208670f4578b4b",
                        "571da84eecf397bf0356a24400769ced",
                    ),
                    strict=True,
                )
            )
        ),
        "small": Mode(
            (
                dl(
                    "train",
                    SECRET_SMALL + "gunshot_triangulation.zip",
                    "c24bfa3b60fc9a2f51169fdb9bc336fa",
                ),
            ),
            sample_duration=1.5,
        ),
    },
    catalogue=catalogue,
    params=DEFAULTS,
)
