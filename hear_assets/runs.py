"""Runs of ``hear-assets run`` in the instance: their tags, and marking failed those whose
process died (shared by the runner and the sensors, which must not import the runner)."""

import socket

import dagster as dg

from hear_assets.lib.store.files import process_alive

LAUNCH_TAGS = {"hear/launched_by": "hear-assets"}
LIVE = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


def reap_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the runs whose ``hear-assets run`` process died on this machine (``kill -9``,
    a crash), and free any pool slots they hold; return their run ids.

    Such a run stays "started" in the instance for ever: the UI would show it running, the
    sensor would wait for it, and the daemon would count it against its pools.
    """
    host, reaped = socket.gethostname(), []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=LIVE, tags=LAUNCH_TAGS)):
        pid = run.tags.get("hear/pid", "")
        if run.tags.get("hear/host") != host or not pid.isdigit() or process_alive(int(pid)):
            continue
        instance.report_run_failed(run, f"its hear-assets process {pid} is gone (killed?)")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        reaped.append(run.run_id)
    return reaped
