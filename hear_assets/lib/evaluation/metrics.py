"""Scorers by name, each equal to its HEAR reference definition (docs/hear-reference.md §9).

Scene scorers take one-/multi-hot targets ``Y`` and scores ``P``, both ``(N, K)`` in vocabulary
order. Pair scorers (``jnd_auc``, ``spearman``, ``triplet_acc``) live in ``pairmetrics``, event
scorers in ``eventmetrics``.
"""

import math
from collections.abc import Callable

import numpy as np

# Valid range of every metric, for the scores_in_range check.
RANGES: dict[str, tuple[float, float]] = {
    "top1_acc": (0, 1),
    "pitch_acc": (0, 1),
    "chroma_acc": (0, 1),
    "mAP": (0, 1),
    "aucroc": (0, 1),
    "d_prime": (-math.inf, math.inf),
    "jnd_auc": (0, 1),
    "spearman": (-1, 1),
    "triplet_acc": (0, 1),
    "segment_1s_er": (0, math.inf),
    "event_onset_200ms_fms": (0, 1),
    "event_onset_50ms_fms": (0, 1),
    "event_onset_offset_50ms_20perc_fms": (0, 1),
}
LOWER_IS_BETTER = frozenset({"segment_1s_er"})


def _target_argmax(y: np.ndarray) -> np.ndarray:
    # HEAR: argmax of the (multi-)hot target, i.e. its first positive class.
    return np.argmax(y, axis=1)


def top1_acc(y: np.ndarray, p: np.ndarray) -> float:
    """Mean of ``argmax P == argmax Y``."""
    if len(y) == 0:
        return math.nan
    return float(np.mean(np.argmax(p, axis=1) == _target_argmax(y)))


def chroma_acc(y: np.ndarray, p: np.ndarray) -> float:
    """Top-1 accuracy modulo 12 on vocabulary indices (HEAR's definition for NSynth pitch)."""
    if len(y) == 0:
        return math.nan
    return float(np.mean(np.argmax(p, axis=1) % 12 == _target_argmax(y) % 12))


def binary_auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC of scores ``s`` for binary targets ``y`` (Mann-Whitney, ties averaged).

    Equals ``sklearn.metrics.roc_auc_score``; NaN when only one class is present.
    """
    y = np.asarray(y) > 0
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return math.nan
    from scipy.stats import rankdata  # here: importing scipy.stats takes 0.6 s

    ranks = rankdata(s)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def average_precision(y: np.ndarray, s: np.ndarray) -> float:
    """AP = sum over distinct thresholds of (R_n - R_n-1) * P_n, as sklearn computes it."""
    y = np.asarray(y) > 0
    n_pos = int(y.sum())
    if n_pos == 0:
        return math.nan
    order = np.argsort(-np.asarray(s, dtype=np.float64), kind="mergesort")
    s_sorted, y_sorted = np.asarray(s, dtype=np.float64)[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s_sorted)), len(s_sorted) - 1]  # end of each tie group
    tps = np.cumsum(y_sorted)[last]
    precision = tps / (last + 1)
    recall = tps / n_pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _per_class(fn, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    return np.array([fn(y[:, k], p[:, k]) for k in range(y.shape[1])])


def mean_average_precision(y: np.ndarray, p: np.ndarray) -> float:
    """``average_precision_score(Y, P, average="macro")``; NaN if a class has no positive."""
    aps = _per_class(average_precision, y, p)
    return math.nan if len(aps) == 0 or np.isnan(aps).any() else float(aps.mean())


def aucroc(y: np.ndarray, p: np.ndarray) -> float:
    """``roc_auc_score(Y, P, average="macro")`` on indicator targets; NaN where sklearn refuses.

    Like sklearn (and so HEAR), two-column one-hot targets are two classes averaged.
    """
    aucs = _per_class(binary_auc, y, p)
    return math.nan if len(aucs) == 0 or np.isnan(aucs).any() else float(aucs.mean())


def d_prime(y: np.ndarray, p: np.ndarray) -> float:
    """Mean over classes of ``sqrt(2) * Phi^-1(AUC_k)``; NaN if a class lacks positives."""
    aucs = _per_class(binary_auc, y, p)
    if len(aucs) == 0 or np.isnan(aucs).any():
        return math.nan
    from scipy.stats import norm

    return float(np.mean(math.sqrt(2.0) * norm.ppf(aucs)))


SCENE_METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "top1_acc": top1_acc,
    "pitch_acc": top1_acc,
    "chroma_acc": chroma_acc,
    "mAP": mean_average_precision,
    "aucroc": aucroc,
    "d_prime": d_prime,
}


def higher_is_better(metric: str) -> bool:
    """False for error rates."""
    return metric not in LOWER_IS_BETTER


UNBOUNDED = {"d_prime"}


def ceiling(metric: str) -> float | None:
    """The best value ``metric`` can take (1 for accuracies, AUCs, AP and F-measures, 0 for
    error rates), or None when it has none (d′)."""
    if metric in UNBOUNDED:
        return None
    return 1.0 if higher_is_better(metric) else 0.0


def selection_key(score: float, higher_is_better: bool) -> float:
    """What every model selection here maximizes (probe grids, families, event
    post-processing): the score, negated for error rates; NaN is worst."""
    return -math.inf if math.isnan(score) else (score if higher_is_better else -score)
