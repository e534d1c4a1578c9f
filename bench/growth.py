"""``make bench`` section: the whole pipeline at 1k, 10k and 50k clips (time and peak memory).

A 24-pitch tones task (the built-in ``tiny_tones`` generator, one-second clips at 48 kHz,
``per_class`` clips per pitch) is registered in an empty HEAR_HOME and run end to end with
``hear-assets run --tasks <it> --models naive_torch`` (task_raw → task_audio at five rates →
task_splits → embeddings → predictions with the default probe and its 3 seeds → scores), one
process per size, each stage timed by its Dagster step record, with ``/usr/bin/time``'s peak
resident set (the largest of the process and its children). Each size's figures are cached under
bench/.cache/growth/ by the commit they were measured at, so ``make bench`` re-runs a size only
when the code changed.

Run alone, it rewrites its own section of bench/results.md (between markers):

    python bench/growth.py [--sizes 1008,10080,50400] [--cached]
"""

import argparse
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import summary  # noqa: E402
from pretrained import splice  # noqa: E402
from readme import cpu_signature  # noqa: E402
from summary import target_line  # noqa: E402

BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results.md"
CACHE = ROOT / "bench" / ".cache" / "growth"
START, END = "<!-- growth: bench/growth.py -->", "<!-- /growth -->"
SIZES = (1008, 10_080, 50_400)
PITCHES = 24
STAGES = ("task_raw", "task_audio", "task_splits", "embeddings", "predictions", "scores")


def task_spec(clips: int) -> dict:
    return {
        "name": f"growth_{clips}",
        "task_type": "scene",
        "prediction_type": "multiclass",
        "sample_duration": 1.0,
        "evaluation": ["pitch_acc", "chroma_acc"],
        "source_sample_rate": 48000,
        "params": {
            "generator": "tones",
            "seed": 1,
            "pitch_low": 48,
            "pitch_high": 48 + PITCHES - 1,
            "per_class": clips // PITCHES,
        },
    }


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True)
    dirty = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "hear_assets", "hear_models"])
    return out.stdout.decode().strip() + ("+dirty" if dirty.returncode else "")


def measure(clips: int, work: Path) -> dict:
    """One size from an empty HEAR_HOME: per-stage seconds, wall, peak RSS, score, disk."""
    home, dag = work / "data", work / "dh"
    (home / "registry").mkdir(parents=True)
    dag.mkdir()
    (home / "registry" / "tasks.json").write_text(json.dumps([task_spec(clips)]))
    env = dict(
        os.environ, HEAR_HOME=str(home), DAGSTER_HOME=str(dag), JAX_PLATFORMS="cpu",
        DAGSTER_MODULE_NAME="hear_assets.definitions",
    )  # fmt: skip
    subprocess.run([str(BIN / "python"), "-m", "hear_assets.instance"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    cmd = ["/usr/bin/time", "-f", "TIME %e %M", str(BIN / "hear-assets"), "run", "--tasks",
           f"growth_{clips}", "--models", "naive_torch"]  # fmt: skip
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-3000:])
        raise SystemExit(f"growth run of {clips} clips failed")
    wall, rss_kb = out.stderr.strip().splitlines()[-1].split()[1:]
    per_stage, stage_peaks = step_records(dag)
    score = json.loads((home / "scores" / "naive_torch" / f"growth_{clips}.json").read_text())
    audio = sum(f.stat().st_size for f in (home / "tasks").rglob("*.wav"))
    emb = sum(f.stat().st_size for f in (home / "embeddings").rglob("*.npy"))
    return {
        "clips": clips,
        "wall": float(wall),
        "peak_rss_mb": int(rss_kb) / 1024,
        "stages": per_stage,
        "stage_peak_mb": stage_peaks,
        "score": score["primary"],
        "audio_gb": audio / 1e9,
        "embeddings_gb": emb / 1e9,
        "load": os.getloadavg()[0],
    }


