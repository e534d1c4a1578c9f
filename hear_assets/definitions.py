"""The one ``dg.Definitions`` of hear-dagster (the sole importer of ``hear_assets.assets``)."""

import dagster as dg

from hear_assets.assets.models import learned_weights, multitask_weights
from hear_assets.assets.pairs import embeddings, predictions
from hear_assets.assets.scores import scores
from hear_assets.assets.tasks import task_audio, task_raw, task_splits
from hear_assets.automation import (
    grid_sensor,
    multitask_job,
    nightly_job,
    pair_job,
    scores_job,
    scores_nightly,
    task_job,
    weights_job,
)
from hear_assets.resources import HearHome, ModelsResource

ASSETS = [
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

defs = dg.Definitions(
    assets=ASSETS,
    resources=RESOURCES,
    jobs=[task_job, weights_job, multitask_job, pair_job, scores_job, nightly_job],
    schedules=[scores_nightly],
    sensors=[grid_sensor],
)
