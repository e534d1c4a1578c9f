"""The stage graph is declared once: Dagster's asset graph and the planner's inputs follow it."""

from pathlib import Path

import dagster as dg
import pytest

from hear_assets.definitions import defs
from hear_assets.lib.grid import catalog, graph, stages
from hear_assets.lib.report import build as report
from hear_assets.lib.store.layout import Layout
from hear_assets.lib.store.manifest import Manifest, write_manifest
from tests.helpers import MINI_TONES, register_tasks

PARTITIONS = {"task": dg.DynamicPartitionsDefinition, "pair": dg.MultiPartitionsDefinition}


def test_the_assets_are_the_table() -> None:
    asset_graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in asset_graph.get_all_asset_keys()}
    assert keys == set(graph.GRAPH) | set(graph.SETTINGS.values())
    versions = {**stages.CODE_VERSIONS, "scores": report.VERSION}
    for name, stage in graph.GRAPH.items():
        node = asset_graph.get(dg.AssetKey(name))
        parents = {k.to_user_string() for k in node.parent_keys}
        assert parents == set(stage.reads) | {graph.SETTINGS[s] for s in stage.settings}, name
        assert node.code_version == versions[name], name
        if stage.partitions:
            assert isinstance(node.partitions_def, PARTITIONS[stage.partitions]), name
        else:
            assert node.partitions_def is None, name


@pytest.mark.parametrize("model_name", ["naive_torch", "learned_conv", "multitask_flax"])
def test_the_planner_records_what_the_table_says_each_stage_reads(
    hear_home: Path, model_name: str
) -> None:
    """Every stage's recorded inputs are its upstream stages (the weights its model trains as
    ``weights``) and its settings: no more, no fewer."""
    register_tasks(hear_home, MINI_TONES)
    layout = Layout(hear_home)
    task, model = catalog.get_task(layout, "mini_tones"), catalog.get_model(layout, model_name)
    for name, stage in graph.GRAPH.items():
        if name in graph.UNPARTITIONED:
            continue  # the grid-wide stages digest every task's or pair's output instead
        with_model = model if stage.partitions == "pair" else None
        expected = {r for r in stage.reads if r not in graph.WEIGHTS.values()}
        if graph.WEIGHTS.get(model.training) in stage.reads:
            expected.add("weights")
        for up in stage.reads:  # an output for every upstream stage, so nothing is missing
            key = "all" if up == "multitask_weights" else task.name
            who = (
                model.name
                if graph.GRAPH[up].partitions == "pair" or up == "multitask_weights"
                else None
            )
            write_manifest(hear_home, Manifest(up, key, "1", {}, f"d-{up}", {}, {}), key, who)
        inputs = stages.current_inputs(layout, name, task, with_model)
        assert inputs is not None, name
        assert set(inputs) == expected | set(stage.settings), name
