"""Workers: 1 vs 2. The same grid from an empty HEAR_HOME with one and with two workers.

``section()`` returns the markdown section for bench/results.md (``bench/run.py`` calls it);
``python bench/scaleout.py`` prints it. Every built-in task × the two naive models, measured
side by side in one run: ``hear-assets run --parallel 1`` versus ``--parallel 2`` (worker
processes on this machine), and the same command on a dask cluster (``dask scheduler`` plus
``dask worker --nworkers 1`` versus ``2``, on loopback). Each phase is timed from the command's
progress lines as they arrive: task stages, then pairs, then scores.
"""

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from summary import target_line  # noqa: E402

BIN = Path(sys.executable).parent
MODELS = "naive_torch,naive_flax"
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


@dataclass
class Timing:
    """Wall-clock seconds of one ``hear-assets run`` from an empty HEAR_HOME, by phase."""

    total: float
    tasks: float
    pairs: float
    scores: float
    n_pairs: int


def _env(tmp: Path, name: str) -> dict[str, str]:
    hear, dag = tmp / name / "data", tmp / name / "dagster_home"
    hear.mkdir(parents=True)
    dag.mkdir(parents=True)
    return dict(
        os.environ,
        HEAR_HOME=str(hear),
        DAGSTER_HOME=str(dag),
        JAX_PLATFORMS="cpu",
        DAGSTER_MODULE_NAME="hear_assets.definitions",
        XLA_PYTHON_CLIENT_PREALLOCATE="false",
    )


def _timed_run(args: list[str], env: dict[str, str]) -> Timing:
    """Run ``hear-assets run ARGS``; stamp each progress line (one per finished step)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(BIN / "hear-assets"), "run", "--models", MODELS, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    stamps: list[tuple[float, str]] = []
    errors = []
    for line in proc.stderr:
        stamps.append((time.perf_counter() - start, line))
        if "error" in line or "FAILED" in line:
            errors.append(line.strip())
    if proc.wait() != 0 or errors:
        raise SystemExit(f"hear-assets run {' '.join(args)} failed: {errors[-3:]}")
    total = time.perf_counter() - start
    tasks_done = max(t for t, line in stamps if "task_splits" in line)
    pair_lines = [t for t, line in stamps if "embeddings" in line or "predictions" in line]
    pairs_done = max(pair_lines)
    return Timing(total, tasks_done, pairs_done - tasks_done, total - pairs_done, len(pair_lines))


@contextlib.contextmanager
def _dask_cluster(workers: int, tmp: Path, env: dict[str, str]) -> Iterator[str]:
    """``dask scheduler`` and ``dask worker --nworkers N --nthreads 1`` on 127.0.0.1."""
    file = tmp / f"scheduler-{workers}.json"
    common = dict(cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    listen = ["--host", "127.0.0.1", "--port", "0", "--dashboard-address", ":0"]
    scheduler = subprocess.Popen(
        [str(BIN / "dask"), "scheduler", *listen, "--scheduler-file", str(file)], **common
    )
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        size = ["--nworkers", str(workers), "--nthreads", "1", "--no-dashboard"]
        # dask gives each worker one BLAS/OpenMP thread; JAX's XLA is told the same.
        worker = subprocess.Popen(
            [str(BIN / "dask"), "worker", "--scheduler-file", str(file), *size],
            **{**common, "env": {**env, "XLA_FLAGS": XLA_ONE_THREAD}},
        )
        from dask.distributed import Client

        with Client(scheduler_file=str(file), timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
            address = client.scheduler_info()["address"]
        yield address
    finally:
        for proc in (worker, scheduler):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


def _row(label: str, one: Timing, two: Timing) -> str:
    return (
        f"| {label} | {one.total:.1f} | {two.total:.1f} | {one.total / two.total:.2f}× | "
        f"{one.pairs:.1f} | {two.pairs:.1f} | {one.pairs / two.pairs:.2f}× |"
    )


def measure(tmp: Path) -> dict[str, Timing]:
    """The four runs, each from an empty HEAR_HOME and DAGSTER_HOME."""
    out = {}
    for n in (1, 2):
        out[f"local{n}"] = _timed_run(["--parallel", str(n)], _env(tmp, f"local{n}"))
    for n in (1, 2):
        env = _env(tmp, f"dask{n}")
        with _dask_cluster(n, tmp, env) as address:
            out[f"dask{n}"] = _timed_run(["--dask-scheduler", address], env)
    return out


def section() -> str:
    """The "Workers: 1 vs 2" section of bench/results.md, measured now."""
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="hear-scaleout-") as tmp_s:
        t = measure(Path(tmp_s))
    load_after = os.getloadavg()[0]
    one, two = t["local1"], t["local2"]
    serial = one.tasks + one.scores
    cap = one.total / (serial + one.pairs / 2)
    lines = [
        "## Workers: 1 vs 2",
        "",
        f"Every built-in task × `{MODELS.replace(',', '`, `')}` ({one.n_pairs} pair runs), "
        f"each configuration from an empty HEAR_HOME, one run each, on {os.cpu_count()} cores "
        f"(load average {load_before:.1f} before, {load_after:.1f} after: other work on the "
        "machine shows up as noise of ±10 %). *pairs*: wall-clock from the last task stage to "
        "the last pair run.",
        "",
        "| workers | total, 1 (s) | total, 2 (s) | speed-up | pairs, 1 (s) | pairs, 2 (s) "
        "| speed-up |",
        "|---|---|---|---|---|---|---|",
        _row("`hear-assets run --parallel 1` vs `2` (processes)", one, two),
        _row("`--dask-scheduler`, `dask worker --nworkers 1` vs `2`", t["dask1"], t["dask2"]),
        "",
        "What stops it being 2×:",
        "",
        f"- The task stages ({one.tasks:.0f} s with one worker, {two.tasks:.0f} s with two) "
        f"and `scores` ({one.scores:.0f} s, {two.scores:.0f} s) run once, before and after the "
        "pairs, whatever the workers: with the pairs exactly halved the whole run would gain "
        f"about {cap:.2f}×.",
        "- The pairs are short (about "
        f"{one.pairs / max(one.n_pairs, 1):.1f} s each) and there are 2 cores: one worker "
        "already runs torch and XLA on both (`--parallel` gives each of N workers cores ÷ N "
        "threads), so two workers gain only the single-threaded parts (Python, file writes, "
        "Dagster's run records and event writes). Each new worker process first pays its "
        "imports (dagster, the definitions, torch, JAX) and JAX's compilation, several "
        "seconds, and the launching process shares the same two cores.",
        "- dask adds, per step, a scheduler round trip and the job's reconstruction on the "
        "worker, and one spawned process per concurrent run to orchestrate it; a dask worker "
        "runs one thread, so one dask worker uses one core of two.",
        target_line(
            "Workers",
            "pair runs, 2 workers vs 1: processes / dask",
            f"{one.pairs / two.pairs:.2f}× / {t['dask1'].pairs / t['dask2'].pairs:.2f}×",
            "2× on 2 cores",
            min(one.pairs / two.pairs, t["dask1"].pairs / t["dask2"].pairs) >= 2,
            "one worker already runs torch and XLA on both cores; workers' imports",
        ),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(section() + "\n")
