"""The built-in synthetic tasks: deterministic from a seed, generated in seconds, no download.

One task of every type of the design. Each is small enough that the whole demo (every task
with every built-in model) runs in minutes on two CPU cores; the labels are properties of the
signal (pitch, modulation, sources, noise colour, event times, pitch shifts, brightness) that a
good embedding can learn and a bad one cannot fake.
"""

from collections.abc import Callable
from pathlib import Path

from hear_assets.lib.tasks import TaskSpec
from hear_assets.lib.tasks import generators as gen
from hear_assets.lib.tasks.speech import generate_spoken_words

GENERATORS: dict[str, Callable[[TaskSpec, Path], None]] = {
    "tones": gen.generate_tones,
    "modulation": gen.generate_modulation,
    "mixtures": gen.generate_mixtures,
    "noise_colours": gen.generate_noise_colours,
    "events": gen.generate_events,
    "jnd": gen.generate_jnd,
    "brightness": gen.generate_brightness,
    "spoken_words": generate_spoken_words,
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
            },
        ),
        TaskSpec(
            name="tiny_modulation",
            task_type="scene",
            prediction_type="multiclass",
            sample_duration=1.0,
            evaluation=("top1_acc", "aucroc"),
            source_sample_rate=16000,
            params={"generator": "modulation", "seed": 2, "per_class": 50},
        ),
        TaskSpec(
            name="tiny_mixtures",
            task_type="scene",
            prediction_type="multilabel",
            sample_duration=1.0,
            evaluation=("mAP", "d_prime", "aucroc"),
            source_sample_rate=22050,
            params={"generator": "mixtures", "seed": 3, "clips": 150},
        ),
        TaskSpec(
            name="tiny_noise_folds",
            task_type="scene",
            prediction_type="multiclass",
            sample_duration=0.5,
            evaluation=("top1_acc",),
            split_mode="new_split_kfold",
            nfolds=4,
            source_sample_rate=16000,
            params={
                "generator": "noise_colours",
                "seed": 4,
                "per_class": 12,
            },
        ),
        TaskSpec(
            name="tiny_events",
            task_type="event",
            prediction_type="multilabel",
            sample_duration=3.0,
            evaluation=(
                "event_onset_200ms_fms",
                "segment_1s_er",
                "event_onset_50ms_fms",
                "event_onset_offset_50ms_20perc_fms",
            ),
            source_sample_rate=16000,
            params={
                "generator": "events",
                "seed": 5,
                "clips": 40,
                "event_postprocessing_grid": {
                    "median_filter_ms": [250],
                    "min_duration_ms": [125, 250],
                },
            },
        ),
        TaskSpec(
            name="tiny_jnd",
            task_type="jnd",
            prediction_type="multiclass",
            sample_duration=0.5,
            evaluation=("jnd_auc",),
            source_sample_rate=22050,
            params={"generator": "jnd", "seed": 6, "pairs": 150},
        ),
        TaskSpec(
            name="tiny_brightness",
            task_type="ranking",
            prediction_type="multiclass",
            sample_duration=0.5,
            evaluation=("spearman", "triplet_acc"),
            source_sample_rate=22050,
            params={
                "generator": "brightness",
                "seed": 7,
                "groups": 30,
                "per_group": 5,
            },
        ),
    )
}


def generate(spec: TaskSpec, out: Path) -> None:
    """Write the raw form of built-in task ``spec`` into the empty folder ``out``."""
    GENERATORS[spec.params["generator"]](spec, out)
