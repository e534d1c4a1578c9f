"""Shallow probes on frozen embeddings, chosen on the validation split.

``fit_probe("auto", ...)``, the default, trains a logistic regression (softmax for multiclass,
one-vs-rest sigmoids for multilabel; inverse regularization ``C`` from a small grid, walked
from the strongest regularization up, each fit started from the previous one's solution, and
stopped at the first ``C`` that reaches the metric's ceiling on validation) and the
small MLPs of ``mlp.FAST_POINTS``, all on embeddings standardized with the training split's
mean and deviation, and keeps whichever scores best on validation by the task's primary
metric (the logistic regression wins ties, so it is a floor). ``"hear"`` trains the original
kit's MLP grid on raw embeddings (for comparability); ``"logreg"`` only the linear probe.
Each family's best, with its validation and test score, is recorded as a candidate.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from hear_assets.lib.evaluation import knn, mlp
from hear_assets.lib.evaluation.metrics import selection_key
from hear_assets.lib.evaluation.mlp import ValidScorer
from hear_assets.lib.store import mapped
from hear_assets.lib.tasks.folds import fold_plan

if TYPE_CHECKING:  # sklearn is imported where a probe is fitted (0.8 s that commands skip)
    from sklearn.linear_model import LogisticRegression

log = logging.getLogger(__name__)
VERSION = "5"  # 3: a kNN candidate on scene tasks; 4: probe seeds; 5: the C grid as a path
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
    def fit(cls, x: np.ndarray) -> Standardizer:
        """Statistics (float64 accumulation, a block of rows at a time, so no float64 copy of
        ``x`` is held) and, if ``N < D``, the span basis of ``x``."""
        mean, std = column_moments(x)
        std = np.where(std > 1e-8, std, 1.0)
        scaler = cls(mean.astype(np.float32), std.astype(np.float32))
        if x.shape[0] < x.shape[1]:
            z = (np.asarray(x, dtype=np.float64) - mean) / std
            mapped.release(x)
            scaler.basis = row_span_basis(z).astype(np.float32)
        return scaler

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Standardized (and span-projected) float32 inputs: one new array the size of ``x``,
        filled a block of rows at a time (a memory-mapped ``x`` is released block by block,
        so only the copy stays resident)."""
        z = np.empty(x.shape, np.float32)
        block = block_rows(x)
        for i in range(0, len(x), block):
            zi = z[i : i + block]
            np.subtract(x[i : i + block], self.mean, out=zi, dtype=np.float32)
            zi /= self.std
            mapped.release(x, i, i + block)
        return (z @ self.basis if self.basis is not None else z).astype(np.float32, copy=False)


BLOCK_VALUES = 1 << 20  # values per block when standardizing (4 MB of float32)
# Values per block of the column moments (32 MB of float64). The blocks set the order of the
# float64 sums, and so the last bits of the statistics and of the span basis: changing this
# changes trained probes' predictions in their last digits.
MOMENT_BLOCK_VALUES = 1 << 22


