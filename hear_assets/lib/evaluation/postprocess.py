"""Frame probabilities → events, as HEAR's event post-processing (reference §8.4)."""

from itertools import product

import numpy as np
from scipy.ndimage import median_filter

from hear_assets.lib.evaluation.eventmetrics import Event

DEFAULT_GRID = {"median_filter_ms": [250], "min_duration_ms": [125, 250]}
THRESHOLD = 0.5


def grid_points(grid: dict[str, list[float]] | None) -> list[dict[str, float]]:
    """Every combination of a post-processing grid."""
    grid = grid or DEFAULT_GRID
    keys = ("median_filter_ms", "min_duration_ms")
    return [dict(zip(keys, vals, strict=True)) for vals in product(*(grid[k] for k in keys))]


def frames_to_events(
    probs: np.ndarray,
    timestamps_ms: np.ndarray,
    labels: list[str],
    median_filter_ms: float,
    min_duration_ms: float,
) -> list[Event]:
    """One file's frames ``(T, K)`` at ``timestamps_ms`` → events in seconds.

    Median filter of ``int(round(median_filter_ms / mean hop))`` frames per label (skipped when
    0), threshold ``> 0.5``, each run of active frames → an event from its first to its last
    frame timestamp, kept if at least ``min_duration_ms`` long; sorted by onset.
    """
    order = np.argsort(timestamps_ms, kind="stable")
    ts, p = timestamps_ms[order], probs[order]
    if len(ts) > 1:
        width = int(round(median_filter_ms / float(np.mean(np.diff(ts)))))
        if width > 0:
            p = median_filter(p, size=(width, 1))
    active = p > THRESHOLD
    events: list[Event] = []
    for k, label in enumerate(labels):
        col = np.concatenate([[False], active[:, k], [False]]).astype(np.int8)
        starts = np.flatnonzero(np.diff(col) == 1)
        ends = np.flatnonzero(np.diff(col) == -1) - 1
        for a, b in zip(starts, ends, strict=True):
            if ts[b] - ts[a] >= min_duration_ms:
                events.append((label, float(ts[a]) / 1000.0, float(ts[b]) / 1000.0))
    return sorted(events, key=lambda e: (e[1], e[2], e[0]))
