"""The stage graph, declared once: what each stage is partitioned by and what it reads.

Both the planner's input digests (``stages.current_inputs``, which decide done/stale/missing
for ``hear-assets run``, the sensor and the nightly run) and the Dagster assets' ``deps`` (the
lineage and staleness the UI shows) are derived from ``GRAPH``; tests compare it with the
resolved asset graph and check that both call the same assets stale. Each stage's code version
is the ``VERSION`` of the module whose code it runs (``stages.CODE_VERSIONS``).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline.

    Attributes:
        name: the stage, and the Dagster asset that materializes it.
        partitions: ``task``, ``pair`` (task × model) or ``""`` (one output for the grid).
        reads: the upstream stages whose outputs it reads (its assets' ``deps``).
        settings: what else it reads, outside the graph: ``spec`` (the task's spec),
            ``model`` (the model's spec and weights file), ``probe`` (``$HEAR_PROBE``).
    """

    name: str
    partitions: str
    reads: tuple[str, ...]
    settings: tuple[str, ...] = ()


GRAPH: dict[str, Stage] = {
    s.name: s
    for s in (
        Stage("task_raw", "task", (), ("spec",)),
        Stage("task_audio", "task", ("task_raw",)),
        # task_splits writes its files from the raw catalogue; its UI metadata (durations, the
        # spectrogram) is read from the standardized audio.
        Stage("task_splits", "task", ("task_raw", "task_audio")),
        Stage("multitask_weights", "", ("task_audio", "task_splits"), ("model",)),
        Stage("learned_weights", "pair", ("task_audio", "task_splits"), ("model",)),
        Stage(
            "embeddings",
            "pair",
            ("task_audio", "task_splits", "learned_weights", "multitask_weights"),
            ("model",),
        ),
        Stage("predictions", "pair", ("task_splits", "embeddings"), ("probe",)),
        Stage("scores", "", ("predictions",)),
    )
}
# The weights an embedding reads, by the model's ``training``; recorded as its ``weights`` input.
WEIGHTS = {"per_task": "learned_weights", "all_tasks": "multitask_weights"}

TASK_STAGES = tuple(n for n, s in GRAPH.items() if s.partitions == "task")
PAIR_STAGES = ("embeddings", "predictions")  # every model's pair stages (weights: by training)
UNPARTITIONED = tuple(n for n, s in GRAPH.items() if not s.partitions)


# Each setting is also an observable source asset (group ``settings``) whose data version is
# the setting's digest, so that the UI calls stale what ``hear-assets run`` calls stale.
SETTINGS = {"spec": "task_spec", "model": "model_spec", "probe": "probe_setting"}


def reads(stage: str) -> list[str]:
    """What ``stage`` reads: its upstream stages and the source assets of its settings (its
    asset's ``deps``)."""
    node = GRAPH[stage]
    return [*node.reads, *(SETTINGS[s] for s in node.settings)]
