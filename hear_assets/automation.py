"""Jobs and the two sensors that launch what is missing or stale: ``grid_sensor`` every minute,
``scores_nightly`` at night. Both only request runs (the daemon queues them under the pools);
nothing here runs the pipeline itself or imports the runner."""

import datetime as dt

import dagster as dg

from hear_assets.assets.settings import observe_settings
from hear_assets.executors import dask_executor
from hear_assets.lib.grid import catalog
from hear_assets.lib.grid.plan import multitask_steps, pair_steps, task_steps
from hear_assets.lib.grid.stages import PAIR_STAGES, TASK_STAGES, current_inputs, multitask_inputs
from hear_assets.lib.report import build as report
from hear_assets.lib.store.layout import Layout
from hear_assets.lib.store.manifest import digest_json
from hear_assets.partitions import pair_key
from hear_assets.resources import HearHome
from hear_assets.runs import reap_dead_runs

task_job = dg.define_asset_job("task_job", selection=dg.AssetSelection.assets(*TASK_STAGES))
# A pair's stages; a per-task model's run starts with its learned_weights.
pair_job = dg.define_asset_job(
    "pair_job", selection=dg.AssetSelection.assets("learned_weights", *PAIR_STAGES)
)
scores_job = dg.define_asset_job("scores_job", selection=dg.AssetSelection.assets("scores"))
multitask_job = dg.define_asset_job(
    "multitask_job", selection=dg.AssetSelection.assets("multitask_weights")
)

# The pair stages on a dask cluster, one run per pair: its steps run on the dask workers, so
# concurrent runs (a backfill, `hear-assets run --dask-scheduler`) spread over the cluster.
pair_dask_job = dg.define_asset_job(
    "pair_dask_job",
    selection=dg.AssetSelection.assets("learned_weights", *PAIR_STAGES),
    executor_def=dask_executor,
    config={
        "execution": {
            "config": {"cluster": {"existing": {"address": {"env": "DASK_SCHEDULER_ADDRESS"}}}}
        }
    },
    description="the stages of one pair, executed on the dask scheduler at "
    "$DASK_SCHEDULER_ADDRESS (see docs/deploy.md).",
)

IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def grid_requests(layout: Layout) -> list[dg.RunRequest]:
    """One run per task or pair whose stages are missing or stale (pairs once their task is
    done), keyed by their inputs so the same work is never launched twice."""
    tasks = catalog.all_tasks(layout)
    models = catalog.all_models(layout)
    requests = []
    for step in task_steps(layout, list(tasks.values())):
        inputs = current_inputs(layout, step.stages[0], tasks[step.task])
        requests.append(
            dg.RunRequest(
                job_name="task_job",
                partition_key=step.task,
                asset_selection=[dg.AssetKey(s) for s in step.stages],
                run_key=f"{step.label}:{','.join(step.stages)}:{digest_json(inputs)[:16]}",
            )
        )
    if multitask_steps(layout, list(tasks.values()), list(models.values())):
        wanted = [m for m in models.values() if m.training == "all_tasks"]
        inputs = {m.name: multitask_inputs(layout, m, list(tasks.values())) for m in wanted}
        requests.append(
            dg.RunRequest(
                job_name="multitask_job", run_key=f"multitask_weights:{digest_json(inputs)[:16]}"
            )
        )
    for step in pair_steps(layout, list(tasks.values()), list(models.values())):
        assert step.model is not None
        inputs = current_inputs(layout, step.stages[0], tasks[step.task], models[step.model])
        requests.append(
            dg.RunRequest(
                job_name="pair_job",
                partition_key=pair_key(step.task, step.model),
                asset_selection=[dg.AssetKey(s) for s in step.stages],
                run_key=f"{step.label}:{','.join(step.stages)}:{digest_json(inputs)[:16]}",
            )
        )
    return requests


def _partition_requests(layout: Layout, instance: dg.DagsterInstance) -> list:
    wanted = {"task": list(catalog.all_tasks(layout)), "model": list(catalog.all_models(layout))}
    reqs = []
    for dim, names in wanted.items():
        new = [n for n in names if not instance.has_dynamic_partition(dim, n)]
        if new:
            reqs.append(dg.AddDynamicPartitionsRequest(partitions_def_name=dim, partition_keys=new))
    return reqs


def tick_requests(context: dg.SensorEvaluationContext, layout: Layout) -> dg.SensorResult:
    """What a tick of either sensor requests: new tasks and models as partitions, the runs of
    everything missing or stale that is ready (``grid_requests``), and ``scores`` once nothing
    is left to run or in flight. The daemon queues the runs under the pool limits."""
    reap_dead_runs(context.instance)  # a killed `hear-assets run` must not look busy for ever
    observe_settings(context.instance, str(layout.root))  # so the UI sees changed settings
    requests = grid_requests(layout)
    busy = context.instance.get_runs_count(dg.RunsFilter(statuses=IN_FLIGHT))
    tasks, models = catalog.all_tasks(layout), catalog.all_models(layout)
    if not requests and not busy and report.report_state(layout, tasks, models) != "done":
        inputs = report.report_inputs(layout, tasks, models)
        requests.append(
            dg.RunRequest(job_name="scores_job", run_key=f"scores:{digest_json(inputs)[:16]}")
        )
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=_partition_requests(layout, context.instance),
    )


GRID_JOBS = [task_job, multitask_job, pair_job, scores_job]


@dg.sensor(
    jobs=GRID_JOBS,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def grid_sensor(context: dg.SensorEvaluationContext, home: HearHome) -> dg.SensorResult:
    """Every minute: adds newly registered tasks and models as partitions and evaluates them
    as they become ready: task stages, then their pairs, then ``scores`` once no run is in
    flight."""
    return tick_requests(context, home.layout())


NIGHT_UTC = range(2, 6)  # the nightly window: 02:00 to 05:59 UTC


def nightly_tick(
    context: dg.SensorEvaluationContext, layout: Layout, now: dt.datetime
) -> dg.SensorResult | dg.SkipReason:
    """``tick_requests`` inside the nightly window, a skip outside it."""
    if now.astimezone(dt.UTC).hour not in NIGHT_UTC:
        return dg.SkipReason(f"{now:%H:%M} UTC is outside the nightly window 02:00-05:59 UTC")
    return tick_requests(context, layout)


@dg.sensor(
    jobs=GRID_JOBS,
    minimum_interval_seconds=600,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def scores_nightly(
    context: dg.SensorEvaluationContext, home: HearHome
) -> dg.SensorResult | dg.SkipReason:
    """Nightly, from 02:00 to 05:59 UTC, every 10 minutes: requests the runs of whatever is
    missing or stale and ready (task stages, then pairs once their task is done, then
    ``scores`` once nothing is in flight), like ``grid_sensor`` but only at night. The runs go
    through the daemon's queue and its pools; work left at 06:00 goes on the next night."""
    return nightly_tick(context, home.layout(), dt.datetime.now(dt.UTC))