def step_records(dag: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Each asset step's seconds (the Dagster instance's step records) and resident peak (its
    materialization's ``peak_rss_mb``: the process's high-water mark, reset as the stage
    starts)."""
    code = (
        "import json, dagster as dg\n"
        f"stages = {list(STAGES)!r}\n"
        "out, peak = {}, {}\n"
        "with dg.DagsterInstance.get() as inst:\n"
        "    for r in inst.get_runs():\n"
        "        for s in inst.get_run_step_stats(r.run_id):\n"
        "            if s.end_time and s.start_time:\n"
        "                out[s.step_key] = out.get(s.step_key, 0) + s.end_time - s.start_time\n"
        "    for stage in stages:\n"
        "        ev = inst.get_latest_materialization_event(dg.AssetKey(stage))\n"
        "        md = ev.asset_materialization.metadata if ev else {}\n"
        "        if 'peak_rss_mb' in md:\n"
        "            peak[stage] = md['peak_rss_mb'].value\n"
        "print(json.dumps([out, peak]))\n"
    )
    env = dict(os.environ, DAGSTER_HOME=str(dag))
    res = subprocess.run([str(BIN / "python"), "-c", code], env=env, capture_output=True,
                         text=True, check=True)  # fmt: skip
    return tuple(json.loads(res.stdout.strip().splitlines()[-1]))


def cached(clips: int, rev: str | None) -> dict | None:
    """A size's cached figures if measured at ``rev`` (None: at any commit)."""
    path = CACHE / f"{clips}.json"
    if path.exists():
        found = json.loads(path.read_text())
        if rev is None or (found.get("commit") == rev and not rev.endswith("+dirty")):
            return found
    return None


def section(tmp: Path, sizes: tuple[int, ...] = SIZES, any_commit: bool = False) -> list[str]:
    """The section; ``any_commit`` takes cached figures of whatever commit measured them (the
    table names it) instead of re-running the sizes the code changed since."""
    rev = None if any_commit else commit()
    rows = []
    for clips in sizes:
        found = cached(clips, rev)
        if found is None:
            work = tmp / f"growth-{clips}"
            load = os.getloadavg()[0]
            found = {**measure(clips, work), "load_before": load, "commit": rev or commit()}
            shutil.rmtree(work, ignore_errors=True)
            CACHE.mkdir(parents=True, exist_ok=True)
            (CACHE / f"{clips}.json").write_text(json.dumps(found, indent=1))
        rows.append(found)
    lines = [
        START,
        "## Growth: the whole pipeline at 1k, 10k and 50k clips",
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d} at "
        f"{', '.join(sorted({r['commit'] for r in rows}))} ({cpu_signature()}). "
        "A 24-pitch tones task of one-second clips "
        "(`hear-assets run --tasks growth_N --models naive_torch` from an empty HEAR_HOME: "
        "generation, standardization to five rates, splits, embeddings, the default probe with "
        "3 seeds, scores), one process; peak RSS is `/usr/bin/time`'s (the largest of the "
        "process and its children); a stage's peak is its materialization's `peak_rss_mb` "
        "(the process's resident high-water mark, reset as the stage starts: it includes what "
        "the process held before, about 0.2 GB of libraries and allocator caches).",
        "",
        "| clips | wall (s) | s per 1k clips | "
        + " | ".join(f"{s} (s)" for s in STAGES)
        + " | peak RSS (MB) | task audio (GB) | embeddings (GB) | test pitch_acc"
        + " | load before/after |",
        "|---" * (len(STAGES) + 8) + "|",
    ]
    for r in rows:
        st = r["stages"]
        lines.append(
            f"| {r['clips']:,} | {r['wall']:.0f} | {1000 * r['wall'] / r['clips']:.1f} | "
            + " | ".join(f"{st.get(s, 0.0):.1f}" for s in STAGES)
            + f" | {r['peak_rss_mb']:,.0f} | {r['audio_gb']:.2f} | {r['embeddings_gb']:.2f} | "
            f"{r['score']:.3f} | {r['load_before']:.1f}/{r['load']:.1f} |"
        )
    staged = [r for r in rows if r.get("stage_peak_mb")]
    if staged:
        lines += [
            "",
            "Peak resident memory of each stage (MB):",
            "",
            "| clips | " + " | ".join(STAGES[:-1]) + " | embeddings on disk (MB) |",
            "|---" * len(STAGES) + "|---|",
        ]
        for r in staged:
            pk = r["stage_peak_mb"]
            lines.append(
                f"| {r['clips']:,} | "
                + " | ".join(f"{pk[s]:,.0f}" if s in pk else "-" for s in STAGES[:-1])
                + f" | {1000 * r['embeddings_gb']:,.0f} |"
            )
    first, last = rows[0], rows[-1]
    per = [r["wall"] / r["clips"] for r in rows]
    growth = last["clips"] / first["clips"]
    lines += [
        "",
        f"From {first['clips']:,} to {last['clips']:,} clips ({growth:.0f}× the clips): wall "
        f"{last['wall'] / first['wall']:.0f}× (seconds per 1k clips "
        + ", ".join(f"{1000 * p:.1f}" for p in per)
        + f"), peak RSS {last['peak_rss_mb'] / first['peak_rss_mb']:.1f}× "
        f"({first['peak_rss_mb']:,.0f} → {last['peak_rss_mb']:,.0f} MB) against "
        f"{last['embeddings_gb'] / max(first['embeddings_gb'], 1e-9):.0f}× the embeddings.",
        "",
        *verdicts(rows),
        "",
        END,
    ]
    return lines


