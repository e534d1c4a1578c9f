"""The one ``dg.Definitions`` of hear-dagster (the sole importer of ``hear_assets.assets``)."""

import dagster as dg

from hear_assets.assets.models import learned_weights, multitask_weights
from hear_assets.assets.pairs import embeddings, predictions
from hear_assets.assets.scores import scores
from hear_assets.assets.settings import SETTINGS_ASSETS
from hear_assets.assets.tasks import task_audio, task_raw, task_splits
from hear_assets.automation import (
    grid_sensor,
    multitask_job,
    pair_dask_job,
    pair_job,
    scores_job,
    scores_nightly,
    task_job,
)
from hear_assets.resources import HearHome, ModelsResource

ASSETS = [
    *SETTINGS_ASSETS,
    task_raw,
    task_audio,
    task_splits,
    learned_weights,
    multitask_weights,
    embeddings,
    predictions,
    scores,
]
RESOURCES = {"home": HearHome(), "models": ModelsResource()}


def pair_dask_job_def() -> dg.JobDefinition:
    """``pair_dask_job`` resolved, for ``dg.reconstructable`` (dask workers rebuild it)."""
    return defs.resolve_job_def("pair_dask_job")


defs = dg.Definitions(
    assets=ASSETS,
    resources=RESOURCES,
    jobs=[task_job, multitask_job, pair_job, pair_dask_job, scores_job],
    # Runs launched from the UI or the daemon: steps in subprocesses on the launching machine.
    # pair_dask_job sends its steps to dask workers instead (docs/deploy.md).
    executor=dg.multiprocess_executor,
    sensors=[grid_sensor, scores_nightly],
)
