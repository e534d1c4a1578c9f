"""Kill -9 a run at random points, again and again; the resumed run gives identical scores."""

import json
import os
import queue
import random
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import dagster as dg
import pytest

from hear_assets.runs import LAUNCH_TAGS, LIVE
from tests.helpers import BIN, MINI_TONES, PROJECT, env_for, mini_task, register_tasks, run

pytestmark = pytest.mark.slow
TASKS = [
    MINI_TONES,
    mini_task("tiny_events", "mini_events", sample_duration=2.0, params={"clips": 15}),
]
ARGS = ["run", "--tasks", "mini_tones,mini_events", "--models", "naive_torch,learned_conv"]
TRIALS = int(os.environ.get("HEAR_CRASH_TRIALS", "4"))  # 20+ for a thorough run
STEP = re.compile(r"\] \d+/\d+ ")  # a progress line: one step finished


def make_home(root: Path) -> dict[str, str]:
    (root / "data").mkdir(parents=True)
    (root / "dh").mkdir()
    register_tasks(root / "data", *TASKS)
    # One probe seed: what is tested is resuming, not the seeds (they share one atomic folder).
    return env_for(root / "data", root / "dh", HEAR_PROBE_SEEDS="1")


def scores_of(home: Path) -> dict:
    out = {}
    for path in sorted((home / "scores").glob("*/*.json")):
        s = json.loads(path.read_text())
        out[f"{s['model']}|{s['task']}"] = (s["primary"], s["ci95"], s["metrics"], s["probe"])
    return out


def kill_during_a_step(env: dict[str, str], rng: random.Random) -> bool | None:
    """Start a run and kill -9 it during a randomly chosen one of its steps.

    The run reports each finished step on stderr (``] i/N label``); the kill comes a random
    0.2 to 1.5 s after step k - 1 finished (after start for k = 1), so it lands in step k or
    the planning just before it. Returns True when the run was killed, False when it finished
    first, None when it had nothing left to do.
    """
    proc = subprocess.Popen(
        [str(BIN / "hear-assets"), *ARGS],
        env=env,
        cwd=PROJECT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stderr is not None
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=lambda: [*map(lines.put, proc.stderr), lines.put(None)])
    reader.start()
    target = rng.randint(1, 4)  # the demo's mini grid has at least 4 steps to do at first
    seen = 0
    while seen < target - 1:
        line = lines.get(timeout=300)
        if line is None:
            break
        if "nothing to do" in line:
            proc.wait()
            reader.join()
            return None
        if STEP.search(line):
            seen += 1
    time.sleep(rng.uniform(0.2, 1.5))
    killed = proc.poll() is None
    if killed:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    reader.join()
    return killed


def test_killed_runs_resume_to_the_same_scores(tmp_path: Path) -> None:
    ref_env = make_home(tmp_path / "ref")
    done = run([str(BIN / "hear-assets"), *ARGS], ref_env)
    assert done.returncode == 0, done.stderr
    reference = scores_of(tmp_path / "ref" / "data")
    assert len(reference) == 4

    env = make_home(tmp_path / "crash")
    rng = random.Random(7)
    kills = [kill_during_a_step(env, rng) for _ in range(TRIALS)]
    # The kill follows the run's own progress, not the clock, so on a fast or a slow machine
    # the first trials (with most of the grid still to do) are cut in the middle of a step.
    assert kills[:3] == [True, True, True], kills
    final = run([str(BIN / "hear-assets"), *ARGS], env)
    assert final.returncode == 0, final.stderr
    home = tmp_path / "crash" / "data"
    assert scores_of(home) == reference
    assert not list(home.rglob(".tmp-*")), "temporary files left behind"
    with dg.DagsterInstance.from_config(str(tmp_path / "crash" / "dh")) as instance:
        live = instance.get_runs(filters=dg.RunsFilter(statuses=LIVE, tags=LAUNCH_TAGS))
        assert not live, "runs of killed processes still look started"
    again = run([str(BIN / "hear-assets"), *ARGS], env)
    assert "nothing to do" in again.stderr


def test_two_runs_at_once_do_not_corrupt_each_other(tmp_path: Path) -> None:
    env = make_home(tmp_path / "both")
    args = ["run", "--tasks", "mini_tones", "--models", "naive_torch"]
    procs = [
        subprocess.Popen(
            [str(BIN / "hear-assets"), *args],
            env=env,
            cwd=PROJECT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    for code, err in results:
        assert code == 0 or "another run is writing" in err, err
    final = run([str(BIN / "hear-assets"), *args], env)
    assert final.returncode == 0, final.stderr
    scores = scores_of(tmp_path / "both" / "data")
    assert scores["naive_torch|mini_tones"][0] > 0.8


LAUNCHER = """
import concurrent.futures, multiprocessing, os, sys, time
from hear_assets.runner import _die_with_parent
pool = concurrent.futures.ProcessPoolExecutor(
    1, mp_context=multiprocessing.get_context("spawn"),
    initializer=_die_with_parent, initargs=(os.getpid(),))
print(pool.submit(os.getpid).result(), flush=True)
pool.submit(time.sleep, 120)
time.sleep(120)
"""


def test_workers_die_with_a_killed_run() -> None:
    """kill -9 of the launching process alone (not its group, as the OOM killer does) takes a
    worker busy in a step with it: none is left writing beside the run that resumes it."""
    import psutil

    proc = subprocess.Popen(
        [str(BIN / "python"), "-c", LAUNCHER], cwd=PROJECT, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    worker = psutil.Process(int(proc.stdout.readline()))
    time.sleep(1.0)  # the worker is in its two-minute step
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    _gone, alive = psutil.wait_procs([worker], timeout=10)
    for p in alive:
        p.kill()
    assert not alive, "the worker outlived the killed process"
