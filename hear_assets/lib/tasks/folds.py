"""Which splits train, validate and test each evaluation, and the targets of scene clips."""

import numpy as np

from hear_assets.lib.store.errors import TaskDataError


def fold_plan(meta: dict) -> list[tuple[str, str, list[str]]]:
    """``(test, valid, train splits)`` per evaluation: one for train/valid/test, k for k-fold.

    k-fold follows HEAR: test = fold i, valid = fold (i + 1) mod k, train = the rest.
    """
    splits = list(meta["splits"])
    if meta["split_mode"] == "trainvaltest":
        return [("test", "valid", ["train"])]
    k = len(splits)
    return [
        (
            splits[i],
            splits[(i + 1) % k],
            [s for j, s in enumerate(splits) if j not in (i, (i + 1) % k)],
        )
        for i in range(k)
    ]


def prediction_file(test_split: str) -> str:
    """``predicted-test.csv`` or ``predicted-fold00.csv``."""
    return f"predicted-{test_split}.csv"


def scene_targets(labels: dict[str, list[str]], files: list[str], vocab: list[str]) -> np.ndarray:
    """Multi-hot ``(N, K)`` float32 targets of ``files`` in vocabulary order."""
    pos = {lab: k for k, lab in enumerate(vocab)}
    y = np.zeros((len(files), len(vocab)), np.float32)
    for i, f in enumerate(files):
        for lab in labels[f]:
            if str(lab) not in pos:
                raise TaskDataError(f"label {lab!r} of {f} is not in labelvocabulary.csv")
            y[i, pos[str(lab)]] = 1.0
    return y
