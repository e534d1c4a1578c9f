"""Scene metrics on hand-checkable cases and against their sklearn/scipy definitions."""

import math

import numpy as np
import pytest
from scipy.stats import norm

from hear_assets.lib.evaluation import metrics


def onehot(idx: list[int], k: int) -> np.ndarray:
    return np.eye(k, dtype=np.float32)[idx]


def test_top1_and_chroma_by_hand() -> None:
    y = onehot([0, 1, 13, 2], 24)
    p = np.zeros((4, 24))
    p[0, 0] = p[1, 2] = p[2, 1] = p[3, 14] = 1.0  # right, wrong, octave-off, octave-off
    assert metrics.top1_acc(y, p) == 0.25
    assert metrics.chroma_acc(y, p) == 0.75


def test_top1_on_multilabel_uses_first_positive() -> None:
    y = np.array([[0, 1, 1]], np.float32)
    assert metrics.top1_acc(y, np.array([[0.1, 0.2, 0.9]])) == 0.0
    assert metrics.top1_acc(y, np.array([[0.1, 0.9, 0.2]])) == 1.0


def test_map_by_hand() -> None:
    # class 0: positives ranked 1st and 3rd -> AP = (1 + 2/3) / 2; class 1: perfect -> 1.
    y = np.array([[1, 0], [0, 1], [1, 0], [0, 0]], np.float32)
    p = np.array([[0.9, 0.1], [0.8, 0.9], [0.7, 0.2], [0.1, 0.3]])
    assert metrics.mean_average_precision(y, p) == pytest.approx(((1 + 2 / 3) / 2 + 1) / 2)


def test_d_prime_is_sqrt2_probit_of_auc() -> None:
    y = np.array([[1, 0], [0, 1], [1, 0], [0, 1]], np.float32)
    p = np.array([[0.9, 0.2], [0.4, 0.6], [0.3, 0.1], [0.2, 0.8]])
    # class 0 AUC = 3/4 (0.3 < 0.4), class 1 AUC = 1.
    want = np.mean([math.sqrt(2) * norm.ppf(0.75), math.sqrt(2) * norm.ppf(1.0)])
    assert metrics.d_prime(y, p) == want
    assert metrics.aucroc(y, p) == pytest.approx(0.875)


def test_d_prime_nan_without_positives() -> None:
    y = np.array([[1, 0], [1, 0]], np.float32)
    assert math.isnan(metrics.d_prime(y, np.random.default_rng(0).random((2, 2))))


@pytest.mark.parametrize("seed", range(5))
def test_fast_metrics_equal_sklearn_with_ties(seed: int) -> None:
    from sklearn.metrics import average_precision_score, roc_auc_score

    rng = np.random.default_rng(seed)
    y = (rng.random((40, 4)) < 0.3).astype(np.float32)
    y[0] = 1  # every class has a positive
    y[1] = 0
    p = np.round(rng.random((40, 4)), 1)  # many ties
    assert metrics.mean_average_precision(y, p) == pytest.approx(
        average_precision_score(y, p, average="macro"), abs=1e-12
    )
    assert metrics.aucroc(y, p) == pytest.approx(roc_auc_score(y, p, average="macro"), abs=1e-12)
    aucs = roc_auc_score(y, p, average=None)
    assert metrics.d_prime(y, p) == pytest.approx(np.mean(math.sqrt(2) * norm.ppf(aucs)))
    binary = np.eye(2, dtype=np.float32)[(rng.random(40) < 0.5).astype(int)]
    q = rng.random((40, 2))
    assert metrics.aucroc(binary, q) == pytest.approx(roc_auc_score(binary, q), abs=1e-12)
