"""A k-nearest-neighbour probe: what the embedding space holds as it is, with no training.

Embeddings are standardized by the training split; a query's neighbours are the training rows
of highest cosine similarity, and its label scores are the mean of their one- (or multi-) hot
targets. ``k`` is chosen on the validation split by the task's primary metric. The ranking of
a query's neighbours needs only its dot products with the training rows divided by their
norms, so neither side is copied to unit rows: the probe holds the standardized training
split it shares with the other probes, and queries go through in blocks, so at most
``BLOCK_ELEMENTS`` similarities are held at once (memory stays bounded on 100k clips); the top
``max(k)`` neighbours of each query are found once and every ``k`` is scored from their
running sums.
"""

import math

import numpy as np

from hear_assets.lib.evaluation.metrics import selection_key

VERSION = "2"  # 2: similarities as dot products over the training rows' norms
K_GRID = (1, 3, 5, 10, 20, 50)
BLOCK_ELEMENTS = 1 << 22  # similarities per block (16 MB of float32; a block takes about 6×)


def inverse_norms(z: np.ndarray) -> np.ndarray:
    """``1 / ||row||`` of each row of ``z`` (0 for a zero row: it is nobody's neighbour before
    a row that points anywhere)."""
    block = max(1, BLOCK_ELEMENTS // max(z.shape[1], 1))
    norm = np.concatenate(
        [np.linalg.norm(z[i : i + block], axis=1) for i in range(0, len(z), block)] or [[]]
    ).astype(np.float32)
    return np.divide(1.0, norm, out=np.zeros_like(norm), where=norm > 0)


def neighbour_votes(
    train: np.ndarray,
    y_train: np.ndarray,
    query: np.ndarray,
    ks: tuple[int, ...],
    train_scale: np.ndarray | None = None,
) -> dict[int, np.ndarray]:
    """``{k: (N_query, K) mean target of the k most similar training rows}``: similarity is
    the dot product, times ``train_scale`` per training row (``inverse_norms``: cosine order
    for each query) if given."""
    kmax = min(max(ks), len(train))
    out = {k: np.zeros((len(query), y_train.shape[1]), np.float32) for k in ks}
    block = max(1, BLOCK_ELEMENTS // max(len(train), 1))
    for start in range(0, len(query), block):
        sim = query[start : start + block] @ train.T  # (B, N)
        if train_scale is not None:
            sim *= train_scale
        top = np.argpartition(-sim, kmax - 1, axis=1)[:, :kmax]
        order = np.argsort(-np.take_along_axis(sim, top, axis=1), axis=1, kind="stable")
        ranked = np.take_along_axis(top, order, axis=1)  # (B, kmax), most similar first
        running = np.cumsum(y_train[ranked], axis=1)  # (B, kmax, K)
        for k in ks:
            kk = min(k, kmax)
            out[k][start : start + block] = running[:, kk - 1] / kk
    return out


def fit_knn(data, scaler, z_train: np.ndarray, z_valid: np.ndarray, ks: tuple[int, ...] = K_GRID):
    """Choose ``k`` on validation for ``data`` (a ``probe.ProbeData``) whose training and
    validation inputs, standardized by ``scaler``, are ``z_train`` and ``z_valid`` (read, not
    changed); return ``(hparams, valid_score, curve, predict)``."""
    scale = inverse_norms(z_train)
    y = np.asarray(data.y_train, np.float32)
    ks = tuple(k for k in ks if k <= len(z_train)) or (len(z_train),)
    votes = neighbour_votes(z_train, y, z_valid, ks, scale)
    best_k, best_key, best_score, curve = ks[0], -math.inf, math.nan, []
    for k in ks:
        score, extra = data.score_valid(votes[k]) if len(z_valid) else (math.nan, {})
        curve.append({"probe": "knn", "k": k, "valid_score": score, **extra})
        key = selection_key(score, data.higher_is_better)
        if key > best_key:
            best_k, best_key, best_score = k, key, score

    def predict(x: np.ndarray) -> np.ndarray:
        return neighbour_votes(z_train, y, scaler(x), (best_k,), scale)[best_k]

    return {"k": best_k, "metric": "cosine"}, best_score, curve, predict
