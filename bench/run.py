"""``make bench``: end-to-end, orchestration-overhead and scaling figures → bench/results.md.

``python bench/run.py --end-to-end`` rewrites only the end-to-end section (the demo, median of 3).

Every ratio is measured side by side in one run on this machine (median of repeats where
noted), because these machines are noisy. Run from the project root with the venv's python.
"""

import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results.md"
sys.path.insert(0, str(ROOT / "bench"))
import summary  # noqa: E402
from summary import target_line  # noqa: E402


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return time.perf_counter() - start, out


def fresh_env(tmp: Path, name: str) -> dict[str, str]:
    hear, dag = tmp / name / "data", tmp / name / "dagster_home"
    hear.mkdir(parents=True)
    dag.mkdir(parents=True)
    env = dict(
        os.environ,
        HEAR_HOME=str(hear),
        DAGSTER_HOME=str(dag),
        JAX_PLATFORMS="cpu",
        DAGSTER_MODULE_NAME="hear_assets.definitions",
    )
    return env


STEP = re.compile(r"\] \d+/\d+ (?:(.+?): )?([a-z_, ]+) \(([0-9.]+) s\)")


def step_times(progress: str) -> list[tuple[str, tuple[int, float]]]:
    """``hear-assets run`` progress lines → {stages: (runs, seconds)}, slowest first."""
    acc: dict[str, list[float]] = {}
    for m in STEP.finditer(progress):
        acc.setdefault(m.group(2), []).append(float(m.group(3)))
    return sorted(((k, (len(v), sum(v))) for k, v in acc.items()), key=lambda kv: -kv[1][1])


E2E_START, E2E_END = "<!-- end-to-end: bench/run.py -->", "<!-- /end-to-end -->"
DEMO_TARGET_S = 120
# What the demo's time is (profiled at 4657301; README "Benchmarks" gives the parts).
DEMO_LIMIT = (
    "about 360 s of CPU for 2 cores, most of it training that sets the scores (the event "
    "task's MLP candidates × 3 seeds, learned_conv, the multi-task encoder)"
)


def end_to_end(tmp: Path) -> tuple[list[str], dict[str, float]]:
    """The demo from nothing (median of 3), no-change re-runs, and one new model."""
    demos, reruns, out, boards = [], [], None, []
    load_before = os.getloadavg()[0]
    for i in range(3):
        env = fresh_env(tmp, f"demo{i}")
        seconds, out = timed([str(BIN / "hear-assets"), "run"], env)
        demos.append(seconds)
        boards.append(out.stdout)  # unstripped: the header line starts with spaces
        rerun, again = timed([str(BIN / "hear-assets"), "run"], env)
        assert "nothing to do" in again.stderr
        reruns.append(rerun)
    mods = tmp / "mods"
    mods.mkdir()
    sys.path.insert(0, str(ROOT))
    from tests import outside

    outside.write_module(mods, "energy_numpy", outside.GOOD)
    env_m = dict(env, PYTHONPATH=str(mods))
    timed([str(BIN / "hear-assets"), "models", "add", "energy", "--module", "energy_numpy"], env_m)
    one_model, _ = timed([str(BIN / "hear-assets"), "run"], env_m)
    demo, rerun = statistics.median(demos), statistics.median(reruns)
    runs = ", ".join(f"{d:.0f}" for d in demos)
    lines = [
        E2E_START,
        "## End to end (all built-in tasks × all built-in models)",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {cpu()}; load average "
        f"{load_before:.1f} before the first demo, {os.getloadavg()[0]:.1f} after the last "
        "(2 or more is other work on these 2 cores).",
        "",
        "| what | seconds |",
        "|---|---|",
        f"| `hear-assets run` from an empty HEAR_HOME (`make demo` after install), median of 3 "
        f"({runs}) | {demo:.1f} |",
        f"| no-change re-run, median of 3 (target < 10 s) | {rerun:.1f} |",
        f"| after `models add energy` (a NumPy model): only its 7 pairs run (once) | "
        f"{one_model:.1f} |",
        "",
        f"Demo target ≤ {DEMO_TARGET_S} s: "
        + ("met" if demo <= DEMO_TARGET_S else f"missed by {demo - DEMO_TARGET_S:.0f} s")
        + ". Where the time goes (the last demo's progress lines, summed by the stages a run "
        "materialized: two runs at a time by default, so the sum exceeds the wall time; the "
        "rest is process start and planning):",
        "",
        "| stages of one run | runs | seconds |",
        "|---|---|---|",
        *[f"| {k} | {n} | {t:.1f} |" for k, (n, t) in step_times(out.stderr if out else "")],
        "",
        "```",
        out.stdout.strip() if out else "",
        "```",
        "",
        f"The three demos printed {'the same' if len(set(boards)) == 1 else 'different'} "
        f"leaderboards; the README's block (written by `make readme`) "
        f"{'matches' if readme_matches(boards[-1]) else 'differs: run `make readme`'}.",
        target_line(
            "Demo",
            "`make demo` after install (7 tasks × 5 models, 3 probe seeds), median of 3",
            f"{demo:.1f} s ({runs})",
            f"≤ {DEMO_TARGET_S} s",
            demo <= DEMO_TARGET_S,
            DEMO_LIMIT,
        ),
        target_line(
            "Demo",
            "no-change re-run (no model work), median of 3",
            f"{rerun:.1f} s",
            "< 10 s",
            rerun < 10,
        ),
        E2E_END,
        "",
    ]
    return lines, {"demo_s": demo, "rerun_s": rerun}


