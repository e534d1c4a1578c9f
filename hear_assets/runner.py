"""Materialize the grid in one long-lived process on the persistent Dagster instance.

Shared by ``hear-assets run`` and the nightly job: it plans first (so a run with nothing
changed launches nothing), then materializes task stages, then pair stages (in order, or in
worker processes as their inputs become ready), then ``scores``. Each step is a Dagster
run, so all of them show in the UI. With a dask scheduler, pair steps are runs of
``pair_dask_job`` whose steps execute on the dask workers; the local processes only
orchestrate them.
"""

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

import dagster as dg

from hear_assets.assets.settings import observe_settings
from hear_assets.definitions import ASSETS, pair_dask_job_def
from hear_assets.executors import dask_run_config
from hear_assets.lib.grid import catalog, graph
from hear_assets.lib.grid.plan import (
    Step,
    blocked_pairs,
    left_out,
    multitask_steps,
    pair_steps,
    task_steps,
)
from hear_assets.lib.report import build as report
from hear_assets.lib.store.files import clean_temp
from hear_assets.lib.store.layout import Layout
from hear_assets.lib.tasks import TaskSpec
from hear_assets.partitions import pair_key, pair_partitions, sync_partitions
from hear_assets.resources import HearHome, ModelsResource
from hear_assets.runs import LAUNCH_TAGS, reap_dead_runs
from hear_models.api import HearError
from hear_models.registry import ModelSpec

log = logging.getLogger(__name__)
# Failures are reported by the caller in one line; Dagster's console logger stays quiet.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
OnStep = Callable[[str, float, str | None], None]  # label, seconds, error or None
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


@dataclass
class GridResult:
    """What a grid run did."""

    steps: int = 0
    failures: dict[str, str] = field(default_factory=dict)
    left_out: dict[str, str] = field(default_factory=dict)  # model or pair -> why (not failed)


def _failure_message(result: dg.ExecuteInProcessResult | dg.JobExecutionResult) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            err = event.step_failure_data.error
            while err is not None and err.cause is not None and "StepExecution" in err.cls_name:
                err = err.cause
            if err is not None:
                return err.message.strip().splitlines()[0]
    for event in result.all_events:  # the run failed outside its steps (e.g. no dask scheduler)
        error = getattr(event.event_specific_data, "error", None)
        if event.is_run_failure and error is not None:
            return error.message.strip().splitlines()[0]
    return "run failed"


def materialize_step(
    step: Step, home_root: str, device: str = "", instance=None, dask_scheduler: str = ""
) -> str | None:
    """Run one step's stages as a Dagster run; return None or the one-line failure.

    A pair step with ``dask_scheduler`` runs as ``pair_dask_job`` on that dask cluster (its
    instance must be persistent: DAGSTER_HOME); every other step runs in this process.
    """
    if dask_scheduler and step.model is not None:
        return _launch_on_dask(step, home_root, device, dask_scheduler, instance)

    resources = {"home": HearHome(root=home_root), "models": ModelsResource(device=device)}
    key = step.task if step.model is None else pair_key(step.task, step.model)
    selection = list(step.stages)

    def go(inst: dg.DagsterInstance) -> str | None:
        result = dg.materialize(
            ASSETS,
            selection=selection,
            partition_key=None if step.stages[0] in graph.UNPARTITIONED else key,
            instance=inst,
            resources=resources,
            run_config=QUIET,
            raise_on_error=False,
            tags={**LAUNCH_TAGS, "hear/host": socket.gethostname(), "hear/pid": str(os.getpid())},
        )
        return None if result.success else _failure_message(result)

    if instance is not None:
        return go(instance)
    with dg.DagsterInstance.get() as inst:
        return go(inst)


def _launch_on_dask(step: Step, home_root: str, device: str, address: str, instance) -> str | None:
    """One pair step as a ``pair_dask_job`` run whose steps execute on the dask cluster."""

    assert step.model is not None
    key = pair_key(step.task, step.model)
    run_config = {**dask_run_config(address, home_root, device), **QUIET}
    tags = {**pair_partitions.get_tags_for_partition_key(key), "hear/launched_by": "hear-assets"}

    def go(inst: dg.DagsterInstance) -> str | None:
        with dg.execute_job(
            dg.reconstructable(pair_dask_job_def),
            inst,
            run_config=run_config,
            tags=tags,
            asset_selection=[dg.AssetKey(s) for s in step.stages],
        ) as result:
            return None if result.success else _failure_message(result)

    if instance is not None:
        return go(instance)
    with dg.DagsterInstance.get() as inst:
        return go(inst)


