"""The HEAR MLP probe (``heareval.predictions``), trained our way.

Architecture as the reference (hear-reference.md §8.1): ``hidden_layers`` × [Linear →
BatchNorm1d → Dropout → ReLU] → Linear, Xavier weights with gain 1 for the first layer and √2
after a ReLU, Adam without weight decay; softmax + cross-entropy for multiclass, sigmoids +
binary cross-entropy for multilabel. Early stopping counts validation checks without
improvement of the task's primary metric and keeps the best weights.

Where we differ from the original kit (README, "Probes"): training rows are reshuffled every
epoch by a seeded generator (the original never reshuffles); the softmax is taken over the
label axis; the data stays in memory as one float32 tensor (no DataLoader); and every grid
point's result can be cached on disk (``PointCache``) so an interrupted grid resumes at the
next point. ``hear_points`` reproduces the original's grid and its seeded random order.
"""

import hashlib
import json
import math
import random
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hear_assets.lib.evaluation import metrics
from hear_assets.lib.store.files import atomic_path

VERSION = "1"

# The original kit's default grid (16 points; hear-reference.md §8.2), torch classes as names.
HEAR_GRID: dict[str, list[Any]] = {
    "hidden_layers": [1, 2],
    "hidden_dim": [1024],
    "dropout": [0.1],
    "lr": [3.2e-3, 1e-3, 3.2e-4, 1e-4],
    "patience": [20],
    "max_epochs": [500],
    "check_val_every_n_epoch": [3],
    "batch_size": [1024],
    "initialization": ["xavier_uniform", "xavier_normal"],
}


@dataclass(frozen=True)
class MlpPoint:
    """One grid point: the reference's hyper-parameters (norm: BatchNorm1d, before ReLU)."""

    hidden_layers: int = 1
    hidden_dim: int = 1024
    dropout: float = 0.1
    lr: float = 1e-3
    patience: int = 20  # validation checks without improvement before stopping
    max_epochs: int = 500
    check_val_every_n_epoch: int = 3
    batch_size: int = 1024
    initialization: str = "xavier_uniform"
    # Cap on epochs × training rows (None: none, as the reference). Deterministic, unlike a
    # time budget: large tasks get fewer epochs, small ones are unaffected.
    max_row_updates: int | None = None

    def key(self) -> str:
        """A short stable name of the point (cache key, curve label)."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]


def hear_points(
    grid_points: int = 8, overrides: dict[str, list[Any]] | None = None
) -> list[MlpPoint]:
    """The original runner's grid points: ``ParameterGrid`` shuffled after seed 42, first N.

    ``overrides`` replaces value lists as the task's ``task_specific_param_grid`` does.
    """
    from sklearn.model_selection import ParameterGrid  # here: importing sklearn takes 0.8 s

    grid = {**HEAR_GRID, **(overrides or {})}
    confs = list(ParameterGrid(grid))
    random.Random(42).shuffle(confs)
    fields = set(MlpPoint.__dataclass_fields__)
    return [MlpPoint(**{k: v for k, v in c.items() if k in fields}) for c in confs[:grid_points]]


# Our default MLP candidates: on standardized (span-projected) inputs one hidden layer is
# enough; validation every epoch and a short patience stop as soon as the score plateaus.
_FAST = {"patience": 8, "max_epochs": 200, "check_val_every_n_epoch": 1}
FAST_POINTS = (
    MlpPoint(hidden_layers=1, lr=1e-3, max_row_updates=5_000_000, **_FAST),
    MlpPoint(hidden_layers=2, lr=3.2e-4, max_row_updates=5_000_000, **_FAST),
)

ValidScorer = Callable[[np.ndarray], tuple[float, dict[str, Any]]]
ValidLoss = Callable[[np.ndarray], float]


def probs_loss(probs: np.ndarray, y: np.ndarray, multilabel: bool) -> float:
    """The original kit's ``val_loss`` from probabilities: the mean binary cross-entropy over
    every (row, label) for multilabel targets, the mean cross-entropy of the argmax class
    otherwise (its ``OneHotToCrossEntropyLoss``)."""
    p = np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1 - 1e-12)
    if multilabel:
        t = np.asarray(y, dtype=np.float64)
        return float(-np.mean(t * np.log(p) + (1 - t) * np.log1p(-p)))
    return float(-np.mean(np.log(p[np.arange(len(p)), np.argmax(y, axis=1)])))


@dataclass
class PointResult:
    """What training one grid point produced."""

    point: MlpPoint
    valid_score: float
    epochs: int
    best_epoch: int
    seconds: float
    extra: dict[str, Any]
    state: dict[str, np.ndarray]  # best weights, numpy


class PointCache:
    """Finished grid points as ``<key>.npz`` + ``<key>.json`` in one folder (no pickles)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def get(self, key: str, point: MlpPoint) -> PointResult | None:
        if self.folder is None or not (self.folder / f"{key}.json").exists():
            return None
        info = json.loads((self.folder / f"{key}.json").read_text())
        with np.load(self.folder / f"{key}.npz") as z:
            state = {k: z[k] for k in z.files}
        return PointResult(point, info["valid_score"], info["epochs"], info["best_epoch"],
                           info["seconds"], info["extra"], state)  # fmt: skip

    def put(self, key: str, res: PointResult) -> None:
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.folder / f"{key}.npz") as tmp, tmp.open("wb") as fh:
            np.savez(fh, **res.state)
        info = {k: getattr(res, k) for k in ("valid_score", "epochs", "best_epoch", "seconds")}
        with atomic_path(self.folder / f"{key}.json") as tmp:
            tmp.write_text(json.dumps({**info, "extra": res.extra, "point": asdict(res.point)}))