def cpu() -> str:
    """The CPU, its vector extensions and cores (bench/readme.py's signature): timings and
    trained models' last digits follow them."""
    sys.path.insert(0, str(ROOT / "bench"))
    import readme

    return readme.cpu_signature()


def readme_matches(demo_stdout: str) -> bool:
    """Whether README.md's demo leaderboard is this demo's (bench/readme.py's block)."""
    sys.path.insert(0, str(ROOT / "bench"))
    import readme

    try:
        return readme.block_of(readme.README.read_text()) == readme.table_of(demo_stdout)
    except ValueError:
        return False


OVERHEAD = r"""
import json, sys, time, numpy as np
from pathlib import Path
from hear_assets.lib.embedding import embed
from hear_assets.lib.grid import catalog, stages
from hear_assets.lib.store.layout import Layout, resolve_home
from hear_models import get_spec
from hear_models.runtime import open_model
layout = Layout(resolve_home())
task = catalog.get_task(layout, "tiny_tones")
for s in stages.TASK_STAGES:
    getattr(stages, "build_" + s)(layout, task)
task_dir = layout.task_dir("tiny_tones")
meta = json.loads((task_dir / "task_metadata.json").read_text())
ours, direct = [], []
with open_model(get_spec("naive_torch")) as model:
    for _ in range(3):
        t = time.perf_counter()
        embed.embed_task(model, "tiny_tones", task_dir, Path(sys.argv[1]) / "emb")
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        for split in meta["splits"]:
            for f in json.loads((task_dir / f"{split}.json").read_text()):
                audio = embed.load_wav(task_dir / "44100" / split / f, 44100)
                model.scene(audio[None])
        direct.append(time.perf_counter() - t)
print(json.dumps({"ours": sorted(ours)[1], "direct": sorted(direct)[1], "clips": 240}))
"""

