"""JND and ranking metrics from distances."""

import pandas as pd
import pytest

from hear_assets.lib.evaluation import pairmetrics


def test_jnd_auc_by_hand() -> None:
    # positives at 0.9 and 0.4, negatives at 0.5 and 0.1: 3 of 4 pairs ordered right.
    assert pairmetrics.jnd_auc([1, 1, 0, 0], [0.9, 0.4, 0.5, 0.1]) == 0.75


def test_ranking_perfect_and_swapped() -> None:
    groups = pd.DataFrame(
        {"group": ["g"] * 4, "filename": ["a", "b", "c", "d"], "rank": [0, 1, 2, 3]}
    )
    pos = {"a": 0.0, "b": 1.0, "c": 2.0, "d": 3.0}
    pairs = [(x, y) for i, x in enumerate("abcd") for y in "abcd"[i + 1 :]]
    perfect = pd.DataFrame(
        [(x, y, abs(pos[x] - pos[y])) for x, y in pairs],
        columns=["filename1", "filename2", "distance"],
    )
    m = pairmetrics.ranking_metrics(pairmetrics.group_scores(groups, perfect))
    assert m == {"spearman": pytest.approx(1.0), "triplet_acc": 1.0}
    pos["b"], pos["c"] = 2.0, 1.0  # b and c swapped
    swapped = perfect.assign(distance=[abs(pos[x] - pos[y]) for x, y in pairs])
    m = pairmetrics.ranking_metrics(pairmetrics.group_scores(groups, swapped))
    assert m["spearman"] == pytest.approx(0.8)
    assert m["triplet_acc"] == 0.5  # 5 of 10 triplets (two ties count half), worked by hand
