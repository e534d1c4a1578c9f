"""The HEAR 2021 published leaderboard, shipped as data: scores not re-run here.

``data/hear2021_leaderboard.csv`` is the HEAR site's ``docs/leaderboard.csv`` as of commit
3af3234 (2023-09-26) of https://github.com/hearbenchmark/hearbenchmark.com: the primary score
of every model evaluated in HEAR 2021 (29 rows, baselines included; FSD50K corrected
2022-07-12; CREMA-D and both GTZAN tasks re-scored in 2022 after the TFDS bug) plus five
models added in 2023. Paper: Turian et al., "HEAR: Holistic Evaluation of Audio
Representations", PMLR 176, 2022, https://arxiv.org/abs/2203.03022.
"""

import csv
import math
from functools import cache
from pathlib import Path

import pandas as pd

DATA = Path(__file__).with_name("reference") / "hear2021_leaderboard.csv"
SOURCE = (
    "HEAR 2021 leaderboard, hearbenchmark.com docs/leaderboard.csv @ 3af3234 (2023-09-26); "
    "Turian et al., PMLR 176, 2022"
)
MARK = " (published)"
# The site's column → (the HEAR task directory name, the metric its score is reported in).
COLUMNS: dict[str, tuple[str, str]] = {
    "Beehive": ("beehive_states-v2-full", "aucroc"),
    "Beijing Opera": ("beijing_opera-v1.0-hear2021-full", "top1_acc"),
    "CREMA-D": ("tfds_crema_d-1.0.0-full", "top1_acc"),
    "DCASE 2016": ("dcase2016_task2-hear2021-full", "event_onset_200ms_fms"),
    "ESC-50": ("esc50-v2.0.0-full", "top1_acc"),
    "FSD50K": ("fsd50k-v1.0-full", "mAP"),
    "GTZAN Genre": ("tfds_gtzan-1.0.0-full", "top1_acc"),
    "GTZAN Music/Speech": ("tfds_gtzan_music_speech-1.0.0-full", "top1_acc"),
    "Gunshot": ("gunshot_triangulation-v1.0-full", "top1_acc"),
    "Libricount": ("libricount-v1.0.0-hear2021-full", "top1_acc"),
    "Maestro 5h": ("maestro-v3.0.0-5h", "event_onset_50ms_fms"),
    "Mridangam Stroke": ("mridangam_stroke-v1.5-full", "top1_acc"),
    "Mridangam Tonic": ("mridangam_tonic-v1.5-full", "top1_acc"),
    "NSynth Pitch 50h": ("nsynth_pitch-v2.2.3-50h", "pitch_acc"),
    "NSynth Pitch 5h": ("nsynth_pitch-v2.2.3-5h", "pitch_acc"),
    "Speech commands 5h": ("speech_commands-v0.0.2-5h", "top1_acc"),
    "Speech commands full": ("speech_commands-v0.0.2-full", "top1_acc"),
    "Vocal Imitation": ("vocal_imitation-v1.1.3-full", "mAP"),
    "VoxLingua107 top 10": ("vox_lingua_top10-hear2021-full", "top1_acc"),
}
FIELDS = ["model", "task", "metric", "primary", "ci_lo", "ci_hi", "published", "when"]


@cache
def table() -> pd.DataFrame:
    """Every published score: ``model, task, metric, primary, when`` (long form)."""
    rows = []
    with DATA.open(newline="") as fh:
        for rec in csv.DictReader(fh):
            for column, (task, metric) in COLUMNS.items():
                value = rec[column].strip()
                if value:
                    rows.append(
                        {
                            "model": rec["Model"],
                            "task": task,
                            "metric": metric,
                            "primary": float(value),
                            "ci_lo": math.nan,
                            "ci_hi": math.nan,
                            "published": True,
                            "when": rec["Submission Date"],
                        }
                    )
    return pd.DataFrame(rows, columns=FIELDS)


def for_tasks(tasks: list[str]) -> pd.DataFrame:
    """The published rows of the given tasks (by HEAR task name), models marked as
    published."""
    rows = table()
    rows = rows[rows["task"].isin(tasks)].copy()
    rows["model"] = rows["model"] + MARK
    return rows.reset_index(drop=True)
