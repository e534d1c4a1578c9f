"""Trained weights of learned models, read only by those models' embeddings."""

import dagster as dg

from hear_assets.lib.grid import catalog, graph, stages
from hear_assets.partitions import pair_of, pair_partitions
from hear_assets.resources import HearHome


def _curve_table(curve: list[dict]) -> dg.MetadataValue:
    rows = "\n".join(
        f"| {p['epoch']} | {p['train_loss']:.4f} | {p['valid_loss']:.4f} |" for p in curve
    )
    return dg.MetadataValue.md("| epoch | train loss | valid loss |\n|---|---|---|\n" + rows)


@dg.asset(
    partitions_def=pair_partitions,
    group_name="models",
    pool="gpu",
    deps=graph.reads("learned_weights"),
    code_version=stages.CODE_VERSIONS["learned_weights"],
)
def learned_weights(context: dg.AssetExecutionContext, home: HearHome) -> dg.MaterializeResult:
    """Checkpoints of one per-task learned model (e.g. learned_conv) trained on one task's
    training split with early stopping on its validation split (k-fold tasks: one per test
    fold), in ``weights/<model>/<task>/``, with the training curves. A model that is not
    trained per task has nothing here (its partitions are not applicable)."""
    layout = home.layout()
    task_name, model_name = pair_of(context)
    task, model = catalog.get_task(layout, task_name), catalog.get_model(layout, model_name)
    if model.training != "per_task":
        context.log.info(f"{model_name} is not trained per task: nothing to train")
        return dg.MaterializeResult(
            data_version=dg.DataVersion("not-applicable"), metadata={"applicable": False}
        )
    res = stages.build_learned_weights(layout, task, model, log=context.log.debug)
    info = res.metadata
    metadata: dict = {
        "applicable": True,
        "seconds": info["seconds"],
        "peak_rss_mb": info["peak_rss_mb"],
        "best_valid_loss": min(info["best_valid_loss"].values()),
    }
    for test, curve in info["curves"].items():
        metadata["curve" if len(info["curves"]) == 1 else f"curve_{test}"] = _curve_table(curve)
    return dg.MaterializeResult(data_version=dg.DataVersion(res.manifest.digest), metadata=metadata)


@dg.asset(
    group_name="models",
    pool="gpu",
    deps=graph.reads("multitask_weights"),
    code_version=stages.CODE_VERSIONS["multitask_weights"],
)
def multitask_weights(context: dg.AssetExecutionContext, home: HearHome) -> dg.MaterializeResult:
    """Weights of every multi-task model (e.g. multitask_flax): one encoder trained over the
    training splits of all scene and event tasks with train/valid/test splits (a head per
    task), in ``weights/<model>/all/``. Retrained when the task set or a task changes."""
    layout = home.layout()
    tasks = list(catalog.all_tasks(layout).values())
    metadata: dict = {}
    digests = []
    for model in [m for m in catalog.all_models(layout).values() if m.training == "all_tasks"]:
        res = stages.build_multitask_weights(layout, model, tasks, log=context.log.debug)
        digests.append(res.manifest.digest)
        metadata[f"{model.name}_tasks"] = ", ".join(res.metadata["tasks"])
        metadata[f"{model.name}_seconds"] = res.metadata["seconds"]
        metadata[f"{model.name}_best_valid_loss"] = res.metadata["best_valid_loss"]
        metadata[f"{model.name}_curve"] = _curve_table(res.metadata["curve"])
    return dg.MaterializeResult(
        data_version=dg.DataVersion("".join(digests)[:64] or "none"), metadata=metadata
    )
