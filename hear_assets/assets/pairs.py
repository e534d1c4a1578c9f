"""Pair stages, partitioned by task × model: embeddings → predictions."""

import dagster as dg

from hear_assets.lib.grid import catalog, checks, graph, stages
from hear_assets.lib.report import summaries
from hear_assets.lib.store.files import read_json
from hear_assets.partitions import pair_of, pair_partitions
from hear_assets.progress import log_every
from hear_assets.resources import HearHome, ModelsResource


@dg.asset(
    partitions_def=pair_partitions,
    group_name="pairs",
    pool="gpu",
    deps=graph.reads("embeddings"),
    code_version=stages.CODE_VERSIONS["embeddings"],
    check_specs=[
        dg.AssetCheckSpec("embeddings_finite", asset="embeddings", blocking=True),
        dg.AssetCheckSpec("embeddings_shape", asset="embeddings", blocking=True),
    ],
)
def embeddings(
    context: dg.AssetExecutionContext, home: HearHome, models: ModelsResource
) -> dg.MaterializeResult:
    """Scene embeddings (one row per clip) or timestamp embeddings (one row per frame) of one
    task by one model: ``<split>.npy`` + ``<split>.index.json`` in
    ``embeddings/<model>/<task>/``."""
    layout = home.layout()
    task_name, model_name = pair_of(context)
    task, model_spec = catalog.get_task(layout, task_name), catalog.get_model(layout, model_name)
    res = stages.build_embeddings(
        layout, task, model_spec, models.open, log_every(context, "clips")
    )
    emb_dir = layout.embeddings_dir(model_name, task_name)
    finite, f_info = checks.embeddings_finite(emb_dir, task.splits)
    shape, s_info = checks.embeddings_shape(emb_dir, layout.task_dir(task_name), task.splits)
    stages.record_checks(
        layout,
        "embeddings",
        task_name,
        model_name,
        [n for n, ok in (("embeddings_finite", finite), ("embeddings_shape", shape)) if not ok],
    )
    info = res.metadata
    return dg.MaterializeResult(
        data_version=dg.DataVersion(res.manifest.digest),
        metadata={
            "dagster/partition_row_count": info["rows"],
            "embedding_dim": info["embedding_dim"],
            "seconds": info["seconds"],
            "peak_rss_mb": info["peak_rss_mb"],
            "clips_per_second": info["clips_per_second"],
            "ms_per_clip": round(1000 * info["seconds"] / info["clips"], 3)
            if info["clips"]
            else 0.0,
            "device": info["device"],
            "weights_sha256": info["weights_sha256"],
            "rtf": info.get("efficiency", {}).get("rtf", 0.0),
            "peak_memory_mb": info.get("efficiency", {}).get("peak_memory_mb", 0.0),
            "model_card": dg.MetadataValue.json(info.get("card", {})),
        },
        check_results=[
            dg.AssetCheckResult(check_name="embeddings_finite", passed=finite, metadata=f_info),
            dg.AssetCheckResult(check_name="embeddings_shape", passed=shape, metadata=s_info),
        ],
    )


@dg.asset(
    partitions_def=pair_partitions,
    group_name="pairs",
    pool="probe",
    deps=graph.reads("predictions"),
    code_version=stages.CODE_VERSIONS["predictions"],
    check_specs=[dg.AssetCheckSpec("predictions_complete", asset="predictions", blocking=True)],
)
def predictions(context: dg.AssetExecutionContext, home: HearHome) -> dg.MaterializeResult:
    """Test-set predictions of one pair in ``predictions/<model>/<task>/``: probe probabilities
    (scene, event) or embedding distances (JND, ranking), plus the chosen probe in probe.json."""
    layout = home.layout()
    task_name, model_name = pair_of(context)
    task, model_spec = catalog.get_task(layout, task_name), catalog.get_model(layout, model_name)
    res = stages.build_predictions(layout, task, model_spec)
    task_dir = layout.task_dir(task_name)
    pred_dir = layout.predictions_dir(model_name, task_name)
    complete, c_info = checks.predictions_complete(
        pred_dir, task_dir, read_json(task_dir / "task_metadata.json")
    )
    stages.record_checks(
        layout,
        "predictions",
        task_name,
        model_name,
        [] if complete else ["predictions_complete"],
    )
    probe = res.metadata["probe"]
    view = summaries.pair_overview(task_dir, pred_dir, probe)
    return dg.MaterializeResult(
        data_version=dg.DataVersion(res.manifest.digest),
        metadata={
            "probe": probe["kind"],
            "best_hparams": dg.MetadataValue.json(probe["hparams"]),
            "valid_score": probe["valid_score"]
            if probe["valid_score"] is not None
            else float("nan"),
            "validation_curve": dg.MetadataValue.md(view["validation_curve"]),
            "confusion_matrix": dg.MetadataValue.md(view["confusion_matrix"]),
            "seconds": res.metadata["seconds"],
            "peak_rss_mb": res.metadata["peak_rss_mb"],
            **(
                {"layer_weights": dg.MetadataValue.json(probe["layer_weights"])}
                if probe.get("layer_weights")
                else {}
            ),
        },
        check_results=[
            dg.AssetCheckResult(check_name="predictions_complete", passed=complete, metadata=c_info)
        ],
    )
