"""Two nightly runs with a changed model: the history, its plot, the nightly summary and the
regression check (which warns only when nothing, or only the code, explains a move)."""

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from hear_assets.definitions import ASSETS
from hear_assets.lib.grid import catalog
from hear_assets.lib.report import history
from hear_assets.lib.store.layout import Layout
from hear_assets.resources import HearHome, ModelsResource
from hear_assets.runner import run_grid
from hear_models.registry import ModelSpec
from tests import outside
from tests.helpers import MINI_TONES, register_tasks

# A module whose scene embedding is a 4 Hz-resolution log spectrum up to 1 kHz (it tells
# pitches apart), and the same module made uninformative: a seeded random vector per clip.
SPECTRUM = outside.GOOD.replace("scene_embedding_size = 8", "scene_embedding_size = 256").replace(
    "    emb, _ = get_timestamp_embeddings(audio, model)\n    return emb.mean(axis=1)",
    "    spec = np.abs(np.fft.rfft(np.asarray(audio), n=16000, axis=1))[:, :1024]\n"
    "    return np.log(spec.reshape(len(audio), 256, 4).sum(-1) + 1e-6).astype(np.float32)",
)
NOISE = SPECTRUM.replace(
    "    return np.log(spec.reshape(len(audio), 256, 4).sum(-1) + 1e-6).astype(np.float32)",
    "    return np.random.default_rng(0).normal(size=(len(audio), 256)).astype(np.float32)",
)
NIGHTLY = {"dagster/sensor_name": "scores_nightly"}


@pytest.fixture(autouse=True)
def quick_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """The probe is not what these tests are about: one seed of the logistic regression."""
    monkeypatch.setenv("HEAR_PROBE", "logreg")
    monkeypatch.setenv("HEAR_PROBE_SEEDS", "1")


def later(snapshot: pd.DataFrame) -> str:
    """A time 1 ms after ``snapshot``'s (a fabricated snapshot between it and the next run)."""
    t = pd.Timestamp(snapshot["created"].iloc[0]) + pd.Timedelta(milliseconds=1)
    return t.isoformat(timespec="milliseconds")


def nightly_scores(instance, home: Path):
    """What the nightly sensor's ``scores_job`` run does: materialize ``scores`` (its tags)."""
    result = dg.materialize(
        ASSETS,
        selection=["scores"],
        instance=instance,
        resources={"home": HearHome(root=str(home)), "models": ModelsResource()},
        tags=NIGHTLY,
    )
    assert result.success
    (check,) = [c for c in result.get_asset_check_evaluations() if c.check_name == "scores_stable"]
    (mat,) = result.asset_materializations_for_node("scores")
    return check, mat.metadata


def test_two_nightly_runs_with_a_changed_model(
    hear_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path / "mods"))
    assert SPECTRUM != outside.GOOD and NOISE != SPECTRUM
    outside.write_module(tmp_path / "mods", "energy_v1", SPECTRUM)
    outside.write_module(tmp_path / "mods", "energy_v2", NOISE)
    register_tasks(hear_home, MINI_TONES)
    layout = Layout(hear_home)

    def use(module: str) -> None:
        spec = ModelSpec("energy", module, "outside", "numpy", 16000)
        catalog.save_registry(layout, "models", [spec.to_json()])

    def grid(instance) -> None:
        tasks = [catalog.get_task(layout, "mini_tones")]
        models = [catalog.get_model(layout, m) for m in ("energy", "naive_torch")]
        assert not run_grid(instance, layout, tasks, models).failures

    use("energy_v1")
    with dg.instance_for_test() as instance:
        grid(instance)
        check, meta = nightly_scores(instance, hear_home)  # night 1
        assert check.passed
        use("energy_v2")  # the model changes during the day
        grid(instance)
        check, meta = nightly_scores(instance, hear_home)  # night 2

    hist = history.read(layout)
    snaps = history.snapshots(hist)
    assert [s["trigger"].iloc[0] for s in snaps] == [
        "hear-assets run", "nightly", "hear-assets run", "nightly"
    ]  # fmt: skip
    energy = hist[hist["model"] == "energy"]
    assert energy["model_sha256"].nunique() == 2 and energy["task_sha256"].nunique() == 1
    naive = hist[hist["model"] == "naive_torch"]
    assert naive["primary"].nunique() == 1 and naive["model_sha256"].nunique() == 1
    before, after = energy["primary"].iloc[1], energy["primary"].iloc[3]
    assert after < before - 0.2  # random embeddings: towards chance

    # The nightly summary: what changed since the previous night, and why.
    changes = meta["changes"].value
    assert "energy|mini_tones: pitch_acc" in changes and "inputs changed (model)" in changes
    assert f"{before:.4f} -> {after:.4f}" in changes
    assert check.passed  # the model changed: an expected move, not a regression
    plot = meta["history_plot"].value
    assert plot.startswith("![mini_tones: score over time](data:image/svg+xml;base64,")

    # `hear-assets history` prints the same rows.
    out = subprocess.run(
        [sys.executable, "-m", "hear_assets", "history", "--model", "energy"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.count("energy") == 4 and "inputs changed" in out and f"{after:.4f}" in out
    csv = subprocess.run(
        [sys.executable, "-m", "hear_assets", "history", "--format", "csv"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert csv.splitlines()[0] == ",".join(history.COLUMNS) and len(csv.splitlines()) == 9


def test_a_move_nothing_explains_warns_naming_the_pair_and_both_values(mini_home: Path) -> None:
    layout = Layout(mini_home)
    with dg.instance_for_test() as instance:
        tasks = [catalog.get_task(layout, "mini_tones")]
        models = [catalog.get_model(layout, "naive_torch")]
        assert not run_grid(instance, layout, tasks, models).failures
        last = history.snapshots(history.read(layout))[-1]
        # A previous night recorded another score with the same inputs and code (what a
        # non-deterministic probe would leave), and another with only the code different.
        fake = last.copy()
        fake["run_id"], fake["trigger"] = "ffffffff-fake", "nightly"
        fake["created"] = later(last)
        fake["primary"], fake["ci_lo"], fake["ci_hi"] = 0.1, 0.05, 0.15
        history.append(layout, fake)
        check, _ = nightly_scores(instance, mini_home)
        assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
        text = check.metadata["moved_without_input_change"].value
        real = float(last["primary"].iloc[0])
        assert text.startswith("naive_torch|mini_tones: pitch_acc 0.1000 -> ")
        assert f"{real:.4f}" in text and text.endswith("nothing changed")

        fake = history.snapshots(history.read(layout))[-1].copy()
        fake["created"] = later(fake)
        fake["run_id"], fake["code_version"] = "ffffffff-old", "0.0.9+0123456789ab e1 p1 s1"
        fake["primary"], fake["ci_lo"], fake["ci_hi"] = 0.1, 0.05, 0.15
        history.append(layout, fake)
        check, _ = nightly_scores(instance, mini_home)
        assert not check.passed
        assert check.metadata["moved_without_input_change"].value.endswith("code changed")
        check, _ = nightly_scores(instance, mini_home)  # the same again: nothing moved
        assert check.passed
    assert isinstance(history.read(layout), pd.DataFrame)
