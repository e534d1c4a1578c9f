"""Executors: Dagster's multiprocess executor on one machine, dask's workers across machines.

``dask_executor`` is dagster-dask's executor (the same config, ``cluster: existing: address``
or ``cluster: local: {...}``, the same worker function) with one change: each step's dask key
names its run. Upstream keys a step by job and step name only, so concurrent runs of one job on
a shared scheduler (the partitions of a backfill) collapse into the first one: the scheduler
sees a key it already holds and never runs the others (dagster-io/dagster#21418). The step's
arguments also travel in a box dask does not look into: dask walks tuples, and the run's pool
claims (a Dagster ``@record``, a tuple that forbids iteration) make ``client.submit`` fail.
dask and dagster-dask are imported when a run starts, not when the definitions load (~2 s).
"""

import contextlib
from collections.abc import Iterator

import dagster as dg

# dagster-dask's "existing" and "local" clusters; other cluster managers (dask-kubernetes,
# dask-jobqueue, dask-yarn) start a scheduler whose address goes under "existing".
DASK_CONFIG = {
    "cluster": dg.Field(
        dg.Selector(
            {
                "existing": dg.Field(
                    {"address": dg.StringSource},
                    description="Address of a running dask scheduler, e.g. tcp://10.0.0.5:8786.",
                ),
                "local": dg.Field(
                    dg.Permissive(),
                    is_required=False,
                    description="A LocalCluster for this run (dask.distributed.LocalCluster's "
                    "keyword arguments, e.g. n_workers).",
                ),
            }
        )
    )
}


class _Box:
    """Values dask ships as one pickled object instead of walking (or sizing) them."""

    def __init__(self, *args: object) -> None:
        self.args = args


def _execute_step(dependencies: list, box: _Box) -> _Box:
    """On a dask worker: run one step (dagster-dask's worker function); box its events."""
    from dagster_dask.executor import query_on_dask_worker

    return _Box(*query_on_dask_worker(dependencies, *box.args))


class RunScopedDaskExecutor(dg.Executor):
    """Submits each step of a run to a dask cluster as a future keyed by run and step."""

    def __init__(self, cluster_type: str, cluster_config: dict) -> None:
        self.cluster_type = cluster_type
        self.cluster_config = cluster_config

    @property
    def retries(self):
        """Disabled, as in dagster-dask."""
        from dagster._core.execution.retries import RetryMode

        return RetryMode.DISABLED

    def execute(self, plan_context, execution_plan) -> Iterator[dg.DagsterEvent]:
        """Submit every step once its inputs' steps are done; yield their events."""
        import dask.distributed
        from dagster._core.errors import raise_execution_interrupts
        from dagster._utils import iterate_with_context
        from dagster_dask.executor import get_dask_resource_requirements

        if not plan_context.instance.is_persistent:
            raise dg.DagsterInvariantViolationError(
                "the dask executor needs a persistent Dagster instance: set DAGSTER_HOME"
            )
        run = plan_context.dagster_run
        with contextlib.ExitStack() as stack:
            if self.cluster_type == "existing":
                cluster = self.cluster_config["address"]
            else:
                config = {"threads_per_worker": 1, **self.cluster_config}
                cluster = stack.enter_context(dask.distributed.LocalCluster(**config))
            client = stack.enter_context(dask.distributed.Client(cluster))
            futures = {}
            for level in execution_plan.get_steps_to_execute_by_level():
                for step in level:
                    needs = [futures[k] for inp in step.step_inputs for k in inp.dependency_keys]
                    futures[step.key] = client.submit(
                        _execute_step,
                        needs,
                        _Box(
                            plan_context.reconstructable_job,
                            run,
                            plan_context.run_config,
                            [step.key],
                            plan_context.instance.get_ref(),
                            execution_plan.known_state,
                        ),
                        key=f"{run.job_name}.{step.key}.{run.run_id}",
                        resources=get_dask_resource_requirements(step.tags),
                    )
            done = dask.distributed.as_completed(list(futures.values()), with_results=True)
            for _future, events in iterate_with_context(raise_execution_interrupts, done):
                yield from events.args


@dg.executor(
    name="dask",
    config_schema=DASK_CONFIG,
    requirements=dg.multiple_process_executor_requirements(),
)
def dask_executor(init_context: dg.InitExecutorContext) -> dg.Executor:
    """Steps run on dask workers (one step per worker thread); needs a persistent instance."""
    ((cluster_type, cluster_config),) = init_context.executor_config["cluster"].items()
    return RunScopedDaskExecutor(cluster_type, dict(cluster_config or {}))


def dask_run_config(address: str, home_root: str = "", device: str = "") -> dict:
    """Run config of a dask-executed run on the scheduler at ``address``.

    ``home_root`` and ``device`` travel with the run, so workers need no HEAR_HOME of their own.
    """
    config: dict = {"execution": {"config": {"cluster": {"existing": {"address": address}}}}}
    resources = {}
    if home_root:
        resources["home"] = {"config": {"root": home_root}}
    if device:
        resources["models"] = {"config": {"device": device}}
    if resources:
        config["resources"] = resources
    return config
