"""The settings stages read besides upstream outputs, as observable source assets: a task's
spec, a model's identity (spec and weights file) and ``$HEAR_PROBE``. Each observation's data
version is the digest the planner records, so a changed setting makes the same assets stale in
the UI as in ``hear-assets run`` (which observes them before it plans)."""

import warnings
from pathlib import Path

import dagster as dg
from dagster._core.definitions.data_version import (  # the tags Dagster's observations carry
    DATA_VERSION_IS_USER_PROVIDED_TAG,
    DATA_VERSION_TAG,
    extract_data_version_from_entry,
)

from hear_assets.lib.grid import catalog, stages
from hear_assets.lib.store.layout import Layout
from hear_assets.partitions import model_partitions, task_partitions
from hear_assets.resources import HearHome


def task_versions(layout: Layout, instance: dg.DagsterInstance) -> dict[str, str]:
    """Each known task partition's spec digest (``stages.task_identity``)."""
    have = set(instance.get_dynamic_partitions("task"))
    return {n: stages.task_identity(t) for n, t in catalog.all_tasks(layout).items() if n in have}


def model_versions(layout: Layout, instance: dg.DagsterInstance) -> dict[str, str]:
    """Each known model partition's identity digest (spec and weights bytes)."""
    have = set(instance.get_dynamic_partitions("model"))
    return {n: stages.model_identity(m) for n, m in catalog.all_models(layout).items() if n in have}


def task_spec(context: dg.AssetExecutionContext, home: HearHome) -> dg.DataVersionsByPartition:
    """Each task's spec (type, duration, metrics, splits, source settings), as its digest;
    ``task_raw`` reads it."""
    versions = task_versions(home.layout(), context.instance)
    return dg.DataVersionsByPartition({k: dg.DataVersion(v) for k, v in versions.items()})


def model_spec(context: dg.AssetExecutionContext, home: HearHome) -> dg.DataVersionsByPartition:
    """Each model's identity (its spec and the bytes of its weights file), as its digest; the
    weights and embeddings of its pairs read it."""
    versions = model_versions(home.layout(), context.instance)
    return dg.DataVersionsByPartition({k: dg.DataVersion(v) for k, v in versions.items()})


def probe_setting() -> dg.DataVersion:
    """``$HEAR_PROBE`` (``auto``, ``logreg`` or ``hear``) and ``$HEAR_PROBE_SEEDS``: the probe
    every predictions run trains, and with how many seeds."""
    return dg.DataVersion(stages.probe_setting())


def observed_version(instance: dg.DagsterInstance, asset: str, partition: str | None) -> str:
    """The data version of a settings asset's latest observation ('' if never observed)."""
    record = instance.get_latest_data_version_record(
        dg.AssetKey(asset), is_source=True, partition_key=partition
    )
    if record is None:
        return ""
    version = extract_data_version_from_entry(record.event_log_entry)
    return version.value if version else ""


def observe_settings(instance: dg.DagsterInstance, home_root: str) -> int:
    """Record as observations the settings whose digest changed since their last observation
    (task specs, model identities, ``$HEAR_PROBE``), so that the runs that follow record them
    as their inputs and the UI calls stale what the planner calls stale. Reported as runless
    observations of the settings assets (no run, nothing when nothing changed), with the data
    version their own observation would give; returns how many were recorded."""
    layout = Layout(Path(home_root))
    current = {
        "task_spec": task_versions(layout, instance),
        "model_spec": model_versions(layout, instance),
        "probe_setting": {None: stages.probe_setting()},
    }
    recorded = 0
    for name, versions in current.items():
        for part, version in versions.items():
            if observed_version(instance, name, part) == version:
                continue
            instance.report_runless_asset_event(
                dg.AssetObservation(
                    dg.AssetKey(name),
                    partition=part,
                    tags={DATA_VERSION_TAG: version, DATA_VERSION_IS_USER_PROVIDED_TAG: "true"},
                )
            )
            recorded += 1
    return recorded


with warnings.catch_warnings():  # observable source assets are "beta" in this release
    warnings.simplefilter("ignore", dg.BetaWarning)
    SETTINGS_ASSETS = [
        dg.observable_source_asset(partitions_def=task_partitions, group_name="settings")(
            task_spec
        ),
        dg.observable_source_asset(partitions_def=model_partitions, group_name="settings")(
            model_spec
        ),
        dg.observable_source_asset(group_name="settings")(probe_setting),
    ]
