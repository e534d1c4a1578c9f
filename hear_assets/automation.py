"""Jobs, the nightly schedule and the grid sensor: they launch what is missing or stale."""

import dagster as dg

from hear_assets.executors import dask_executor
from hear_assets.lib import catalog, report
from hear_assets.lib.layout import Layout
from hear_assets.lib.manifest import digest_json
from hear_assets.lib.plan import multitask_steps, pair_steps, task_steps
from hear_assets.lib.stages import PAIR_STAGES, TASK_STAGES, current_inputs, multitask_inputs
from hear_assets.partitions import pair_key
from hear_assets.resources import HearHome

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


@dg.sensor(
    jobs=[task_job, multitask_job, pair_job, scores_job],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def grid_sensor(context: dg.SensorEvaluationContext, home: HearHome) -> dg.SensorResult:
    """Adds newly registered tasks and models as partitions and evaluates them as they become
    ready: task stages, then their pairs, then ``scores`` once no run is in flight."""
    from hear_assets.runner import reap_dead_runs

    layout = home.layout()
    reap_dead_runs(context.instance)  # a killed `hear-assets run` must not look busy for ever
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


@dg.op
def evaluate_grid(context: dg.OpExecutionContext, home: HearHome) -> int:
    """Materialize every missing or stale task and pair, then scores (as ``hear-assets run``)."""
    from hear_assets.runner import run_grid

    layout = home.layout()
    result = run_grid(
        context.instance,
        layout,
        list(catalog.all_tasks(layout).values()),
        list(catalog.all_models(layout).values()),
        on_step=lambda label, s, err: context.log.info(
            f"{label}: {'FAILED ' + err if err else f'{s:.1f} s'}"
        ),
    )
    for label, why in result.left_out.items():
        context.log.info(f"left out: {label}: {why} (not applicable, not failed)")
    if result.failures:
        raise dg.Failure(
            description=f"{len(result.failures)} step(s) failed",
            metadata={k: v for k, v in result.failures.items()},
        )
    return result.steps


@dg.job(description="Everything missing or stale, task stages first, then pairs, then scores.")
def nightly_job() -> None:
    """The nightly re-evaluation."""
    evaluate_grid()


scores_nightly = dg.ScheduleDefinition(
    name="scores_nightly",
    cron_schedule="0 2 * * *",
    execution_timezone="UTC",
    job=nightly_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Nightly at 02:00 UTC: re-evaluate every missing or stale pair, then scores.",
)
