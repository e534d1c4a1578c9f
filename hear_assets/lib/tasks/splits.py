"""Deterministic splits, k-folds and label vocabularies, with HEAR's seeded shuffles."""

import random
from collections.abc import Iterable, Sequence

import numpy as np

from hear_assets.lib.store.errors import TaskDataError

KFOLD_RETRIES = 1000


def label_vocabulary(labels: Iterable[str]) -> list[str]:
    """Sorted unique labels; numerically when every label is a number (as HEAR's pandas read)."""
    unique = sorted(set(labels))
    try:
        return sorted(unique, key=float)
    except ValueError:
        return unique


def split_labels(label: str) -> list[str]:
    """A ``;``-joined multilabel cell as a list (empty cell: no labels)."""
    return [x for x in str(label).split(";") if x] if label == label else []


def assign_trainvaltest(
    keys: Sequence[str], valid_pct: float = 10.0, test_pct: float = 10.0
) -> dict[str, str]:
    """Carve valid and test from train by key, exactly as hear-preprocess does.

    Sorted unique keys are shuffled by ``random.Random("split_train_test_val")``; the first
    ``int(round(n * valid_pct / 100))`` go to valid, the next ``int(round(n * test_pct / 100))``
    to test, the rest stay in train.
    """
    unique = sorted(set(keys))
    random.Random("split_train_test_val").shuffle(unique)
    n_valid = int(round(len(unique) * valid_pct / 100))
    n_test = int(round(len(unique) * test_pct / 100))
    out = dict.fromkeys(unique[:n_valid], "valid")
    out.update(dict.fromkeys(unique[n_valid : n_valid + n_test], "test"))
    out.update(dict.fromkeys(unique[n_valid + n_test :], "train"))
    return out


def assign_kfold(
    keys: Sequence[str], labels_of_key: dict[str, set[str]], nfolds: int
) -> dict[str, str]:
    """hear-preprocess's ``new_split_kfold``: retry seeds until every fold holds every label."""
    if nfolds < 2:
        raise TaskDataError(f"k-fold needs at least 2 folds, got {nfolds}")
    unique = sorted(set(keys))
    all_labels = set().union(*labels_of_key.values()) if labels_of_key else set()
    for attempt in range(KFOLD_RETRIES):
        seed = "split_k_folds" if attempt == 0 else f"split_k_folds_retry_{attempt - 1}"
        shuffled = list(unique)
        random.Random(seed).shuffle(shuffled)
        folds = np.array_split(np.array(shuffled, dtype=object), nfolds)
        if all(
            set().union(*(labels_of_key.get(k, set()) for k in fold)) >= all_labels
            for fold in folds
        ):
            return {str(k): f"fold{j:02d}" for j, fold in enumerate(folds) for k in fold}
    raise TaskDataError(
        f"no assignment of {len(unique)} keys to {nfolds} folds gives every fold every label "
        f"after {KFOLD_RETRIES} seeds; use fewer folds"
    )