def dask_threads(address: str) -> int:
    """How many steps the dask cluster at ``address`` runs at once (its worker threads)."""
    import dask.distributed

    try:
        with dask.distributed.Client(address, timeout=10) as client:
            return max(1, sum(client.nthreads().values()))
    except OSError as exc:
        raise HearError(
            f"no dask scheduler answers at {address} ({exc}); start one with "
            "`dask scheduler` and `dask worker ADDRESS`, or check --dask-scheduler"
        ) from exc


@contextlib.contextmanager
def worker_threads(workers: int) -> Iterator[None]:
    """Share the cores out among ``workers`` processes spawned in this block.

    torch, BLAS and XLA each start a thread per core in every process, so N workers on N cores
    would run N² threads and spend their time switching (on 2 cores, 2 workers were slower than
    one). Spawned workers inherit ``cores // workers`` threads (XLA: one, when that is one);
    variables the user set are kept.
    """
    threads = max(1, (os.cpu_count() or 1) // workers)
    wanted = {name: str(threads) for name in THREAD_VARIABLES if name not in os.environ}
    if threads == 1:
        wanted["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {XLA_ONE_THREAD}".strip()
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _timed(fn, *args) -> tuple[float, str | None]:
    start = time.perf_counter()
    err = fn(*args)
    return time.perf_counter() - start, err


def run_grid(
    instance: dg.DagsterInstance,
    layout: Layout,
    tasks: list[TaskSpec],
    models: list[ModelSpec],
    force: bool = False,
    parallel: int = 1,
    device: str = "",
    on_step: OnStep | None = None,
    dask_scheduler: str = "",
) -> GridResult:
    """Materialize every missing or stale stage of ``tasks`` × ``models``, then scores.

    ``parallel`` runs at once (spawned worker processes, each started as soon as its inputs
    are); with ``dask_scheduler`` pair steps execute on that dask cluster.
    """
    sync_partitions(instance, layout)
    observe_settings(instance, str(layout.root))
    dead = reap_dead_runs(instance)
    if dead:
        log.info("marked %d runs of interrupted hear-assets processes as failed", len(dead))
    removed = clean_temp(layout.root)
    if removed:
        log.info("removed %d temporary files left by an interrupted run", removed)
    out = GridResult()
    root = str(layout.root)

    def done(label: str, seconds: float, err: str | None) -> None:
        out.steps += 1
        if err:
            out.failures[label] = err
        if on_step:
            on_step(label, seconds, err)

    grid = _Grid(layout, tasks, models, force, device, dask_scheduler)
    if parallel > 1:
        _run_in_pool(out, done, grid, parallel)
    else:
        _run_in_order(out, done, grid, instance)
    if not force:
        for pair, failed in blocked_pairs(layout, tasks, models).items():
            out.failures[pair] = (
                f"not launched: blocking check failed ({'; '.join(failed)}); fix the input, "
                "then rerun with --force"
            )
    all_tasks, all_models = catalog.all_tasks(layout), catalog.all_models(layout)
    if out.steps or report.report_state(layout, all_tasks, all_models) != "done":
        done(
            "scores", *_timed(materialize_step, Step("", None, ("scores",)), root, device, instance)
        )
    return out


def _die_with_parent(parent: int) -> None:
    """A worker's initializer: on Linux, be killed when the process that launched it dies
    (``PR_SET_PDEATHSIG``), so a killed ``hear-assets run`` leaves no worker writing beside
    the run that resumes it."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # it died before the signal was armed
        os._exit(1)


def longest_first(steps: list[Step], tasks: list[TaskSpec]) -> list[Step]:
    """Steps, the likely longest first so that none is left running alone at the end: task
    stages and multi-task weights (others wait for them), then pairs of event tasks (a
    frame-level probe, post-processing scored at every check), then per-task training;
    otherwise in plan order."""
    kind = {t.name: t.task_type for t in tasks}
    return sorted(
        steps,
        key=lambda s: (
            s.model is not None,
            kind.get(s.task) != "event",
            s.stages[0] != "learned_weights",
        ),
    )


def _label(step: Step) -> str:
    return f"{step.label}: {', '.join(step.stages)}"


@dataclass(frozen=True)
class _Grid:
    """What one ``run_grid`` call materializes, and where."""

    layout: Layout
    tasks: list[TaskSpec]
    models: list[ModelSpec]
    force: bool
    device: str
    dask_scheduler: str


def _run_in_order(out: GridResult, done: OnStep, grid: _Grid, instance: dg.DagsterInstance) -> None:
    """Task stages, then multi-task weights, then pairs, one run at a time in this process."""
    layout, tasks, models, force = grid.layout, grid.tasks, grid.models, grid.force
    root, device, dask_scheduler = str(layout.root), grid.device, grid.dask_scheduler
    failed_tasks: set[str] = set()
    for step in task_steps(layout, tasks, force):
        failed_before = len(out.failures)
        done(_label(step), *_timed(materialize_step, step, root, device, instance))
        if len(out.failures) > failed_before:
            failed_tasks.add(step.task)
    # Weights are planned after the task stages ran, so new tasks get theirs in the same run;
    # a model whose weights stage cannot apply to these tasks is left out, not failed.
    # Per-task weights are the first stage of their pair's run.
    out.left_out = left_out(layout, tasks, models)
    for step in multitask_steps(layout, tasks, models, force):
        done(_label(step), *_timed(materialize_step, step, root, device, instance))
    for step in pair_steps(layout, tasks, models, force):
        if step.task not in failed_tasks:
            done(
                _label(step),
                *_timed(materialize_step, step, root, device, instance, dask_scheduler),
            )


def _run_in_pool(out: GridResult, done: OnStep, grid: _Grid, parallel: int) -> None:
    """The same steps in ``parallel`` spawned worker processes, each started once its inputs
    are: every task's stages at once; when they are all done, the multi-task weights first
    (the longest run) beside every pair that does not need them; those pairs last.

    A step's stages are planned from what is on disk when it becomes ready, as in order.
    """
    layout, tasks, models, force = grid.layout, grid.tasks, grid.models, grid.force
    root, device, dask_scheduler = str(layout.root), grid.device, grid.dask_scheduler
    multitask = {m.name for m in models if m.training == "all_tasks"}
    running: dict[Future, Step] = {}
    queue: list[Step] = []  # ready, not launched: launched as workers free up, longest first
    # By task and model: a pair planned again while its run is under way has fewer stages
    # left (another Step), and must not start a second run beside the first.
    submitted: set[tuple[str, str | None]] = set()
    failed_tasks: set[str] = set()
    phase = "tasks"
    spawn = multiprocessing.get_context("spawn")
    with (
        worker_threads(parallel),
        ProcessPoolExecutor(
            parallel, mp_context=spawn, initializer=_die_with_parent, initargs=(os.getpid(),)
        ) as pool,
    ):

        def submit(steps: list[Step]) -> None:
            """Queue what is new; launch the queue's head while a worker is free. The queue is
            re-sorted on every call, so a step that becomes ready later (the multi-task
            model's pairs) goes before shorter kinds queued earlier; within one kind
            (``longest_first``'s key ties) the earlier-queued step goes first."""
            nonlocal queue
            for step in steps:
                if (step.task, step.model) not in submitted:
                    submitted.add((step.task, step.model))
                    queue.append(step)
            queue = longest_first([s for s in queue if s.task not in failed_tasks], tasks)
            while queue and len(running) < parallel:
                step = queue.pop(0)
                fut = pool.submit(
                    _timed, materialize_step, step, root, device, None, dask_scheduler
                )
                running[fut] = step

        submit(task_steps(layout, tasks, force))
        while True:
            if phase == "tasks" and not running and not queue:
                phase = "weights"
                out.left_out = left_out(layout, tasks, models)
                weights = multitask_steps(layout, tasks, models, force)
                pairs = pair_steps(layout, tasks, models, force)
                submit(weights + [s for s in pairs if not (weights and s.model in multitask)])
            if phase == "weights" and not any(s.model is None for s in [*running.values(), *queue]):
                phase = "pairs"
                submit(pair_steps(layout, tasks, models, force))
            submit([])  # after the phase's new steps are queued: a freed worker takes the longest
            if not running:
                return
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                step = running.pop(fut)
                failed_before = len(out.failures)
                done(_label(step), *fut.result())
                if step.model is None and step.task and len(out.failures) > failed_before:
                    failed_tasks.add(step.task)


def planned_steps(
    layout: Layout, tasks: list[TaskSpec], models: list[ModelSpec], force: bool = False
) -> int:
    """How many steps ``run_grid`` will take (pairs of tasks still to build included)."""
    t_steps = task_steps(layout, tasks, force)
    pending = {s.task for s in t_steps}
    ready = pair_steps(layout, tasks, models, force)
    multitask = len(multitask_steps(layout, tasks, models, force)) or int(
        bool(pending) and any(m.training == "all_tasks" for m in models)
    )
    return len(t_steps) + multitask + len(ready) + len(pending) * len(models)
