"""JND and ranking metrics from pairwise embedding distances.

``jnd_auc``: ROC AUC of the distance against the 0/1 "perceptibly different" label.
Ranking groups hold clips with known ranks along one property (rank 0 = lowest). ``spearman``:
per group, Spearman's rho between each clip's rank and its distance from the group's rank-0
clip, averaged over groups. ``triplet_acc``: over every triplet (anchor i, j, k) of a group with
``|r_i - r_j| < |r_i - r_k|``, the fraction with ``d(i, j) < d(i, k)`` (ties count half).
"""

import math
from itertools import permutations

import numpy as np
import pandas as pd

from hear_assets.lib.evaluation.metrics import binary_auc


def jnd_auc(labels: np.ndarray, distances: np.ndarray) -> float:
    """ROC AUC of distances as scores for label 1; NaN with a single class."""
    return binary_auc(labels, distances)


def _distance_lookup(pred: pd.DataFrame) -> dict[frozenset, float]:
    return {
        frozenset((a, b)): float(d)
        for a, b, d in zip(pred["filename1"], pred["filename2"], pred["distance"], strict=True)
    }


def group_scores(groups: pd.DataFrame, pred: pd.DataFrame) -> pd.DataFrame:
    """Per ranking group: ``spearman`` and triplet counts (``triplets``, ``triplets_correct``)."""
    from scipy.stats import spearmanr  # here, not at import: scipy.stats takes 0.6 s

    dist = _distance_lookup(pred)
    rows = []
    for name, grp in groups.groupby("group", sort=True):
        files = grp["filename"].tolist()
        ranks = dict(zip(files, grp["rank"].astype(float), strict=True))

        def d(a: str, b: str) -> float:
            return 0.0 if a == b else dist[frozenset((a, b))]

        anchor = min(files, key=lambda f: ranks[f])
        rho = spearmanr([ranks[f] for f in files], [d(anchor, f) for f in files]).statistic
        total, correct = 0, 0.0
        for i, j, k in permutations(files, 3):
            if abs(ranks[i] - ranks[j]) < abs(ranks[i] - ranks[k]):
                total += 1
                dij, dik = d(i, j), d(i, k)
                correct += 1.0 if dij < dik else 0.5 if dij == dik else 0.0
        rows.append(
            {"group": name, "spearman": float(rho), "triplets": total, "triplets_correct": correct}
        )
    return pd.DataFrame(rows)


def ranking_metrics(per_group: pd.DataFrame) -> dict[str, float]:
    """``spearman`` (mean over groups) and ``triplet_acc`` (pooled over triplets)."""
    if per_group.empty:
        return {"spearman": math.nan, "triplet_acc": math.nan}
    n = per_group["triplets"].sum()
    return {
        "spearman": float(np.nanmean(per_group["spearman"])),
        "triplet_acc": float(per_group["triplets_correct"].sum() / n) if n else math.nan,
    }
