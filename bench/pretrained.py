"""``make bench`` section: pretrained models. CREPE against the naive random projection on a
pitch task wide and sparse enough to separate them, CREPE's equality with the original
``hearbaseline.torchcrepe`` (the committed fixture), and the model cards of the run.

Run alone, it rewrites its own section of bench/results.md (between markers):

    python bench/pretrained.py
"""

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.md"
BIN = Path(sys.executable).parent
START, END = "<!-- pretrained: bench/pretrained.py -->", "<!-- /pretrained -->"
# 60 MIDI pitches (36-95, CREPE's range), 4 clips each of 0.5 s: two per pitch to train on.
WIDE_TONES = {
    "sample_duration": 0.5,
    "params": {"pitch_low": 36, "pitch_high": 95, "per_class": 4, "seed": 12},
}
MODELS = ("naive_torch", "crepe_tiny", "crepe")


def hear(env: dict, *args: str) -> str:
    out = subprocess.run(
        [str(BIN / "hear-assets"), *args], env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"hear-assets {' '.join(args)} failed: {out.stderr[-2000:]}")
    return out.stdout


def crepe_equality() -> list[str]:
    import torch

    from hear_models import crepe, crepe_tiny

    ref = np.load(ROOT / "tests" / "fixtures" / "crepe_reference.npz")
    audio = torch.from_numpy(ref["audio"])
    rows = []
    for module, cap in ((crepe, "full"), (crepe_tiny, "tiny")):
        model = module.load_model()
        emb, _ = module.get_timestamp_embeddings(audio, model)
        scene = module.get_scene_embeddings(audio, model)
        d_ts = np.abs(emb.numpy() - ref[f"{cap}_timestamp"]).max()
        d_sc = np.abs(scene.numpy() - ref[f"{cap}_scene"]).max()
        rows.append(f"| {module.__name__} | {tuple(emb.shape)} | {d_ts:.1e} | {d_sc:.1e} |")
    return rows


def section(tmp: Path) -> list[str]:
    sys.path.insert(0, str(ROOT))
    from tests.helpers import mini_task, register_tasks

    home = tmp / "pretrained"
    env = dict(
        os.environ,
        HEAR_HOME=str(home),
        DAGSTER_HOME=str(tmp / "pretrained_dagster"),
        JAX_PLATFORMS="cpu",
        DAGSTER_MODULE_NAME="hear_assets.definitions",
    )
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    register_tasks(home, mini_task("tiny_tones", "wide_tones", **WIDE_TONES))
    hear(env, "models", "add", "crepe")
    hear(env, "run", "--tasks", "wide_tones", "--models", ",".join(MODELS))
    rows = []
    for m in MODELS:
        s = json.loads((home / "scores" / m / "wide_tones.json").read_text())
        lo, hi = s["ci95"]
        chroma = s["metrics"].get("chroma_acc")
        eff = s["card"]["efficiency"]
        rows.append(
            f"| {m} | {s['primary']:.3f} [{lo:.3f}, {hi:.3f}] | {chroma:.3f} | "
            f"{s['card']['params']:,} | {s['card']['scene_embedding_size']} | "
            f"{eff['clips_per_second']:.1f} | {eff['rtf']:.4f} |"
        )
    return [
        START,
        "## Pretrained models: CREPE",
        "",
        f"Written by `bench/pretrained.py` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        "`wide_tones`: the `tiny_tones` generator over 60 MIDI pitches (36–95) with 4 clips of "
        "0.5 s per pitch (two to train on), scored with pitch accuracy (95 % interval) and "
        "chroma accuracy; embeddings stage throughput and real-time factor from the model "
        "cards (CPU).",
        "",
        "| model | pitch_acc [95 %] | chroma_acc | params | dim | clips/s | RTF |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        "CREPE against the original `hearbaseline.torchcrepe` (HEAR 2021) on the clips of "
        "`tests/fixtures/crepe_reference.npz` (written by `bench/crepe_reference.py` with the "
        "original code): largest absolute difference.",
        "",
        "| module | timestamp embeddings | max diff (timestamp) | max diff (scene) |",
        "|---|---|---|---|",
        *crepe_equality(),
        "",
        END,
    ]


def splice(text: str, block: list[str], start: str = START, end: str = END) -> str:
    """Replace the section between the markers ``start`` and ``end`` (or append it)."""
    new = "\n".join(block)
    if start in text and end in text:
        head, rest = text.split(start, 1)
        return head + new + rest.split(end, 1)[1]
    return text.rstrip("\n") + "\n\n" + new + "\n"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hear-pretrained-") as tmp:
        block = section(Path(tmp))
    RESULTS.write_text(splice(RESULTS.read_text(), block))
    print("\n".join(block))


if __name__ == "__main__":
    main()
