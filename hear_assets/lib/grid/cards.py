"""Model cards: what a model is (from its latest embeddings run, or by loading it) and how
fast it ran (aggregated over its embeddings runs)."""

from typing import Any

from hear_assets.lib.grid import catalog
from hear_assets.lib.store.layout import Layout
from hear_assets.lib.store.manifest import read_manifest
from hear_models.registry import ModelSpec
from hear_models.runtime import model_card, open_model


def efficiency(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Real-time factor and clips/s over every embeddings run, the peak memory of the
    largest, and the device of the latest."""
    seconds = sum(r.get("seconds", 0.0) for r in runs)
    audio = sum(r.get("audio_seconds", 0.0) for r in runs)
    clips = sum(r.get("clips", 0) for r in runs)
    peaks = [r.get("efficiency", {}).get("peak_memory_mb", 0.0) for r in runs]
    return {
        "rtf": round(seconds / audio, 5) if audio else None,
        "clips_per_second": round(clips / seconds, 2) if seconds else None,
        "peak_memory_mb": max(peaks) if peaks else None,
        "device": runs[-1].get("device") if runs else None,
    }


def card_of(layout: Layout, spec: ModelSpec, load: bool = True) -> dict[str, Any]:
    """The card of ``spec`` (``M@L``: its base's card with ``layer``), with ``efficiency``."""
    owner = spec.base_spec() if spec.layer is not None else spec
    runs = []
    for task in catalog.all_tasks(layout):
        m = read_manifest(layout.root, "embeddings", task, owner.name)
        if m is not None and "card" in m.info:
            runs.append(m.info)
    runs.sort(key=lambda info: info.get("created", ""))
    if runs:
        card = dict(runs[-1]["card"])
    elif load:
        with open_model(owner) as loaded:
            card = model_card(owner, loaded)
    else:
        card = {}
    if spec.layer is not None:
        card["layer"] = spec.layer
    return {**card, "efficiency": efficiency(runs)}
