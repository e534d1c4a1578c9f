"""Event metrics as sed_eval 0.2.1 computes them for HEAR, from per-file counts.

Events are ``(label, onset_s, offset_s)``. Counting per file first makes the metrics cheap to
bootstrap (resample files, sum their counts) and avoids sed_eval's per-call container costs.

- Event-based F-measure (``EventBasedMetrics``, ``event_matching_type="optimal"``): a reference
  and an estimated event of the same label match if ``|onset difference| <= collar`` (and, with
  offsets, ``|offset difference| <= max(collar, 0.2 * reference length)``); matches are a
  maximum one-to-one matching; overall micro precision, recall and F over all files.
- Segment-based error rate (``SegmentBasedMetrics(time_resolution=1.0)``): per file, event
  rolls over ``ceil(max offset / 1 s)`` segments (onset floored, offset ceiled); per segment
  ``S = min(Nref, Nsys) - Ntp``, ``D = max(0, Nref - Nsys)``, ``I = max(0, Nsys - Nref)``;
  ``ER = (ΣS + ΣD + ΣI) / ΣNref``.
"""

import math
from collections.abc import Iterable, Mapping

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

Event = tuple[str, float, float]
EPS = float(np.spacing(1))


def _max_matching(hit: np.ndarray) -> int:
    if hit.size == 0 or not hit.any():
        return 0
    match = maximum_bipartite_matching(csr_matrix(hit.astype(np.int8)), perm_type="column")
    return int((match >= 0).sum())


def event_counts(
    ref: list[Event],
    est: list[Event],
    collar_s: float,
    offsets: bool = False,
    percentage_of_length: float = 0.2,
) -> tuple[int, int, int]:
    """``(Ntp, Nref, Nsys)`` of one file."""
    ntp = 0
    for label in {e[0] for e in ref} & {e[0] for e in est}:
        r = np.array([(a, b) for lab, a, b in ref if lab == label], dtype=np.float64)
        s = np.array([(a, b) for lab, a, b in est if lab == label], dtype=np.float64)
        hit = np.abs(r[:, None, 0] - s[None, :, 0]) <= collar_s
        if offsets:
            tol = np.maximum(collar_s, percentage_of_length * (r[:, 1] - r[:, 0]))
            hit &= np.abs(r[:, None, 1] - s[None, :, 1]) <= tol[:, None]
        ntp += _max_matching(hit)
    return ntp, len(ref), len(est)


def f_measure(ntp: float, nref: float, nsys: float) -> dict[str, float]:
    """Overall ``f_measure``, ``precision``, ``recall`` (NaN where sed_eval gives NaN)."""
    precision = math.nan if nsys == 0 else ntp / nsys
    recall = math.nan if nref == 0 else ntp / nref
    f = 0.0 if precision == 0 and recall == 0 else 2 * precision * recall / (precision + recall)
    return {"f_measure": f, "precision": precision, "recall": recall}


def _roll(events: list[Event], labels: Mapping[str, int], resolution: float, length: int):
    roll = np.zeros((length, len(labels)), dtype=np.int8)
    for label, onset, offset in events:
        a = int(math.floor(onset / resolution))
        b = int(math.ceil(offset / resolution))
        roll[a:b, labels[label]] = 1
    return roll


def segment_counts(
    ref: list[Event], est: list[Event], labels: Mapping[str, int], resolution: float = 1.0
) -> tuple[int, int, int, int]:
    """``(S, D, I, Nref)`` of one file over its segments."""
    max_offset = max([e[2] for e in ref] + [e[2] for e in est] + [0.0])
    length = int(math.ceil(max_offset / resolution))
    if length == 0:
        return 0, 0, 0, 0
    r = _roll(ref, labels, resolution, max(length, 1))[:length]
    s = _roll(est, labels, resolution, max(length, 1))[:length]
    nref, nsys = r.sum(1), s.sum(1)
    ntp = (r & s).sum(1)
    subs = np.minimum(nref, nsys) - ntp
    dels = np.maximum(0, nref - nsys)
    ins = np.maximum(0, nsys - nref)
    return int(subs.sum()), int(dels.sum()), int(ins.sum()), int(nref.sum())


def error_rate(s: float, d: float, i: float, nref: float) -> float:
    """``(S + D + I) / (Nref + eps)`` as sed_eval."""
    return float(s / (nref + EPS) + d / (nref + EPS) + i / (nref + EPS))


EVENT_METRICS = {
    "event_onset_200ms_fms": {"collar_s": 0.2, "offsets": False},
    "event_onset_50ms_fms": {"collar_s": 0.05, "offsets": False},
    "event_onset_offset_50ms_20perc_fms": {"collar_s": 0.05, "offsets": True},
}


def file_counts(
    ref: dict[str, list[Event]],
    est: dict[str, list[Event]],
    labels: Iterable[str],
    metrics: Iterable[str],
) -> dict[str, np.ndarray]:
    """Per-file count columns for every metric: ``{metric: (n_files, k) int array}``.

    Files are those of ``ref`` (every test file, in order); files without estimates count their
    reference events as misses.
    """
    label_idx = {lab: i for i, lab in enumerate(labels)}
    out: dict[str, np.ndarray] = {}
    files = list(ref)
    for m in metrics:
        if m in EVENT_METRICS:
            cfg = EVENT_METRICS[m]
            out[m] = np.array([event_counts(ref[f], est.get(f, []), **cfg) for f in files])
        elif m == "segment_1s_er":
            out[m] = np.array([segment_counts(ref[f], est.get(f, []), label_idx) for f in files])
    return out


def metrics_from_counts(counts: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, float]:
    """Every metric over the files ``idx`` (may repeat, for the bootstrap)."""
    out: dict[str, float] = {}
    for m, c in counts.items():
        total = c[idx].sum(axis=0) if len(idx) else np.zeros(c.shape[1])
        if m == "segment_1s_er":
            out[m] = error_rate(*total)
        else:
            parts = f_measure(*total)
            out[m] = parts["f_measure"]
            out[f"{m}_precision"] = parts["precision"]
            out[f"{m}_recall"] = parts["recall"]
    return out
