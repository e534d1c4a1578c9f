"""Paired bootstrap: do two models differ on a task by more than test-set noise?

Both models are scored on the same resampled test units (clips, pairs, ranking groups or event
files; within each fold for k-fold tasks), so the noise they share cancels. The difference is
significant at 5 % when its 95 % percentile interval excludes zero.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hear_assets.lib.evaluation.metrics import higher_is_better
from hear_assets.lib.evaluation.scoring import (
    BOOTSTRAP_SEED,
    load_folds,
    probe_seeds,
    replicate_score,
    resample,
)
from hear_assets.lib.store.files import read_json
from hear_assets.lib.store.layout import Layout


@dataclass(frozen=True)
class Comparison:
    """Model A minus model B on one task's primary metric."""

    task: str
    metric: str
    a: float
    b: float
    diff_ci95: tuple[float, float]
    p_value: float

    @property
    def significant(self) -> bool:
        """True when the 95 % interval of the difference excludes zero."""
        lo, hi = self.diff_ci95
        return lo > 0 or hi < 0

    @property
    def better(self) -> str:
        """``a``, ``b`` or ``-`` (no significant difference), minding error rates."""
        if not self.significant:
            return "-"
        a_wins = (self.a > self.b) == higher_is_better(self.metric)
        return "a" if a_wins else "b"


def compare(
    layout: Layout,
    task: str,
    model_a: str,
    model_b: str,
    n: int = 1000,
    seed: int = BOOTSTRAP_SEED,
) -> Comparison:
    """Paired bootstrap of the primary metric of two models on ``task``: the same resampled
    units and, with probe seeds, the same seeds drawn on both sides (those both ran)."""
    task_dir: Path = layout.task_dir(task)
    meta = read_json(task_dir / "task_metadata.json")
    metric = meta["evaluation"][0]
    pa, pb = layout.predictions_dir(model_a, task), layout.predictions_dir(model_b, task)
    common = [s for s in probe_seeds(pa) if s in set(probe_seeds(pb))] or [None]
    fa = [load_folds(task_dir, pa, meta, s) for s in common]
    fb = [load_folds(task_dir, pb, meta, s) for s in common]
    full = {name: np.arange(f.n_units) for name, f in fa[0].items()}
    everyone = list(range(len(common)))
    a = replicate_score(fa, full, everyone, metric)
    b = replicate_score(fb, full, everyone, metric)
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n):
        draws, picked = resample(rng, fa)
        diffs.append(
            replicate_score(fa, draws, picked, metric) - replicate_score(fb, draws, picked, metric)
        )
    arr = np.asarray(diffs)
    arr = arr[~np.isnan(arr)]
    if len(arr) == 0:
        return Comparison(task, metric, a, b, (math.nan, math.nan), math.nan)
    lo, hi = np.percentile(arr, [2.5, 97.5])
    p = 2 * min(float((arr <= 0).mean()), float((arr >= 0).mean()))
    return Comparison(task, metric, a, b, (float(lo), float(hi)), min(p, 1.0))
