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