def build_net(n_in: int, n_out: int, point: MlpPoint, seed: int):
    """The reference ``FullyConnectedPrediction`` network (logits out), seeded."""
    import torch

    torch.manual_seed(seed)
    init = {
        "xavier_uniform": torch.nn.init.xavier_uniform_,
        "xavier_normal": torch.nn.init.xavier_normal_,
    }[point.initialization]
    layers: list = []
    cur, last = n_in, "linear"
    for _ in range(point.hidden_layers):
        lin = torch.nn.Linear(cur, point.hidden_dim)
        init(lin.weight, gain=torch.nn.init.calculate_gain(last))
        layers += [
            lin,
            torch.nn.BatchNorm1d(point.hidden_dim),
            torch.nn.Dropout(point.dropout),
            torch.nn.ReLU(),
        ]
        cur, last = point.hidden_dim, "relu"
    out = torch.nn.Linear(cur, n_out)
    init(out.weight, gain=torch.nn.init.calculate_gain(last))
    return torch.nn.Sequential(*layers, out)


def as_tensor(x: np.ndarray, dtype: type = np.float32):
    """A float32 tensor sharing ``x``'s memory. Embeddings are often read-only memory maps of
    their ``.npy`` files; torch warns that it cannot protect them, but nothing here writes
    into an input tensor, so the warning is silenced rather than paid for with a copy."""
    import torch

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        return torch.from_numpy(np.ascontiguousarray(x, dtype=dtype))


def predict_probs(net, x: np.ndarray, multilabel: bool, batch: int = 8192) -> np.ndarray:
    """Probabilities ``(N, K)`` of a trained network in eval mode."""
    import torch

    net.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            logits = net(as_tensor(x[i : i + batch], x.dtype))
            p = torch.sigmoid(logits) if multilabel else torch.softmax(logits, dim=-1)
            outs.append(p.numpy().astype(np.float32))
    return np.concatenate(outs) if outs else np.zeros((0, 0), np.float32)


def train_point(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_valid: np.ndarray,
    score_valid: ValidScorer,
    multilabel: bool,
    point: MlpPoint,
    higher_is_better: bool = True,
    seed: int = 0,
    valid_loss: ValidLoss | None = None,
) -> PointResult:
    """Train one grid point with early stopping on the validation score; keep the best.

    With ``valid_loss`` (the original's ``use_scoring_for_early_stopping: false``), early
    stopping and the kept checkpoint follow the validation loss instead (lowest wins), and the
    score is taken once, of the kept checkpoint; ``extra["valid_loss"]`` holds its loss.
    """
    import torch

    from hear_models.torch_models.adam import Adam

    start = time.perf_counter()
    x = as_tensor(x_train)
    y = as_tensor(y_train)
    y_cls = y.argmax(dim=1)
    net = build_net(x.shape[1], y.shape[1], point, seed)
    opt = Adam(net.parameters(), lr=point.lr)
    loss_fn = torch.nn.BCEWithLogitsLoss() if multilabel else torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    best_key, best_score, best_epoch, best_extra = -math.inf, math.nan, 0, {}
    best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    bad_checks, epoch, best_probs = 0, 0, None
    max_epochs = point.max_epochs
    if point.max_row_updates is not None:
        max_epochs = max(1, min(max_epochs, point.max_row_updates // max(1, len(x))))
    for epoch in range(1, max_epochs + 1):
        net.train()
        order = torch.randperm(len(x), generator=gen)
        for i in range(0, len(x), point.batch_size):
            rows = order[i : i + point.batch_size]
            if len(rows) < 2 and point.hidden_layers:
                continue  # BatchNorm needs two rows
            logits = net(x[rows])
            loss = loss_fn(logits, y[rows] if multilabel else y_cls[rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
        if epoch % point.check_val_every_n_epoch and epoch != max_epochs:
            continue
        probs = predict_probs(net, x_valid, multilabel) if len(x_valid) else None
        if probs is None:
            score, extra, key = math.nan, {}, -math.inf
        elif valid_loss is not None:
            loss = valid_loss(probs)
            score, extra, key = math.nan, {"valid_loss": loss}, -loss
        else:
            score, extra = score_valid(probs)
            key = metrics.selection_key(score, higher_is_better)
        if key > best_key:
            best_key, best_score, best_epoch, best_extra = key, score, epoch, extra
            best_probs = probs
            best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            bad_checks = 0
        else:
            bad_checks += 1
            if bad_checks >= point.patience:
                break
    if valid_loss is not None and best_probs is not None:
        best_score, scored = score_valid(best_probs)
        best_extra = {**scored, **best_extra}
    state = {k: v.numpy().copy() for k, v in best_state.items()}
    return PointResult(
        point, best_score, epoch, best_epoch, time.perf_counter() - start, best_extra, state
    )


def load_net(n_in: int, n_out: int, point: MlpPoint, state: dict[str, np.ndarray]):
    """A network of ``point``'s shape holding the weights ``state``."""
    import torch

    net = build_net(n_in, n_out, point, seed=0)
    net.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})
    return net