def block_rows(x: np.ndarray, values: int | None = None) -> int:
    """Rows per block of ``x``: ``values`` (default ``BLOCK_VALUES``) values."""
    return max(1, (values or BLOCK_VALUES) // max(x.shape[1] if x.ndim > 1 else 1, 1))


def column_moments(x: np.ndarray, block: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each column's mean and (population) deviation in float64, two passes over blocks of
    ``block`` rows (default: ``MOMENT_BLOCK_VALUES`` values): the memory of one float64
    block, not of a float64 copy of ``x`` (nor of ``x`` itself, when it is memory-mapped)."""
    n = max(len(x), 1)
    block = block or block_rows(x, MOMENT_BLOCK_VALUES)
    total = np.zeros(x.shape[1], np.float64)
    for i in range(0, len(x), block):
        total += np.asarray(x[i : i + block], dtype=np.float64).sum(axis=0)
        mapped.release(x, i, i + block)
    mean = total / n
    squares = np.zeros(x.shape[1], np.float64)
    for i in range(0, len(x), block):
        part = np.array(x[i : i + block], dtype=np.float64)  # the one float64 block
        part -= mean
        squares += np.square(part, out=part).sum(axis=0)
        mapped.release(x, i, i + block)
    return mean, np.sqrt(squares / n)


def row_span_basis(z: np.ndarray, rtol: float = 1e-6) -> np.ndarray:
    """An orthonormal basis ``(D, rank)`` of the span of ``z``'s rows (``N < D``), from the
    eigen-decomposition of the ``N × N`` Gram matrix (the right singular vectors of ``z``,
    several times cheaper than its SVD when ``N`` is large); directions with a singular value
    below ``rtol`` of the largest are dropped."""
    if not len(z):
        return np.zeros((z.shape[1], 0))
    w, u = np.linalg.eigh(z @ z.T)  # ascending
    keep = w > max(w[-1], 0.0) * rtol**2
    w, u = w[keep][::-1], u[:, keep][:, ::-1]
    return (z.T @ u) / np.sqrt(w)


@dataclass
class FittedProbe:
    """A trained probe: the chosen settings, how it scored, and how to predict."""

    kind: str
    hparams: dict[str, Any]
    valid_score: float
    curve: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    _predict: Callable[[np.ndarray], np.ndarray] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The best probe of each family tried (e.g. ``logreg`` and ``mlp``), this one included.
    candidates: dict[str, FittedProbe] = field(default_factory=dict)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Scores ``(N, K)`` in vocabulary order: probabilities of each label."""
        assert self._predict is not None
        return self._predict(x)


def _logreg_on_inputs(models: list, n_labels: int, multilabel: bool):
    """Label probabilities of standardized inputs."""

    def predict(z: np.ndarray) -> np.ndarray:
        out = np.zeros((len(z), n_labels), np.float32)
        if multilabel:
            for k, m in enumerate(models):
                out[:, k] = m(z)
            return out
        (clf,) = models
        out[:, clf.classes_] = clf.predict_proba(z)
        return out

    return predict


def _fit_logreg(
    z: np.ndarray, y: np.ndarray, c: float, seed: int, start: LogisticRegression | None = None
) -> LogisticRegression:
    """lbfgs at ``C = c``, started from ``start``'s solution if given (the previous ``C`` of
    the grid: a regularization path, as sklearn's own ``LogisticRegressionCV`` walks it)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(
        C=c, max_iter=MAX_ITER, random_state=seed, tol=1e-4, warm_start=start is not None
    )
    if start is not None:
        clf.coef_, clf.intercept_ = start.coef_.copy(), start.intercept_.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(z, y)
    return clf


def _label_model(z: np.ndarray, y: np.ndarray, c: float, seed: int, start: Any = None):
    """One label's logistic regression (warm-started from ``start``), or its constant
    probability where the label never varies in training."""
    if y.min() == y.max():
        return float(y[0])
    return _fit_logreg(z, y, c, seed, start)


def _label_scorer(model: LogisticRegression | float):
    if isinstance(model, float):
        return lambda q: np.full(len(q), model, np.float32)
    return lambda q: model.predict_proba(q)[:, 1].astype(np.float32)


@dataclass(frozen=True)
class ProbeData:
    """One evaluation's inputs to a probe.

    Attributes:
        x_train, x_valid: ``(N, D)`` embeddings.
        y_train: ``(N, K)`` one-/multi-hot targets.
        score_valid: scores validation probabilities ``(N_valid, K)``; returns the score and
            any choice made along the way (e.g. event post-processing), kept with the probe.
        multilabel: one sigmoid per label instead of a softmax.
        higher_is_better: False for error rates.
        knn: also report a k-nearest-neighbour candidate (scene tasks); never chosen.
        ceiling: the best validation score the metric allows (None: unbounded); when the
            logistic regression reaches it, no MLP can win (ties go to the linear probe), so
            ``auto`` does not train them.
        y_valid: validation targets, for probes that monitor the validation loss.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    score_valid: ValidScorer
    multilabel: bool
    higher_is_better: bool = True
    knn: bool = False
    ceiling: float | None = None
    y_valid: np.ndarray | None = None


def fit_knn_probe(data: ProbeData, inputs: Standardized | None = None) -> FittedProbe:
    """The k-nearest-neighbour probe (``knn``), ``k`` chosen on validation; no training."""
    start = time.perf_counter()
    inputs = inputs or Standardized.of(data)
    hparams, score, curve, predict = knn.fit_knn(data, inputs.scaler, inputs.train, inputs.valid)
    log.info("knn probe: k=%s valid score %.4f", hparams["k"], score)
    return FittedProbe("knn", hparams, score, curve, time.perf_counter() - start, predict)


@dataclass
class Standardized:
    """An evaluation's training and validation inputs standardized by the training split:
    made once and shared by every probe and seed of the evaluation (one copy of each split)."""

    scaler: Standardizer
    train: np.ndarray
    valid: np.ndarray

    @classmethod
    def of(cls, data: ProbeData) -> Standardized:
        scaler = Standardizer.fit(data.x_train)
        return cls(scaler, scaler(data.x_train), scaler(data.x_valid))


def fit_logreg_probe(
    data: ProbeData,
    c_grid: tuple[float, ...] = DEFAULT_C_GRID,
    seed: int = 0,
    inputs: Standardized | None = None,
) -> FittedProbe:
    """Fit one logistic regression per ``C`` (inverse regularization) and keep the best on
    validation; ``inputs`` are the evaluation's standardized inputs if already made."""
    y_train, multilabel, score_valid = data.y_train, data.multilabel, data.score_valid
    start = time.perf_counter()
    inputs = inputs or Standardized.of(data)
    scaler, z_train, z_valid = inputs.scaler, inputs.train, inputs.valid
    n_labels = y_train.shape[1]
    best: FittedProbe | None = None
    best_key = -math.inf
    curve: list[dict[str, Any]] = []
    fits: list[Any] = [None] * (n_labels if multilabel else 1)  # the previous C's solutions
    for c in sorted(c_grid):
        if multilabel:
            fits = [_label_model(z_train, y_train[:, k], c, seed, fits[k]) for k in range(n_labels)]
            models = [_label_scorer(m) for m in fits]
        else:
            fits = models = [_fit_logreg(z_train, np.argmax(y_train, axis=1), c, seed, fits[0])]
        on_inputs = _logreg_on_inputs(models, n_labels, multilabel)
        probe = FittedProbe(
            "logreg",
            {"C": c},
            math.nan,
            [],
            0.0,
            lambda x, on_inputs=on_inputs: on_inputs(scaler(x)),
        )
        score, extra = score_valid(on_inputs(z_valid)) if len(z_valid) else (math.nan, {})
        probe.valid_score, probe.extra = score, extra
        curve.append({"probe": "logreg", "C": c, "valid_score": score, **extra})
        key = selection_key(score, data.higher_is_better)
        if best is None or key > best_key:
            best, best_key = probe, key
        if data.ceiling is not None and score == data.ceiling:
            break  # a later C could only tie, and ties go to the earlier one
    assert best is not None
    best.curve = curve
    best.seconds = time.perf_counter() - start
    log.info("logreg probe: C=%s valid score %.4f", best.hparams["C"], best.valid_score)
    return best


def _raw(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def fit_mlp_probe(
    data: ProbeData,
    points: Sequence[mlp.MlpPoint],
    kind: str,
    transform: Callable[[np.ndarray], np.ndarray] = _raw,
    cache: mlp.PointCache | None = None,
    cache_prefix: str = "",
    seed: int = 0,
    monitor_loss: bool = False,
    inputs: Standardized | None = None,
) -> FittedProbe:
    """Train each MLP grid point on ``transform``-ed inputs and keep the best on validation.

    ``inputs``: the training and validation inputs already ``transform``-ed, if made (by the
    evaluation's ``Standardized``). Finished points are read from / written to ``cache``, so a
    killed grid resumes. With ``monitor_loss`` (the original's
    ``use_scoring_for_early_stopping: false``), early stopping, the kept checkpoint and the
    choice between points follow the validation loss.
    """
    y_train, multilabel, higher_is_better = data.y_train, data.multilabel, data.higher_is_better
    start = time.perf_counter()
    if inputs is not None:
        z_train, z_valid = inputs.train, inputs.valid
    else:
        z_train, z_valid = transform(data.x_train), transform(data.x_valid)
    n_in, n_out = z_train.shape[1], y_train.shape[1]
    cache = cache or mlp.PointCache(None)
    best: mlp.PointResult | None = None
    best_key = -math.inf
    curve = []
    valid_loss = None
    if monitor_loss:
        if data.y_valid is None:
            raise ValueError("monitoring the validation loss needs the validation targets")
        y_valid = data.y_valid

        def valid_loss(probs: np.ndarray) -> float:
            return mlp.probs_loss(probs, y_valid, multilabel)

    for point in points:
        key = f"{cache_prefix}{kind}-{point.key()}-s{seed}{'-loss' if monitor_loss else ''}"
        res = cache.get(key, point)
        if res is None:
            res = mlp.train_point(
                z_train,
                y_train,
                z_valid,
                data.score_valid,
                multilabel,
                point,
                higher_is_better,
                seed,
                valid_loss,
            )
            cache.put(key, res)
        curve.append(
            {
                "probe": kind,
                **{k: getattr(point, k) for k in _CURVE_FIELDS},
                "valid_score": res.valid_score,
                "epochs": res.epochs,
                "best_epoch": res.best_epoch,
                "seconds": round(res.seconds, 3),
                **res.extra,
            }
        )
        if monitor_loss:
            k = -res.extra.get("valid_loss", math.inf)
        else:
            k = selection_key(res.valid_score, higher_is_better)
        if best is None or k > best_key:
            best, best_key = res, k
    assert best is not None
    net = mlp.load_net(n_in, n_out, best.point, best.state)

    def predict(x: np.ndarray) -> np.ndarray:
        return mlp.predict_probs(net, transform(x), multilabel)

    hparams = {**asdict(best.point), "best_epoch": best.best_epoch}
    fitted = FittedProbe(kind, hparams, best.valid_score, curve, 0.0, predict, dict(best.extra))
    fitted.seconds = time.perf_counter() - start
    log.info("%s probe: %s valid score %.4f", kind, hparams, fitted.valid_score)
    return fitted


_CURVE_FIELDS = ("hidden_layers", "hidden_dim", "lr", "initialization")
PROBES = ("auto", "logreg", "hear")


def _better(a: FittedProbe, b: FittedProbe, higher_is_better: bool) -> bool:
    """Whether ``a`` scored strictly better than ``b`` on validation (NaN is worst)."""
    return selection_key(a.valid_score, higher_is_better) > selection_key(
        b.valid_score, higher_is_better
    )


def fit_probe(
    kind: str,
    data: ProbeData,
    c_grid: tuple[float, ...] = DEFAULT_C_GRID,
    hear_points: Sequence[mlp.MlpPoint] | None = None,
    cache: mlp.PointCache | None = None,
    cache_prefix: str = "",
    seed: int = 0,
    monitor_loss: bool = False,
    shared: dict[str, Any] | None = None,
) -> FittedProbe:
    """The probe ``kind`` chooses on validation; ``candidates`` holds each family's best.

    ``shared`` (one dict per evaluation, kept across probe seeds) holds what does not depend
    on the seed: the standardizer and the logistic regression (lbfgs is deterministic), so
    seeds after the first train only the MLPs.

    ``auto`` (default): a logistic regression and small MLPs, both on standardized
    (span-projected) inputs; the logistic regression wins ties. ``logreg``: only the
    logistic regression. ``hear``: the original kit's MLP grid on raw embeddings. Where
    ``data.knn``, a k-nearest-neighbour candidate is reported beside them (never chosen: it
    shows what the embedding holds without training).
    """
    shared = {} if shared is None else shared
    chosen = _fit_trained(
        kind, data, c_grid, hear_points, cache, cache_prefix, seed, monitor_loss, shared
    )
    if data.knn:
        chosen.candidates["knn"] = fit_knn_probe(data, shared.get("inputs"))
    return chosen


def _shared_linear(
    data: ProbeData, c_grid: tuple[float, ...], seed: int, shared: dict[str, Any]
) -> FittedProbe:
    """A copy of the evaluation's logistic regression, fitted (on its standardized inputs,
    kept as ``shared["inputs"]``) by the first seed that asks; lbfgs does not depend on the
    seed."""
    if "linear" not in shared:
        shared["inputs"] = inputs = Standardized.of(data)
        shared["linear"] = fit_logreg_probe(data, c_grid=c_grid, seed=seed, inputs=inputs)
    return replace(shared["linear"])


def _fit_trained(
    kind: str,
    data: ProbeData,
    c_grid: tuple[float, ...],
    hear_points: Sequence[mlp.MlpPoint] | None,
    cache: mlp.PointCache | None,
    cache_prefix: str,
    seed: int,
    monitor_loss: bool,
    shared: dict[str, Any],
) -> FittedProbe:
    if kind == "logreg":
        best = _shared_linear(data, c_grid, seed, shared)
        best.candidates = {"logreg": best}
        return best
    if kind == "hear":
        points = list(hear_points) if hear_points is not None else mlp.hear_points()
        best = fit_mlp_probe(
            data, points, "hear_mlp", _raw, cache, cache_prefix, seed, monitor_loss
        )
        best.candidates = {"hear_mlp": best}
        return best
    if kind != "auto":
        raise ValueError(f"unknown probe {kind!r}; choose one of {', '.join(PROBES)}")
    linear = _shared_linear(data, c_grid, seed, shared)
    if data.ceiling is not None and linear.valid_score == data.ceiling:
        log.info("logreg at the validation ceiling (%s): MLP candidates skipped", data.ceiling)
        linear.candidates = {"logreg": linear}
        linear.extra = {**linear.extra, "skipped": ["mlp"]}
        return linear
    inputs = shared["inputs"]
    net = fit_mlp_probe(
        data, mlp.FAST_POINTS, "mlp", inputs.scaler, cache, cache_prefix, seed, inputs=inputs
    )
    best = net if _better(net, linear, data.higher_is_better) else linear
    chosen = FittedProbe(
        best.kind,
        best.hparams,
        best.valid_score,
        linear.curve + net.curve,
        linear.seconds + net.seconds,
        best._predict,
        best.extra,
        {"logreg": linear, "mlp": net},
    )
    return chosen


def fold_record(
    fitted: FittedProbe,
    valid: str,
    train: list[str],
    test_score: Callable[[FittedProbe], float],
) -> dict[str, Any]:
    """What ``probe.json`` keeps of one evaluation's probe: the choice, its validation curve,
    and each candidate family's validation and test scores (the logistic-regression floor
    included, so both are reported)."""
    rec = {
        "kind": fitted.kind,
        "hparams": fitted.hparams,
        "valid_score": fitted.valid_score,
        "valid_split": valid,
        "train_splits": train,
        "curve": fitted.curve,
        "seconds": round(fitted.seconds, 3),
        "candidates": {
            family: {
                "kind": cand.kind,
                "hparams": cand.hparams,
                "valid_score": cand.valid_score,
                "test_score": test_score(cand),
                "seconds": round(cand.seconds, 3),
            }
            for family, cand in fitted.candidates.items()
        },
    }
    if "postprocessing" in fitted.extra:
        rec["postprocessing"] = fitted.extra["postprocessing"]
    if "skipped" in fitted.extra:
        rec["skipped"] = {
            f: "logistic regression at the validation ceiling" for f in fitted.extra["skipped"]
        }
    return rec


# The original kit's per-task grid overrides (hear-reference.md §8.2).
TASK_SPECIFIC_PARAM_GRID = {"dcase2016_task2": {"check_val_every_n_epoch": [10]}}


@dataclass
class ProbeSettings:
    """Which probe a predictions run trains, and where finished grid points are cached."""

    kind: str = "auto"
    seeds: tuple[int, ...] = (0,)
    shots: tuple[int | str, ...] = ()  # few-shot curve points (scene tasks), opt-in
    c_grid: tuple[float, ...] = DEFAULT_C_GRID
    hear_grid_points: int = 8
    cache: mlp.PointCache | None = None

    def hear_points(self, meta: dict, first: dict[str, Any] | None) -> list[mlp.MlpPoint] | None:
        """The reference grid for ``meta``'s task (None unless ``kind`` is ``hear``). As the
        original kit, later folds retrain only the point chosen on the first one (``first``:
        that fold's record for the same seed; None on the first fold)."""
        if self.kind != "hear":
            return None
        overrides = {
            **TASK_SPECIFIC_PARAM_GRID.get(meta.get("task_name", ""), {}),
            **meta.get("evaluation_params", {}).get("task_specific_param_grid", {}),
        }
        points = mlp.hear_points(self.hear_grid_points, overrides)
        if not first:
            return points
        chosen = dict(first["hparams"])
        chosen.pop("best_epoch", None)
        return [p for p in points if asdict(p) == chosen] or points[:1]


@dataclass
class Fold:
    """One evaluation of a task, ready for a probe: its data, how to write its prediction file
    from the fitted probe (into a sub-folder, for seeds after the first), and how to score a
    candidate on its test split."""

    data: ProbeData
    write: Callable[[FittedProbe, str], None]
    test_score: Callable[[FittedProbe], float]


def seed_folder(index: int, seed: int) -> str:
    """Where a seed's prediction files go: the pair's folder for the first seed (the files the
    original kit reads), ``seed-<seed>/`` for the others."""
    return "" if index == 0 else f"seed-{seed}"


def fit_folds(
    meta: dict, settings: ProbeSettings, fold_of: Callable[[str, str, list[str]], Fold]
) -> dict[str, Any]:
    """Fit and write one probe per evaluation of ``meta``'s fold plan and per probe seed;
    return each test split's ``fold_record`` of the first seed (what ``probe.json`` keeps),
    with every seed's choice and test score under ``seeds``. ``fold_of(test, valid, train)``
    builds an evaluation's ``Fold``; the kNN candidate (no training) is fitted once."""
    folds: dict[str, Any] = {}
    first: dict[int, dict[str, Any]] = {}  # each seed's record on the first fold
    monitor_loss = meta.get("use_scoring_for_early_stopping", True) is False
    for test, valid, train in fold_plan(meta):
        fold = fold_of(test, valid, train)
        per_seed: dict[str, Any] = {}
        shared: dict[str, Any] = {}  # what every seed of this evaluation shares
        for i, seed in enumerate(settings.seeds):
            data = fold.data if i == 0 else replace(fold.data, knn=False)
            fitted = fit_probe(
                settings.kind,
                data,
                settings.c_grid,
                settings.hear_points(meta, first.get(seed)),
                settings.cache,
                f"{test}-",
                seed,
                monitor_loss and settings.kind == "hear",
                shared,
            )
            fold.write(fitted, seed_folder(i, seed))
            if i == 0:
                folds[test] = fold_record(fitted, valid, train, fold.test_score)
            first.setdefault(seed, {"hparams": fitted.hparams})
            per_seed[str(seed)] = {
                "kind": fitted.kind,
                "hparams": fitted.hparams,
                "valid_score": fitted.valid_score,
                "test_score": fold.test_score(fitted),
                "folder": seed_folder(i, seed),
                **(
                    {"postprocessing": fitted.extra["postprocessing"]}
                    if "postprocessing" in fitted.extra
                    else {}
                ),
            }
        folds[test]["seeds"] = per_seed
    return folds