SCALING = r"""
import json, resource, sys, time, numpy as np
from hear_assets.lib.embedding import chunking
from hear_models import get_spec
from hear_models.runtime import open_model
kind, size = sys.argv[1], float(sys.argv[2])
with open_model(get_spec("naive_torch")) as model:
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    if kind == "clips":
        for _ in range(int(size) // 16):
            model.timestamps((rng.random((16, 44100)) * 0.2 - 0.1).astype(np.float32))
    else:
        audio = (rng.random(int(size * 44100)) * 0.2 - 0.1).astype(np.float32)
        if kind == "chunked":
            chunking.chunked_timestamps(model, audio, 50.0)
        else:
            model.timestamps(audio[None])
    seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def python(code: str, *args: str, env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-3000:])
        raise SystemExit("bench step failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def overhead(tmp: Path) -> list[str]:
    env = fresh_env(tmp, "overhead")
    r = python(OVERHEAD, str(tmp / "overhead"), env=env)
    pct = (r["ours"] / r["direct"] - 1) * 100
    return [
        "## Embedding stage versus calling the model directly",
        "",
        "`naive_torch` on `tiny_tones` (240 clips of 1 s), median of 3, same process: our "
        "embedding stage (batching, contract checks, .npy + index written atomically) versus "
        "a loop that reads each wav and calls the model on it.",
        "",
        "| ours (s) | direct loop (s) | overhead |",
        "|---|---|---|",
        f"| {r['ours']:.2f} | {r['direct']:.2f} | {pct:+.0f} % (target ≤ +10 %) |",
        "",
        "Negative overhead means batching equal-length clips beats one call per clip.",
        target_line(
            "Embedding",
            "embedding stage vs reading each wav and calling the model, tiny_tones",
            f"{pct:+.0f} %",
            "≤ +10 %",
            pct <= 10,
        ),
        "",
    ]


def scaling(tmp: Path) -> list[str]:
    env = fresh_env(tmp, "scaling")
    rows = [
        "## Scaling (naive_torch timestamp embeddings, separate process each)",
        "",
        "| input | seconds | peak RSS (MB) |",
        "|---|---|---|",
    ]
    peaks = {}
    for n in (64, 256, 1024):
        r = python(SCALING, "clips", str(n), env=env)
        rows.append(f"| {n} clips of 1 s | {r['seconds']:.1f} | {r['peak_mb']:.0f} |")
        peaks[n] = r["peak_mb"]
    for kind in ("whole", "chunked"):
        r = python(SCALING, kind, "600", env=env)
        rows.append(f"| one 10-minute clip, {kind} | {r['seconds']:.1f} | {r['peak_mb']:.0f} |")
        peaks[kind] = r["peak_mb"]
    rows += [
        "",
        "Time grows linearly with the clips; memory stays flat. A 10-minute clip "
        "embedded whole holds every frame, its spectrum and mel at once; chunked (30 s "
        "cores, 1 s context, what the embeddings stage does past 60 s) it holds one chunk "
        "at a time plus the output.",
        target_line(
            "Growth",
            "peak RSS of the model alone, 64 → 1,024 clips; a 10-minute clip chunked vs whole",
            f"{peaks[64]:.0f} → {peaks[1024]:.0f} MB; {peaks['chunked']:.0f} vs "
            f"{peaks['whole']:.0f} MB",
            "flat (≤ 1.5×)",
            peaks[1024] <= 1.5 * peaks[64] and peaks["chunked"] < peaks["whole"],
        ),
        "",
    ]
    return rows


def versions() -> str:
    from importlib.metadata import version

    names = ["dagster", "torch", "jax", "flax", "numpy", "scikit-learn"]
    return ", ".join(f"{n} {version(n)}" for n in names)


def main() -> None:
    if sys.argv[1:] == ["--end-to-end"]:  # only that section, rewritten in place
        sys.path.insert(0, str(ROOT / "bench"))
        from pretrained import splice

        with tempfile.TemporaryDirectory(prefix="hear-bench-") as tmp_s:
            lines, _ = end_to_end(Path(tmp_s))
        block = lines[: lines.index(E2E_END) + 1]
        RESULTS.write_text(splice(RESULTS.read_text(), block, E2E_START, E2E_END))
        summary.refresh()
        print("\n".join(block))
        return
    sys.path.insert(0, str(ROOT / "bench"))
    import embedding
    import fidelity
    import growth
    import oldkit_compare
    import plot
    import pretrained
    import resampling
    import scaleout

    with tempfile.TemporaryDirectory(prefix="hear-bench-") as tmp_s:
        tmp = Path(tmp_s)
        e2e, figures = end_to_end(tmp)
        old = oldkit_compare.sections(fresh_env(tmp, "oldkit"), tmp)
        body = e2e + old + overhead(tmp) + scaling(tmp)
        body += [*scaleout.section().splitlines(), ""]
        body += [*resampling.section(tmp, 10_080), ""]
        body += [*growth.section(tmp), ""]
        body += [*embedding.section(tmp), ""]
        body += [*pretrained.section(tmp), ""]
        body += [*fidelity.section(tmp), ""]
        body += [*fidelity.section(tmp, tasks=fidelity.LARGE_TASKS, large=True), ""]
    head = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.platform()}.",
        f"Versions: {versions()}; original kit: heareval 2021.1.3 (bench/oldkit/).",
        "",
        "![speed-ups](results.svg)",
        "",
        "## Targets",
        "",
        summary.START,
        summary.END,
        "",
    ]
    RESULTS.write_text("\n".join(head + body) + "\n")
    summary.refresh()
    plot.write_svg(RESULTS, ROOT / "bench" / "results.svg", figures)
    print(RESULTS.read_text())


if __name__ == "__main__":
    main()
