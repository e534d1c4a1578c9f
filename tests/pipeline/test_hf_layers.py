"""Hugging Face encoders of every wrapped family run end to end, layer by layer: one forward
pass stores the selected layers, each ``M@L`` is scored from its own layer, the learned
weighted sum is ``M``'s row, and every pair carries a model card."""

import argparse
import json
from pathlib import Path

import dagster as dg
import numpy as np
import pytest
import soundfile as sf
import torch

from hear_assets.cli.registry import hf_spec
from hear_assets.lib.grid import catalog
from hear_assets.lib.store.layout import Layout
from hear_assets.runner import run_grid
from hear_models import huggingface as hf
from tests.helpers import BIN, MINI_TONES, env_for, mini_task, register_tasks, run
from tests.hfmodels import build

FAMILIES = ("wav2vec2", "hubert", "wavlm", "data2vec-audio", "ast", "whisper", "clap")
CARD_KEYS = {
    "params",
    "scene_embedding_size",
    "timestamp_embedding_size",
    "hop_ms",
    "sample_rate",
    "framework",
    "licence",
    "source",
    "weights_sha256",
}


def layers_of(family: str) -> tuple[int, int]:
    """Two of the family's hidden states (tiny CLAP has two at its final width)."""
    return (0, 1) if family == "clap" else (0, 2)


def name_of(family: str) -> str:
    return family.replace("-", "_")


@pytest.mark.slow
def test_every_family_layer_by_layer_to_scores(
    hear_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEAR_PROBE", "logreg")  # the probe search is tested elsewhere
    events = mini_task("tiny_events", "mini_events", sample_duration=2.0, params={"clips": 12})
    tones = {**MINI_TONES, "params": {**MINI_TONES["params"], "per_class": 4}}
    register_tasks(hear_home, tones, events)
    env = env_for(hear_home, tmp_path / "dagster_home")
    root = tmp_path / "hf"
    folders = {f: build(f, root) for f in FAMILIES}
    # the user's path for one family, and its bad inputs: one line each, nothing registered
    bad = run(
        [
            str(BIN / "hear-assets"),
            "models",
            "add",
            "w2v_bad",
            "--hf",
            str(folders["wav2vec2"]),
            "--layers",
            "0,9",
        ],
        env,
    )
    assert bad.returncode == 1 and bad.stderr.strip().count("\n") == 0
    assert "layer 9 is out of range" in bad.stderr
    gone = run(
        [str(BIN / "hear-assets"), "models", "add", "w2v_hub", "--hf", "facebook/wav2vec2-base"],
        env,
    )
    assert gone.returncode == 1 and "hf download facebook/wav2vec2-base" in gone.stderr
    added = run(
        [
            str(BIN / "hear-assets"),
            "models",
            "add",
            "wav2vec2",
            "--hf",
            str(folders["wav2vec2"]),
            "--layers",
            "0,2",
        ],
        env,
    )
    assert added.returncode == 0, added.stderr
    assert "layers 0,2" in added.stdout
    layout = Layout(hear_home)
    for family in FAMILIES[1:]:
        args = argparse.Namespace(
            name=name_of(family),
            hf=str(folders[family]),
            revision=None,
            layers=",".join(map(str, layers_of(family))),
        )
        catalog.register_model(layout, hf_spec(args))
    models = [m for m in catalog.all_models(layout).values() if m.family == "huggingface"]
    assert {m.name for m in models} == {
        n for f in FAMILIES for n in (name_of(f), *(f"{name_of(f)}@{i}" for i in layers_of(f)))
    }
    tones = catalog.get_task(layout, "mini_tones")
    w2v = [m for m in models if m.name.startswith("wav2vec2")]
    with dg.instance_for_test() as instance:
        result = run_grid(instance, layout, [tones], models)
        assert not result.failures, result.failures
        result = run_grid(instance, layout, [catalog.get_task(layout, "mini_events")], w2v)
        assert not result.failures, result.failures

    files = json.loads((hear_home / "tasks" / "mini_tones" / "test.json").read_text())
    for family in FAMILIES:
        name = name_of(family)
        encoder = hf.load_model(str(folders[family]))
        audio_dir = hear_home / "tasks" / "mini_tones" / str(encoder.sample_rate) / "test"
        audio = np.stack([sf.read(audio_dir / f, dtype="float32")[0] for f in files])
        want = hf.get_layer_scene_embeddings(torch.from_numpy(audio), encoder).numpy()
        for layer in layers_of(family):  # M@L's embeddings: hidden state L, from one pass
            got = np.load(hear_home / "embeddings" / f"{name}@{layer}" / "mini_tones" / "test.npy")
            np.testing.assert_allclose(got, want[layer], rtol=1e-4, atol=1e-5)
            scores = json.loads(
                (hear_home / "scores" / f"{name}@{layer}" / "mini_tones.json").read_text()
            )
            assert scores["layer"] == layer and scores["layer_of"] == name
        head = json.loads((hear_home / "scores" / name / "mini_tones.json").read_text())
        (weights,) = head["layer_weights"].values()
        assert set(weights) == {str(i) for i in layers_of(family)}
        assert abs(sum(weights.values()) - 1) < 1e-4
        card = head["card"]
        assert set(card) >= CARD_KEYS, card
        assert card["source"] == f"hf:{folders[family]}@local"
        assert card["weights_sha256"] == encoder.weights_file_sha256
        assert card["efficiency"]["clips_per_second"] > 0 and card["efficiency"]["rtf"] > 0
    ev = json.loads((hear_home / "scores" / "wav2vec2" / "mini_events.json").read_text())
    assert 0 <= ev["primary"] <= 1 and set(next(iter(ev["layer_weights"].values()))) == {"0", "2"}
    page = (hear_home / "leaderboard.html").read_text()
    assert "Scores by layer" in page and "Model cards" in page and "clap@1" in page
    listed = run([str(BIN / "hear-assets"), "models", "list", "--json"], env)
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["ast@2"]["card"]["layer"] == 2 and rows["clap"]["card"]["sample_rate"] == 48000
    assert rows["ast"]["card"]["efficiency"]["clips_per_second"] > 0
