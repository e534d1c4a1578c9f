"""Event metrics on hand-worked cases (sed_eval's definitions) and post-processing."""

import math

import numpy as np
import pytest

from hear_assets.lib.evaluation import eventmetrics as em
from hear_assets.lib.evaluation.postprocess import frames_to_events

REF = {"a.wav": [("dog", 1.0, 2.0), ("cat", 3.0, 3.5)]}
EST = {"a.wav": [("dog", 1.1, 2.5), ("cat", 3.3, 3.4), ("dog", 5.0, 5.2)]}
ALL = [
    "event_onset_200ms_fms",
    "event_onset_50ms_fms",
    "event_onset_offset_50ms_20perc_fms",
    "segment_1s_er",
]


def scores(ref, est, labels=("cat", "dog")) -> dict[str, float]:
    counts = em.file_counts(ref, est, labels, ALL)
    return em.metrics_from_counts(counts, np.arange(len(ref)))


def test_three_toy_events() -> None:
    s = scores(REF, EST)
    # 200 ms: only the dog onset (0.1 s off) matches; P = 1/3, R = 1/2.
    assert s["event_onset_200ms_fms_precision"] == pytest.approx(1 / 3)
    assert s["event_onset_200ms_fms_recall"] == pytest.approx(1 / 2)
    assert s["event_onset_200ms_fms"] == pytest.approx(0.4)
    assert s["event_onset_50ms_fms"] == 0.0
    assert s["event_onset_offset_50ms_20perc_fms"] == 0.0
    # segments 0..5: dog spills into segment 2 and a spurious dog in 5 -> 2 insertions / 2 refs
    assert s["segment_1s_er"] == pytest.approx(1.0)


def test_onset_offset_tolerance_is_twenty_percent_of_the_reference_length() -> None:
    ref = {"a": [("dog", 0.0, 2.0)]}
    assert scores(ref, {"a": [("dog", 0.04, 2.39)]})["event_onset_offset_50ms_20perc_fms"] == 1.0
    assert scores(ref, {"a": [("dog", 0.04, 2.41)]})["event_onset_offset_50ms_20perc_fms"] == 0.0


def test_matching_is_optimal_not_greedy() -> None:
    ref = [("dog", 1.0, 1.1), ("dog", 1.3, 1.4)]
    est = [("dog", 1.15, 1.2), ("dog", 0.85, 0.9)]
    assert em.event_counts(ref, est, 0.2) == (2, 2, 2)


def test_substitution_in_a_segment() -> None:
    s = scores({"a": [("dog", 0.0, 1.0)]}, {"a": [("cat", 0.0, 1.0)]})
    assert s["segment_1s_er"] == pytest.approx(1.0)
    assert s["event_onset_200ms_fms"] == 0.0


def test_no_estimates_gives_nan_precision_and_zero_recall() -> None:
    s = scores(REF, {})
    assert math.isnan(s["event_onset_200ms_fms_precision"])
    assert s["event_onset_200ms_fms_recall"] == 0.0


def test_frames_to_events_thresholds_runs_and_drops_short_ones() -> None:
    ts = np.arange(20) * 50.0
    p = np.zeros((20, 2))
    p[2:8, 0] = 0.9  # 100..350 ms -> kept (250 ms)
    p[12:14, 1] = 0.8  # 600..650 ms -> 50 ms, dropped at min 100 ms
    events = frames_to_events(p, ts, ["dog", "cat"], median_filter_ms=0, min_duration_ms=100)
    assert events == [("dog", 0.1, 0.35)]


def test_median_filter_removes_a_one_frame_gap() -> None:
    ts = np.arange(20) * 50.0
    p = np.zeros((20, 1))
    p[2:12, 0] = 0.9
    p[6, 0] = 0.1
    raw = frames_to_events(p, ts, ["dog"], median_filter_ms=0, min_duration_ms=0)
    smooth = frames_to_events(p, ts, ["dog"], median_filter_ms=150, min_duration_ms=0)
    assert len(raw) == 2 and smooth == [("dog", 0.1, 0.55)]
