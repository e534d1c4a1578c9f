"""Embeddings are written a batch at a time: the file is np.save's, byte for byte."""

import io
from pathlib import Path

import numpy as np
import pytest

from hear_assets.lib.store.files import npy_rows


@pytest.mark.parametrize("shape", [(0, 7), (5, 3), (12_345, 16)])
def test_rows_in_blocks_make_the_bytes_np_save_makes(tmp_path: Path, shape) -> None:
    a = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    out = tmp_path / "x.npy"
    with npy_rows(out, shape[1]) as w:
        for i in range(0, len(a), 1000):
            w.append(a[i : i + 1000].astype(np.float64))  # cast to float32 on the way
    expected = io.BytesIO()
    np.save(expected, a)
    assert out.read_bytes() == expected.getvalue()
    assert np.array_equal(np.load(out), a)


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "x.npy"
    with pytest.raises(ValueError, match="expected"), npy_rows(out, 4) as w:
        w.append(np.zeros((3, 4)))
        w.append(np.zeros((3, 5)))  # a batch of another width
    assert list(tmp_path.iterdir()) == []
