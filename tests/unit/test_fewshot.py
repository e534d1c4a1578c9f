"""Few-shot draws: K clips of every class, seeded, refused past the smallest class."""

import numpy as np
import pytest

from hear_assets.lib.evaluation import fewshot
from hear_assets.lib.store.errors import TaskDataError


def test_parse_shots() -> None:
    assert fewshot.parse_shots("1, 4,all,4") == (1, 4, "all")
    for bad in ("0", "x", ",", "-1"):
        with pytest.raises(TaskDataError, match="--shots"):
            fewshot.parse_shots(bad)


def test_k_clips_of_every_class_and_the_smallest_class_bounds_k() -> None:
    y = np.eye(3)[[0, 0, 0, 0, 1, 1, 1, 2, 2]]
    idx = fewshot.draw(y, 2, np.random.default_rng(0), ["a", "b", "c"], "task t")
    assert len(idx) == 6 and (y[idx].sum(axis=0) == 2).all()
    again = fewshot.draw(y, 2, np.random.default_rng(0), ["a", "b", "c"], "task t")
    np.testing.assert_array_equal(idx, again)  # seeded
    with pytest.raises(
        TaskDataError,
        match=r"--shots 3: larger than the smallest class of task t "
        r"\(2 training clips of 'c'\)",
    ):
        fewshot.draw(y, 3, np.random.default_rng(0), ["a", "b", "c"], "task t")


def test_curve_draws_and_summary() -> None:
    y = np.eye(2)[[0] * 5 + [1] * 5]
    seen = []
    curve = fewshot.curve_for_fold(
        lambda idx: seen.append(len(idx)) or len(idx) / 10, y, (1, 2, "all"), ["a", "b"], "t"
    )
    assert curve == {"1": [0.2] * 3, "2": [0.4] * 3, "all": [1.0]}
    summary = fewshot.summarize([curve, curve])
    assert summary["2"]["mean"] == pytest.approx(0.4) and summary["2"]["std"] < 1e-12
    assert summary["2"]["draws"] == pytest.approx([0.4, 0.4, 0.4])
    assert summary["all"]["std"] == 0.0
