"""Trained weights sit on the task × model grid: a new per-task model trains only its own pairs."""

from dataclasses import replace
from pathlib import Path

import dagster as dg

from hear_assets.lib.grid import catalog
from hear_assets.lib.store.layout import Layout
from hear_assets.runner import run_grid
from tests.helpers import MINI_TONES, register_tasks
from tests.pipeline.test_model_change import mtimes


def test_a_new_per_task_model_trains_only_its_own_pairs(hear_home: Path) -> None:
    register_tasks(hear_home, MINI_TONES)
    layout = Layout(hear_home)
    tasks = [catalog.get_task(layout, "mini_tones")]
    conv = catalog.get_model(layout, "learned_conv")
    with dg.instance_for_test() as instance:

        def run(*models) -> list[str]:
            labels: list[str] = []
            result = run_grid(
                instance, layout, tasks, list(models), on_step=lambda lab, s, e: labels.append(lab)
            )
            assert not result.failures, result.failures
            return labels

        first = run(conv)
        assert "learned_conv|mini_tones: learned_weights, embeddings, predictions" in first
        trained = mtimes(hear_home, "weights/learned_conv", "manifests/learned_weights")
        assert trained

        twin = replace(conv, name="learned_twin")  # another per-task model, registered later
        catalog.save_registry(layout, "models", [twin.to_json()])
        assert run(conv, twin) == [
            "learned_twin|mini_tones: learned_weights, embeddings, predictions",
            "scores",
        ]
        assert mtimes(hear_home, "weights/learned_conv") == {
            k: v for k, v in trained.items() if k.startswith("weights/learned_conv")
        }
        assert (hear_home / "weights" / "learned_twin" / "mini_tones" / "test.pt").exists()
        assert instance.get_materialized_partitions(dg.AssetKey("learned_weights")) == {
            "learned_conv|mini_tones",
            "learned_twin|mini_tones",
        }
        assert run(conv, twin) == []
