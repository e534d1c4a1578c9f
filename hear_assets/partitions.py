"""The partition grid: tasks × models, both dynamic, synced from the built-ins and registries."""

import dagster as dg

from hear_assets.lib.grid import catalog
from hear_assets.lib.store.layout import Layout

task_partitions = dg.DynamicPartitionsDefinition(name="task")
model_partitions = dg.DynamicPartitionsDefinition(name="model")
pair_partitions = dg.MultiPartitionsDefinition({"model": model_partitions, "task": task_partitions})


def pair_key(task: str, model: str) -> dg.MultiPartitionKey:
    """The partition key of one (task, model) pair (prints as ``model|task``)."""
    return dg.MultiPartitionKey({"task": task, "model": model})


def pair_of(context: dg.AssetExecutionContext) -> tuple[str, str]:
    """``(task, model)`` of a pair-partitioned run."""
    key = context.partition_key
    assert isinstance(key, dg.MultiPartitionKey), f"not a pair partition: {key!r}"
    dims = key.keys_by_dimension
    return dims["task"], dims["model"]


def sync_partitions(instance: dg.DagsterInstance, layout: Layout) -> dict[str, list[str]]:
    """Add every known, non-retired task and model as a dynamic partition; return what was new."""
    added: dict[str, list[str]] = {}
    wanted = {"task": list(catalog.all_tasks(layout)), "model": list(catalog.all_models(layout))}
    for dim, names in wanted.items():
        have = set(instance.get_dynamic_partitions(dim))
        new = [n for n in names if n not in have]
        for name in new:
            try:
                instance.add_dynamic_partitions(dim, [name])
            except Exception:  # another process added it first (a unique-key clash)
                if not instance.has_dynamic_partition(dim, name):
                    raise
        added[dim] = new
    return added
