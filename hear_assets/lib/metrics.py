"""Scorers by name, each equal to its HEAR reference definition (docs/hear-reference.md §9).

Scene scorers take one-/multi-hot targets ``Y`` and scores ``P``, both ``(N, K)`` in vocabulary
order. Pair scorers (``jnd_auc``, ``spearman``, ``triplet_acc``) live in ``pairmetrics``, event
scorers in ``eventmetrics``.
"""

import math
from collections.abc import Callable

import numpy as np
from scipy.stats import norm
from sklearn.metrics import average_precision_score, roc_auc_score

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


def mean_average_precision(y: np.ndarray, p: np.ndarray) -> float:
    """``average_precision_score(Y, P, average="macro")``."""
    try:
        return float(average_precision_score(y, p, average="macro"))
    except ValueError:
        return math.nan


def aucroc(y: np.ndarray, p: np.ndarray) -> float:
    """``roc_auc_score(Y, P, average="macro")``; NaN where sklearn refuses (as HEAR)."""
    try:
        return float(roc_auc_score(y, p, average="macro"))
    except ValueError:
        return math.nan


def d_prime(y: np.ndarray, p: np.ndarray) -> float:
    """Mean over classes of ``sqrt(2) * Phi^-1(AUC_k)``; NaN if a class lacks positives."""
    try:
        aucs = roc_auc_score(y, p, average=None)
    except ValueError:
        return math.nan
    return float(np.mean(math.sqrt(2.0) * norm.ppf(np.asarray(aucs, dtype=np.float64))))


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
