"""A layered model's headline embedding: a learned softmax-weighted sum of its hidden layers.

As SUPERB's featurizer: each layer is standardized by the training split, and softmax weights
over the layers are trained jointly with a linear head (cross-entropy for multiclass, binary
cross-entropy for multilabel and event frames) on the training split, keeping the weights of
the epoch with the lowest validation loss. The weighted sum then goes through the ordinary
probe search (``probe``), as any embedding does. Weights are learned per evaluation fold from
that fold's training splits only. At most ``MAX_ROWS`` training rows (a seeded sample) are
used to learn the weights, so memory stays bounded on long event tasks.

Distance tasks (JND, ranking) have no labels to learn from: their headline is the last
selected layer, as a one-output model's would be.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hear_assets.lib.embedding.embed import layer_dirs
from hear_assets.lib.evaluation.eventprobe import frame_targets
from hear_assets.lib.store.files import atomic_dir, read_json, write_json, write_npy
from hear_assets.lib.tasks.folds import fold_plan, scene_targets
from hear_assets.lib.tasks.taskfiles import read_split_json, read_vocabulary

VERSION = "1"
EPOCHS = 300
PATIENCE = 30
LEARNING_RATE = 0.01
MAX_ROWS = 20000
SEED = 0


@dataclass
class LayerWeights:
    """Softmax weights over layers and each layer's training statistics."""

    layers: list[int]
    weights: np.ndarray  # (L,)
    mean: np.ndarray  # (L, D)
    std: np.ndarray  # (L, D)

    def combine(self, stack: np.ndarray) -> np.ndarray:
        """``(L, N, D)`` layer embeddings → ``(N, D)`` weighted sum of standardized layers."""
        out = np.zeros(stack.shape[1:], np.float32)
        for w, x, m, s in zip(self.weights, stack, self.mean, self.std, strict=True):
            out += np.float32(w) * ((np.asarray(x, np.float32) - m) / s)
        return out

    def to_json(self) -> dict[str, float]:
        """``{layer: weight}``."""
        return {
            str(layer): round(float(w), 6)
            for layer, w in zip(self.layers, self.weights, strict=True)
        }


def _stats(stack: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(stack, np.float64)
    std = x.std(axis=1)
    return x.mean(axis=1).astype(np.float32), np.where(std > 1e-8, std, 1.0).astype(np.float32)


def fit_layer_weights(
    layers: list[int],
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_valid: np.ndarray,
    y_valid: np.ndarray,
    multilabel: bool,
    seed: int = SEED,
) -> LayerWeights:
    """Learn softmax layer weights with a linear head; ``x_*`` are ``(L, N, D)``."""
    import torch

    from hear_models.torch_models.adam import Adam

    rng = np.random.default_rng(seed)
    if x_train.shape[1] > MAX_ROWS:
        keep = np.sort(rng.choice(x_train.shape[1], MAX_ROWS, replace=False))
        x_train, y_train = x_train[:, keep], y_train[keep]
    mean, std = _stats(x_train)
    torch.manual_seed(seed)

    def tensor(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy((np.asarray(x, np.float32) - mean[:, None]) / std[:, None])

    xt, xv = tensor(x_train), tensor(x_valid)
    yt, yv = (
        torch.from_numpy(y_train.astype(np.float32)),
        torch.from_numpy(y_valid.astype(np.float32)),
    )
    n_layers, _, dim = xt.shape
    logits = torch.zeros(n_layers, requires_grad=True)
    head = torch.nn.Linear(dim, y_train.shape[1])
    opt = Adam([logits, *head.parameters()], lr=LEARNING_RATE)

    def loss_of(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        mixed = torch.einsum("l,lnd->nd", torch.softmax(logits, 0), x)
        out = head(mixed)
        if multilabel:
            return torch.nn.functional.binary_cross_entropy_with_logits(out, y)
        return torch.nn.functional.cross_entropy(out, y.argmax(dim=1))

    best, best_w, waited = float("inf"), torch.softmax(logits, 0).detach().clone(), 0
    for _ in range(EPOCHS):
        opt.zero_grad()
        loss_of(xt, yt).backward()
        opt.step()
        with torch.no_grad():
            valid = float(loss_of(xv, yv)) if len(yv) else 0.0
        if valid < best - 1e-6:
            best, best_w, waited = valid, torch.softmax(logits, 0).detach().clone(), 0
        else:
            waited += 1
            if waited >= PATIENCE:
                break
    return LayerWeights(layers, best_w.numpy().astype(np.float64), mean, std)


def _split_inputs(task_dir: Path, emb_dir: Path, split: str, meta: dict, vocab: list[str]):
    """``(L, N, D)`` layers, targets and the index of one split."""
    dirs = layer_dirs(emb_dir)
    stack = np.stack([np.load(d / f"{split}.npy", allow_pickle=False) for d in dirs.values()])
    index = read_json(emb_dir / f"{split}.index.json")
    labels = read_split_json(task_dir, split)
    if meta["task_type"] == "event":
        y = frame_targets(index, labels, vocab)
    else:
        y = scene_targets(labels, index["files"], vocab)
    return stack, y, index


def write_weighted(task_dir: Path, emb_dir: Path, out_dir: Path) -> dict[str, dict[str, float]]:
    """Write the weighted-sum embeddings of a layered pair into ``out_dir`` (the layout
    ``predict`` reads: top level for one evaluation, ``by_test/<split>/`` for k folds) and
    return each evaluation's ``{layer: weight}``."""
    meta = read_json(task_dir / "task_metadata.json")
    vocab = read_vocabulary(task_dir)
    layers = list(layer_dirs(emb_dir))
    multilabel = meta["task_type"] == "event" or meta["prediction_type"] == "multilabel"
    cache = {s: _split_inputs(task_dir, emb_dir, s, meta, vocab) for s in meta["splits"]}
    plan = fold_plan(meta)
    chosen: dict[str, dict[str, float]] = {}
    with atomic_dir(out_dir) as tmp:
        for test, valid, train in plan:
            x_tr = np.concatenate([cache[s][0] for s in train], axis=1)
            y_tr = np.concatenate([cache[s][1] for s in train])
            fitted = fit_layer_weights(
                layers, x_tr, y_tr, cache[valid][0], cache[valid][1], multilabel
            )
            chosen[test] = fitted.to_json()
            target = tmp if len(plan) == 1 else tmp / "by_test" / test
            for split, (stack, _, index) in cache.items():
                write_npy(target / f"{split}.npy", fitted.combine(stack))
                write_json(target / f"{split}.index.json", index)
    return chosen