# The predictions stage at 10,080 clips before this work (the performance issue's figure:
# the same task and model on this machine class, not measured side by side).
PREDICTIONS_BEFORE_10K_S = 112.0


def verdicts(rows: list[dict]) -> list[str]:
    """Each target of the growth table, met or missed, with what limits it."""
    by = {r["clips"]: r for r in rows}
    out = []
    if len(rows) >= 2:
        mid, last = rows[-2], rows[-1]
        per_mid, per_last = mid["wall"] / mid["clips"], last["wall"] / last["clips"]
        worst = max(
            STAGES,
            key=lambda s: last["stages"].get(s, 0) / max(mid["stages"].get(s, 1e-9), 1e-9),
        )
        ratio = last["clips"] / mid["clips"]
        grew = last["stages"].get(worst, 0) / max(mid["stages"].get(worst, 1e-9), 1e-9)
        out.append(
            f"- Linear time (seconds per clip at {last['clips']:,} within 20 % of "
            f"{mid['clips']:,}'s): "
            + ("met" if per_last <= 1.2 * per_mid else "missed")
            + f" ({1000 * per_mid:.1f} → {1000 * per_last:.1f} s per 1k clips; the stage that "
            f"grew most, {worst}, {grew:.0f}× for {ratio:.0f}× the clips)."
        )
        out.append(
            target_line(
                "Growth",
                f"whole pipeline, s per 1k clips at {mid['clips']:,} and {last['clips']:,}",
                f"{1000 * per_mid:.1f} → {1000 * per_last:.1f}",
                "linear time (within 20 %)",
                per_last <= 1.2 * per_mid,
                f"{worst} grew {grew:.0f}× for {ratio:.0f}× the clips",
            )
        )
        first = rows[0]
        flat = last["peak_rss_mb"] <= 1.5 * first["peak_rss_mb"]
        out.append(
            "- Flat memory: "
            + ("met" if flat else "missed")
            + f" (peak {first['peak_rss_mb']:,.0f} → {last['peak_rss_mb']:,.0f} MB against "
            f"{last['embeddings_gb']:.2f} GB of embeddings at {last['clips']:,} clips"
            + _memory_limit(first, last)
            + ")."
        )
        top = _peak_stage(last)
        out.append(
            target_line(
                "Growth",
                f"peak RSS of the whole pipeline at {first['clips']:,} and {last['clips']:,} clips",
                f"{first['peak_rss_mb']:,.0f} → {last['peak_rss_mb']:,.0f} MB",
                "flat (≤ 1.5×)",
                flat,
                f"the peak is in {top}"
                + (
                    ": one standardized copy of the training and validation embeddings"
                    if top == "predictions"
                    else ""
                ),
            )
        )
        pa, pb = (r.get("stage_peak_mb", {}).get("predictions") for r in (first, last))
        if pa and pb:
            held = pb - pa
            emb = 1000 * (last["embeddings_gb"] - first["embeddings_gb"])
            share = held / max(emb, 1e-9)
            out.append(
                f"- The probe's memory bounded at {last['clips']:,} clips (what predictions "
                "holds beyond the smallest size's peak at most the added embeddings, one float32 "
                "copy of them): "
                + ("met" if held <= emb else "missed")
                + f" (predictions {pa:,.0f} → {pb:,.0f} MB: +{held:,.0f} MB for +{emb:,.0f} MB "
                f"of embeddings, {share:.2f}×)."
            )
            out.append(
                target_line(
                    "Growth",
                    f"what the probe holds at {last['clips']:,} clips beyond {first['clips']:,}'s",
                    f"+{held:,.0f} MB for +{emb:,.0f} MB of embeddings ({share:.2f}×)",
                    "bounded: ≤ one copy of the embeddings",
                    held <= emb,
                    "the standardized copy of train and valid, the test split's, and blocks",
                )
            )
    if 10_080 in by:
        now = by[10_080]["stages"].get("predictions", math.nan)
        x = PREDICTIONS_BEFORE_10K_S / now
        out.append(
            f"- The probe ≥ 2× faster at 10,080 clips: {'met' if x >= 2 else 'missed'} "
            f"(predictions {now:.0f} s against {PREDICTIONS_BEFORE_10K_S:.0f} s before, the "
            f"issue's figure, not side by side: {x:.1f}×; test pitch_acc "
            f"{by[10_080]['score']:.3f})."
        )
        out.append(
            target_line(
                "Growth",
                "predictions at 10,080 clips against the issue's 112 s (not side by side)",
                f"{now:.0f} s: {x:.1f}×, pitch_acc {by[10_080]['score']:.3f}",
                "≥ 2× at an equal score",
                x >= 2,
            )
        )
    return out


