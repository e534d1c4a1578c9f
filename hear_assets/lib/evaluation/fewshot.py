"""Few-shot curves: how a scene task's score grows with the training clips per class.

For each K of the requested shots, ``DRAWS`` seeded draws take K training clips of every class
(multilabel: K clips carrying each label, pooled), a logistic-regression probe (the
deterministic one, so the spread is the draws') is fitted on them and chosen on the full
validation split, and its test score recorded; ``all`` is the whole training split. A K larger
than the smallest class is refused with one line.
"""

from typing import Any

import numpy as np

from hear_assets.lib.store.errors import TaskDataError

VERSION = "1"
DRAWS = 3
CURVE = (1, 4, 8, 16, "all")


def parse_shots(text: str) -> tuple[int | str, ...]:
    """``"1,4,all"`` → ``(1, 4, "all")``; one-line error on anything else."""
    out: list[int | str] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if part == "all":
            out.append("all")
        elif part.isdigit() and int(part) > 0:
            out.append(int(part))
        else:
            raise TaskDataError(f"--shots {text}: give positive numbers of clips or 'all'")
    if not out:
        raise TaskDataError("--shots: give at least one K (e.g. 1,4,8,16,all)")
    return tuple(dict.fromkeys(out))


def draw(y: np.ndarray, k: int, rng: np.random.Generator, vocab: list[str], who: str):
    """Indices of K training rows per label (without replacement)."""
    counts = y.sum(axis=0)
    smallest = int(np.argmin(counts))
    if k > counts[smallest]:
        raise TaskDataError(
            f"--shots {k}: larger than the smallest class of {who} "
            f"({int(counts[smallest])} training clips of '{vocab[smallest]}')"
        )
    picked: set[int] = set()
    for label in range(y.shape[1]):
        rows = np.flatnonzero(y[:, label] > 0)
        picked.update(rng.choice(rows, size=k, replace=False).tolist())
    return np.asarray(sorted(picked))


def curve_for_fold(fit_and_score, y_train: np.ndarray, shots, vocab: list[str], who: str):
    """``{K: [test score of each draw]}`` for one evaluation; ``fit_and_score(idx)`` fits the
    probe on training rows ``idx`` and returns its test score."""
    out: dict[str, list[float]] = {}
    for k in shots:
        if k == "all":
            out["all"] = [fit_and_score(np.arange(len(y_train)))]
            continue
        out[str(k)] = [
            fit_and_score(draw(y_train, int(k), np.random.default_rng(d), vocab, who))
            for d in range(DRAWS)
        ]
    return out


def summarize(per_fold: list[dict[str, list[float]]]) -> dict[str, dict[str, Any]]:
    """Mean and deviation over draws of the fold-mean score, per K."""
    out = {}
    for k in per_fold[0]:
        draws = np.mean([f[k] for f in per_fold], axis=0)  # fold mean of each draw
        out[k] = {
            "mean": float(np.mean(draws)),
            "std": float(np.std(draws, ddof=1)) if len(draws) > 1 else 0.0,
            "draws": [float(v) for v in draws],
        }
    return out
