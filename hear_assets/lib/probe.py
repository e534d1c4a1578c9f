"""Shallow probes on frozen embeddings: standardized inputs, a validation-selected grid.

The default probe is a logistic regression (softmax for multiclass, one-vs-rest sigmoids for
multilabel) on embeddings standardized with the training split's mean and deviation, its
inverse regularization ``C`` picked on the validation split by the task's primary metric.
"""

import logging
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

log = logging.getLogger(__name__)
VERSION = "1"
DEFAULT_C_GRID = (0.001, 0.01, 0.1, 1.0)
MAX_ITER = 300


@dataclass
class Standardizer:
    """Per-dimension standardization by the training split, then a basis of its span.

    When there are fewer training rows than dimensions, the standardized inputs are expressed in
    an orthonormal basis of the training rows' span. An L2-regularized linear model's optimal
    weights lie in that span (representer theorem), so the fit is unchanged while the solver
    works in ``rank <= N`` dimensions instead of ``D``.
    """

    mean: np.ndarray
    std: np.ndarray
    basis: np.ndarray | None = None  # (D, rank)

    @classmethod
    def fit(cls, x: np.ndarray) -> "Standardizer":
        """Statistics (float64 accumulation) and, if ``N < D``, the span basis of ``x``."""
        x64 = np.asarray(x, dtype=np.float64)
        std = x64.std(axis=0)
        std = np.where(std > 1e-8, std, 1.0)
        scaler = cls(x64.mean(axis=0).astype(np.float32), std.astype(np.float32))
        if x64.shape[0] < x64.shape[1]:
            _, sv, vt = np.linalg.svd((x64 - x64.mean(axis=0)) / std, full_matrices=False)
            keep = sv > sv[0] * 1e-7 if len(sv) else np.zeros(0, bool)
            scaler.basis = vt[keep].T.astype(np.float32)
        return scaler

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Standardized (and span-projected) float32 inputs."""
        z = (np.asarray(x, dtype=np.float32) - self.mean) / self.std
        return (z @ self.basis if self.basis is not None else z).astype(np.float32)


@dataclass
class FittedProbe:
    """A trained probe: standardizer, one classifier per label group, chosen settings."""

    kind: str
    hparams: dict[str, Any]
    valid_score: float
    curve: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    _scaler: Standardizer | None = None
    _models: list[Any] = field(default_factory=list)
    _n_labels: int = 0
    _multilabel: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Scores ``(N, K)`` in vocabulary order: probabilities of each label."""
        assert self._scaler is not None
        z = self._scaler(x)
        if self._multilabel:
            out = np.zeros((len(z), self._n_labels), np.float32)
            for k, m in enumerate(self._models):
                out[:, k] = m(z)
            return out
        (clf,) = self._models
        out = np.zeros((len(z), self._n_labels), np.float32)
        out[:, clf.classes_] = clf.predict_proba(z)
        return out


def _fit_logreg(z: np.ndarray, y: np.ndarray, c: float, seed: int) -> LogisticRegression:
    clf = LogisticRegression(C=c, max_iter=MAX_ITER, random_state=seed, tol=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(z, y)
    return clf


def _binary_scorer(z: np.ndarray, y: np.ndarray, c: float, seed: int):
    """A per-label scorer: logistic regression, or a constant where the label never varies."""
    if y.min() == y.max():
        const = float(y[0])
        return lambda q: np.full(len(q), const, np.float32)
    clf = _fit_logreg(z, y, c, seed)
    return lambda q: clf.predict_proba(q)[:, 1].astype(np.float32)


ValidScorer = Callable[[np.ndarray], tuple[float, dict[str, Any]]]


def fit_logreg_probe(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_valid: np.ndarray,
    score_valid: ValidScorer,
    multilabel: bool,
    higher_is_better: bool = True,
    c_grid: tuple[float, ...] = DEFAULT_C_GRID,
    seed: int = 0,
) -> FittedProbe:
    """Fit one logistic regression per ``C`` and keep the best on validation.

    Args:
        x_train, x_valid: ``(N, D)`` embeddings.
        y_train: ``(N, K)`` one-/multi-hot targets.
        score_valid: scores validation probabilities ``(N_valid, K)``; returns the score and
            any choice made along the way (e.g. event post-processing), kept with the probe.
        multilabel: one sigmoid per label instead of a softmax.
        higher_is_better: False for error rates.
        c_grid: inverse regularization strengths to try.
        seed: random state of the solver.
    """
    start = time.perf_counter()
    scaler = Standardizer.fit(x_train)
    z_train = scaler(x_train)
    n_labels = y_train.shape[1]
    sign = 1.0 if higher_is_better else -1.0
    best: FittedProbe | None = None
    best_key = -math.inf
    curve = []
    for c in c_grid:
        if multilabel:
            models = [_binary_scorer(z_train, y_train[:, k], c, seed) for k in range(n_labels)]
        else:
            models = [_fit_logreg(z_train, np.argmax(y_train, axis=1), c, seed)]
        probe = FittedProbe(
            "logreg", {"C": c}, math.nan, [], 0.0, scaler, models, n_labels, multilabel
        )
        score, extra = score_valid(probe.predict(x_valid)) if len(x_valid) else (math.nan, {})
        probe.valid_score, probe.extra = score, extra
        curve.append({"C": c, "valid_score": score, **extra})
        key = -math.inf if math.isnan(score) else sign * score
        if best is None or key > best_key:
            best, best_key = probe, key
    assert best is not None
    best.curve = curve
    best.seconds = time.perf_counter() - start
    log.info("logreg probe: C=%s valid score %.4f", best.hparams["C"], best.valid_score)
    return best
