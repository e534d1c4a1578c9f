"""The logistic-regression probe: exact span reduction, selection on validation."""

import numpy as np

from hear_assets.lib.evaluation import metrics, probe


def blobs(n: int, d: int, k: int, seed: int, scale: float = 1.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (k, d))
    labels = rng.integers(0, k, n)
    x = (centres[labels] + rng.normal(0, 1.0, (n, d))) * scale
    return x.astype(np.float32), np.eye(k, dtype=np.float32)[labels]


def test_span_basis_gives_the_same_probabilities_as_the_full_fit() -> None:
    x, y = blobs(60, 300, 3, 0)
    scaler = probe.Standardizer.fit(x)
    assert scaler.basis is not None and scaler.basis.shape[1] <= 60
    full = probe.Standardizer(scaler.mean, scaler.std)  # same statistics, no reduction
    clf_r = probe._fit_logreg(scaler(x), y.argmax(1), 0.1, 0)
    clf_f = probe._fit_logreg(full(x), y.argmax(1), 0.1, 0)
    x_new, _ = blobs(20, 300, 3, 1)
    np.testing.assert_allclose(
        clf_r.predict_proba(scaler(x_new)), clf_f.predict_proba(full(x_new)), atol=2e-3
    )


def test_probe_survives_badly_scaled_embeddings() -> None:
    x, y = blobs(300, 64, 5, 2, scale=1e4)
    x[:, 0] += 1e7  # one huge constant-ish dimension
    fitted = probe.fit_logreg_probe(
        probe.ProbeData(
            x[:200], y[:200], x[200:], lambda p: (metrics.top1_acc(y[200:], p), {}), False
        )
    )
    acc = (fitted.predict(x[200:]).argmax(1) == y[200:].argmax(1)).mean()
    assert acc > 0.8
    assert len(fitted.curve) == len(probe.DEFAULT_C_GRID)
    assert fitted.valid_score == max(pt["valid_score"] for pt in fitted.curve)


def test_multilabel_probe_scores_every_label() -> None:
    x, y1 = blobs(200, 32, 4, 3)
    y = y1.copy()
    y[:, 3] = (x[:, 0] > 0).astype(np.float32)  # a second, independent label
    score = lambda p: (metrics.mean_average_precision(y[150:], p), {})  # noqa: E731
    fitted = probe.fit_logreg_probe(probe.ProbeData(x[:150], y[:150], x[150:], score, True))
    p = fitted.predict(x[150:])
    assert p.shape == (50, 4)
    assert ((p >= 0) & (p <= 1)).all()


def test_row_span_basis_spans_what_the_svd_spans() -> None:
    rng = np.random.default_rng(3)
    z = rng.normal(size=(40, 8)) @ rng.normal(size=(8, 200))  # rank 8
    z[:, :5] *= 1e3  # badly scaled columns
    z = np.vstack([z, z[:3]])  # repeated rows
    basis = probe.row_span_basis(z)
    assert basis.shape == (200, 8)
    np.testing.assert_allclose(basis.T @ basis, np.eye(8), atol=1e-9)
    _, sv, vt = np.linalg.svd(z, full_matrices=False)
    svd_basis = vt[sv > sv[0] * 1e-7].T
    np.testing.assert_allclose(basis @ basis.T, svd_basis @ svd_basis.T, atol=1e-9)
    assert probe.row_span_basis(np.zeros((0, 5))).shape == (5, 0)


def test_column_moments_in_blocks_are_numpys_in_float64() -> None:
    rng = np.random.default_rng(5)
    x = (rng.normal(3.0, 2.0, (1000, 7)) * [1, 1e3, 1e-3, 1, 1, 1e5, 1]).astype(np.float32)
    mean, std = probe.column_moments(x, block=97)  # blocks that do not divide the rows
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(std, x64.std(axis=0), rtol=1e-10)


def test_the_regularization_path_converges_where_cold_fits_do() -> None:
    x, y = blobs(400, 40, 4, 6)
    labels = y.argmax(1)
    scaler = probe.Standardizer.fit(x[:300])
    z, zq = scaler(x[:300]), scaler(x[300:])
    previous = None
    for c in probe.DEFAULT_C_GRID:
        warm = probe._fit_logreg(z, labels[:300], c, 0, previous)
        cold = probe._fit_logreg(z, labels[:300], c, 0)
        assert warm.n_iter_.max() < probe.MAX_ITER  # converged, so the start does not matter
        np.testing.assert_allclose(warm.predict_proba(zq), cold.predict_proba(zq), atol=2e-3)
        previous = warm
    assert previous.n_iter_.max() < cold.n_iter_.max()  # and it got there in fewer steps


def test_the_c_grid_stops_at_the_validation_ceiling() -> None:
    x, y = blobs(200, 16, 3, 7, scale=0.05)  # far-apart centres: every C separates them
    data = probe.ProbeData(
        x[:150], y[:150], x[150:], lambda p: (metrics.top1_acc(y[150:], p), {}), False,
        ceiling=1.0,
    )  # fmt: skip
    fitted = probe.fit_logreg_probe(data)
    scores = [pt["valid_score"] for pt in fitted.curve]
    assert scores[-1] == 1.0 and 1.0 not in scores[:-1]  # stopped at the first to reach it
    assert len(scores) < len(probe.DEFAULT_C_GRID)
    assert fitted.hparams["C"] == fitted.curve[-1]["C"]
    unbounded = probe.fit_logreg_probe(probe.replace(data, ceiling=None))
    assert len(unbounded.curve) == len(probe.DEFAULT_C_GRID)
    assert unbounded.hparams == fitted.hparams  # the same choice, the whole grid tried
