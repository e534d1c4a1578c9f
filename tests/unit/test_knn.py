"""Probe families beside the trained probe: kNN (blockwise votes equal a full sort, k chosen on
validation, reported as a candidate and never chosen), MLPs skipped when the linear probe is at
the metric's ceiling, and the probe-seeds setting."""

import numpy as np
import pytest

from hear_assets.lib.evaluation import knn, metrics, probe
from tests.unit.test_probe import blobs


def brute_votes(train: np.ndarray, y: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    sim = query @ train.T
    out = np.zeros((len(query), y.shape[1]))
    for i, row in enumerate(sim):
        out[i] = y[np.argsort(-row, kind="stable")[:k]].mean(axis=0)
    return out


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_blockwise_votes_equal_a_full_sort_by_cosine(monkeypatch: pytest.MonkeyPatch) -> None:
    x, y = blobs(300, 16, 4, 0)
    x[:200] *= np.random.default_rng(1).uniform(0.1, 10.0, (200, 1))  # rows of unequal norms
    train, query, scale = x[:200], x[200:], knn.inverse_norms(x[:200])
    whole = knn.neighbour_votes(train, y[:200], query, (1, 5, 20), scale)
    monkeypatch.setattr(knn, "BLOCK_ELEMENTS", 200 * 7)  # 7 queries per block
    blocks = knn.neighbour_votes(train, y[:200], query, (1, 5, 20), scale)
    cosine = brute_votes(unit(train), y[:200], unit(query), 20)
    for k in (1, 5, 20):
        np.testing.assert_allclose(blocks[k], whole[k], atol=1e-6)
        brute = brute_votes(unit(train), y[:200], unit(query), k)
        np.testing.assert_allclose(whole[k], brute, atol=1e-6)
    # Without the norms, the long training rows win: a different (wrong) neighbourhood.
    assert not np.allclose(knn.neighbour_votes(train, y[:200], query, (20,))[20], cosine)


def test_inverse_norms_leave_zero_rows_at_zero() -> None:
    z = np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)
    np.testing.assert_allclose(knn.inverse_norms(z), [0.2, 0.0])


def test_k_chosen_on_validation_and_scaled_like_the_probe() -> None:
    x, y = blobs(400, 32, 5, 1, scale=1e3)
    x[:, 0] += 1e6  # a huge offset that cosine on raw rows would be fooled by
    valid = x[250:320], y[250:320]
    data = probe.ProbeData(
        x[:250], y[:250], valid[0], lambda p: (metrics.top1_acc(valid[1], p), {}), False
    )
    fitted = probe.fit_knn_probe(data)
    assert fitted.kind == "knn" and fitted.hparams["k"] in knn.K_GRID
    assert fitted.valid_score == max(pt["valid_score"] for pt in fitted.curve)
    assert (fitted.predict(x[320:]).argmax(1) == y[320:].argmax(1)).mean() > 0.8


def test_reported_beside_the_trained_probe_never_chosen() -> None:
    x, y = blobs(300, 8, 3, 2)
    score = lambda p: (metrics.top1_acc(y[200:], p), {})  # noqa: E731
    with_knn = probe.ProbeData(x[:200], y[:200], x[200:], score, False, knn=True)
    chosen = probe.fit_probe("logreg", with_knn)
    assert set(chosen.candidates) == {"logreg", "knn"} and chosen.kind == "logreg"
    without = probe.fit_probe("logreg", probe.ProbeData(x[:200], y[:200], x[200:], score, False))
    assert set(without.candidates) == {"logreg"}


def test_mlps_skipped_when_the_linear_probe_is_at_the_ceiling() -> None:
    x, y = blobs(300, 8, 3, 2, scale=0.05)
    x = np.eye(3, 8, dtype=np.float32)[y.argmax(1)] * 10 + x  # far apart: logreg is perfect
    score = lambda p: (metrics.top1_acc(y[200:], p), {})  # noqa: E731
    at_ceiling = probe.ProbeData(x[:200], y[:200], x[200:], score, False, ceiling=1.0)
    chosen = probe.fit_probe("auto", at_ceiling)
    assert chosen.valid_score == 1.0 and set(chosen.candidates) == {"logreg"}
    assert probe.fold_record(chosen, "valid", ["train"], lambda c: 1.0)["skipped"] == {
        "mlp": "logistic regression at the validation ceiling"
    }
    no_ceiling = probe.ProbeData(x[:200], y[:200], x[200:], score, False)
    assert set(probe.fit_probe("auto", no_ceiling).candidates) == {"logreg", "mlp"}


def test_probe_seeds_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from hear_assets.lib.grid import stages
    from hear_assets.lib.store.errors import TaskDataError

    monkeypatch.delenv("HEAR_PROBE_SEEDS", raising=False)
    assert stages.probe_seeds() == (0, 1, 2)
    monkeypatch.setenv("HEAR_PROBE_SEEDS", "5")
    assert stages.probe_seeds() == (0, 1, 2, 3, 4) and stages.probe_setting().endswith("seeds5")
    for bad in ("0", "two", "51"):
        monkeypatch.setenv("HEAR_PROBE_SEEDS", bad)
        with pytest.raises(TaskDataError, match="give a number of seeds from 1 to 50"):
            stages.probe_seeds()
