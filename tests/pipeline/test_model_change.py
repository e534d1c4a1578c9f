"""Changing one model re-runs only its pairs; a run with nothing changed does no model work."""

from pathlib import Path

import dagster as dg
import pytest

from hear_assets.lib.grid import catalog
from hear_assets.lib.grid.plan import Step, pair_steps
from hear_assets.lib.store.layout import Layout
from hear_assets.runner import run_grid
from hear_models.registry import ModelSpec
from tests import outside
from tests.helpers import MINI_TONES, register_tasks


def mtimes(root: Path, *folders: str) -> dict[str, int]:
    """Modification time (ns) of every file under ``folders`` of ``root``."""
    return {
        str(p.relative_to(root)): p.stat().st_mtime_ns
        for folder in folders
        for p in sorted((root / folder).rglob("*"))
        if p.is_file()
    }


def test_new_weights_rerun_only_that_models_pairs(
    hear_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path / "mods"))
    outside.write_module(tmp_path / "mods", "energy_numpy", outside.GOOD)
    weights = tmp_path / "energy.bin"
    weights.write_bytes(b"checkpoint 1")
    register_tasks(hear_home, MINI_TONES)
    energy = ModelSpec("energy", "energy_numpy", "outside", "numpy", 16000, str(weights))
    catalog.save_registry(Layout(hear_home), "models", [energy.to_json()])
    layout = Layout(hear_home)
    tasks = [catalog.get_task(layout, "mini_tones")]

    def run() -> list[str]:
        labels: list[str] = []
        models = [catalog.get_model(layout, m) for m in ("energy", "naive_torch")]
        with dg.instance_for_test() as instance:
            result = run_grid(
                instance, layout, tasks, models, on_step=lambda label, s, e: labels.append(label)
            )
        assert not result.failures, result.failures
        return labels

    first = run()
    assert "energy|mini_tones: embeddings, predictions" in first
    assert "naive_torch|mini_tones: embeddings, predictions" in first
    naive = (
        "embeddings/naive_torch",
        "predictions/naive_torch",
        "manifests/embeddings/naive_torch",
    )
    naive_before = mtimes(hear_home, *naive, "manifests/predictions/naive_torch", "tasks")
    energy_before = mtimes(hear_home, "embeddings/energy", "predictions/energy")

    weights.write_bytes(b"checkpoint 2")  # a new checkpoint: the model's identity changes
    models = [catalog.get_model(layout, m) for m in ("energy", "naive_torch")]
    assert pair_steps(layout, tasks, models) == [
        Step("mini_tones", "energy", ("embeddings", "predictions"))
    ]
    assert run() == ["energy|mini_tones: embeddings, predictions", "scores"]
    assert mtimes(hear_home, *naive, "manifests/predictions/naive_torch", "tasks") == naive_before
    energy_after = mtimes(hear_home, "embeddings/energy", "predictions/energy")
    assert energy_after.keys() == energy_before.keys()
    assert all(energy_after[f] > energy_before[f] for f in energy_before)  # rewritten

    assert run() == []  # nothing changed: no task, pair or scores run