def _peak_stage(row: dict) -> str:
    """The stage of ``row`` with the highest resident peak ("the run" without stage marks)."""
    peaks = row.get("stage_peak_mb") or {}
    return max(peaks, key=peaks.get) if peaks else "the run"


def _memory_limit(first: dict, last: dict) -> str:
    """Which stage holds the peak and how each stage's peak grew, from the per-stage marks."""
    a, b = first.get("stage_peak_mb") or {}, last.get("stage_peak_mb") or {}
    if not a or not b:
        return "; `/usr/bin/time` gives the whole run's peak, not a stage's"
    top = _peak_stage(last)
    flat = [s for s in STAGES if s in a and s in b and b[s] <= 1.5 * a[s]]
    why = (
        ": the probe holds one standardized float32 copy of the training and validation "
        "embeddings, which lbfgs and the MLPs need whole"
        if top == "predictions"
        else ""
    )
    return (
        f": the peak is in {top} ({top} {a.get(top, 0):,.0f} → {b[top]:,.0f} MB{why}); "
        "flat (≤ 1.5×) in " + (", ".join(flat) if flat else "no stage")
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument(
        "--cached", action="store_true", help="write the section from the cached figures"
    )
    args = ap.parse_args()
    sizes = tuple(int(s) for s in args.sizes.split(","))
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hear-growth-", dir=CACHE.parent) as tmp:
        block = section(Path(tmp), sizes, args.cached)
    RESULTS.write_text(splice(RESULTS.read_text(), block, START, END))
    summary.refresh()
    print("\n".join(block))


if __name__ == "__main__":
    main()
