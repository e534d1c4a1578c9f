"""Deterministic splits, folds and vocabularies, as hear-preprocess makes them."""

import random

from hear_assets.lib.tasks import splits


def test_vocabulary_sorts_numbers_numerically() -> None:
    assert splits.label_vocabulary(["10", "9", "100", "9"]) == ["9", "10", "100"]
    assert splits.label_vocabulary(["dog", "cat", "10"]) == ["10", "cat", "dog"]


def test_trainvaltest_follows_hear_shuffle_and_counts() -> None:
    keys = [f"k{i:03d}" for i in range(50)]
    got = splits.assign_trainvaltest(list(reversed(keys)), 10.0, 20.0)
    order = sorted(keys)
    random.Random("split_train_test_val").shuffle(order)
    assert [k for k in order if got[k] == "valid"] == order[:5]
    assert [k for k in order if got[k] == "test"] == order[5:15]
    assert sum(v == "train" for v in got.values()) == 35


def test_kfold_gives_every_fold_every_label() -> None:
    keys = [f"f{i}" for i in range(12)]
    labels = {k: {"rare"} if i < 3 else {"common"} for i, k in enumerate(keys)}
    got = splits.assign_kfold(keys, labels, 3)
    assert sorted(set(got.values())) == ["fold00", "fold01", "fold02"]
    for fold in ("fold00", "fold01", "fold02"):
        assert {lab for k, f in got.items() if f == fold for lab in labels[k]} == {"rare", "common"}
    assert got == splits.assign_kfold(list(reversed(keys)), labels, 3)
