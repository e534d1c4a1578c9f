"""A stage's peak memory is its own, not the worker's largest since it started."""

import numpy as np
import pytest

from hear_assets.lib.grid import memory


def test_the_peak_restarts_from_the_current_size_at_each_reset() -> None:
    if not memory.reset_peak():
        pytest.skip("this kernel does not let a process reset its resident high-water mark")
    base = memory.peak_rss_mb()
    big = np.ones(96 * 2**20 // 8)  # 96 MiB, touched
    big.sum()
    del big
    high = memory.peak_rss_mb()
    assert high >= base + 90
    assert memory.reset_peak()
    assert memory.peak_rss_mb() < high - 80  # the next stage does not inherit the 96 MiB
