"""A k-nearest-neighbour probe: what the embedding space holds as it is, with no training.

Embeddings are standardized by the training split and L2-normalized; a query's neighbours are
the training rows of highest cosine similarity, and its label scores are the mean of their
one- (or multi-) hot targets. ``k`` is chosen on the validation split by the task's primary
metric. Queries go through in blocks, so at most ``BLOCK_ELEMENTS`` similarities are held at
once (memory stays bounded on 100k clips); the top ``max(k)`` neighbours of each query are
found once and every ``k`` is scored from their running sums.
"""

import math

import numpy as np

from hear_assets.lib.evaluation.metrics import selection_key

VERSION = "1"
K_GRID = (1, 3, 5, 10, 20, 50)
BLOCK_ELEMENTS = 1 << 24  # similarities per block (64 MB of float32)


def unit_rows(z: np.ndarray, in_place: bool = False) -> np.ndarray:
    """float32 rows scaled to unit L2 norm (zero rows stay zero); ``in_place`` divides ``z``
    itself (a float32 array the caller owns) instead of making a copy."""
    norm = np.linalg.norm(z, axis=1, keepdims=True)
    scale = np.where(norm > 0, norm, 1.0)
    if in_place:
        z /= scale
        return z
    return np.divide(z, scale, dtype=np.float32)


def neighbour_votes(
    train: np.ndarray, y_train: np.ndarray, query: np.ndarray, ks: tuple[int, ...]
) -> dict[int, np.ndarray]:
    """``{k: (N_query, K) mean target of the k most similar training rows}`` for unit rows."""
    kmax = min(max(ks), len(train))
    out = {k: np.zeros((len(query), y_train.shape[1]), np.float32) for k in ks}
    block = max(1, BLOCK_ELEMENTS // max(len(train), 1))
    for start in range(0, len(query), block):
        sim = query[start : start + block] @ train.T  # (B, N)
        top = np.argpartition(-sim, kmax - 1, axis=1)[:, :kmax]
        order = np.argsort(-np.take_along_axis(sim, top, axis=1), axis=1, kind="stable")
        ranked = np.take_along_axis(top, order, axis=1)  # (B, kmax), most similar first
        running = np.cumsum(y_train[ranked], axis=1)  # (B, kmax, K)
        for k in ks:
            kk = min(k, kmax)
            out[k][start : start + block] = running[:, kk - 1] / kk
    return out


def fit_knn(data, scaler, ks: tuple[int, ...] = K_GRID):
    """Choose ``k`` on validation for ``data`` (a ``probe.ProbeData``) standardized by
    ``scaler``; return ``(hparams, valid_score, curve, predict)``."""
    train = unit_rows(scaler(data.x_train), in_place=True)  # a fresh array: no second copy
    y = np.asarray(data.y_train, np.float32)
    ks = tuple(k for k in ks if k <= len(train)) or (len(train),)
    votes = neighbour_votes(train, y, unit_rows(scaler(data.x_valid), in_place=True), ks)
    best_k, best_key, best_score, curve = ks[0], -math.inf, math.nan, []
    for k in ks:
        score, extra = data.score_valid(votes[k]) if len(data.x_valid) else (math.nan, {})
        curve.append({"probe": "knn", "k": k, "valid_score": score, **extra})
        key = selection_key(score, data.higher_is_better)
        if key > best_key:
            best_k, best_key, best_score = k, key, score

    def predict(x: np.ndarray) -> np.ndarray:
        return neighbour_votes(train, y, unit_rows(scaler(x), in_place=True), (best_k,))[best_k]

    return {"k": best_k, "metric": "cosine"}, best_score, curve, predict
