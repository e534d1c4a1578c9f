"""The six pipeline stages as plain functions over one HEAR_HOME, with their manifests.

Assets call these and add Dagster metadata; ``hear-assets run`` calls ``stage_state`` first so
that a re-run with nothing changed launches nothing.
"""

import functools
import logging
import os
import shutil
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hear_assets.lib.embedding import embed, training
from hear_assets.lib.evaluation import fewshot, layers, mlp, predict, probe
from hear_assets.lib.grid import graph, memory
from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.files import (
    TMP_MARK,
    atomic_dir,
    digest_of_hashes,
    digest_tree,
    read_json,
    sha256_file,
)
from hear_assets.lib.store.layout import Layout, pair_label
from hear_assets.lib.store.locks import stage_lock
from hear_assets.lib.store.manifest import (
    Manifest,
    digest_json,
    list_files,
    read_manifest,
    state_of,
    write_manifest,
)
from hear_assets.lib.tasks import TaskSpec, standardize, taskfiles
from hear_assets.lib.tasks.folds import fold_plan
from hear_assets.lib.tasks.synthetic import generate
from hear_models.registry import ModelSpec
from hear_models.runtime import LoadedModel, model_card

log = logging.getLogger(__name__)
TASK_STAGES, PAIR_STAGES = graph.TASK_STAGES, graph.PAIR_STAGES
Progress = Callable[[int, int], None] | None
Opener = Callable[[ModelSpec], AbstractContextManager[LoadedModel]]

# The code version of each stage: the VERSION of the module(s) whose code it runs (scores:
# report.VERSION, set on its asset).
CODE_VERSIONS = {
    "task_raw": taskfiles.RAW_VERSION,
    "task_audio": standardize.VERSION,
    "task_splits": taskfiles.VERSION,
    "embeddings": embed.VERSION,
    "predictions": f"{predict.VERSION}.{probe.VERSION}.{mlp.VERSION}",
    "learned_weights": training.VERSION,
    "multitask_weights": training.VERSION,
}


@dataclass
class StageResult:
    """What a stage wrote: its manifest plus numbers for the asset's metadata."""

    manifest: Manifest
    metadata: dict[str, Any] = field(default_factory=dict)


@functools.lru_cache(maxsize=256)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    return sha256_file(Path(path))


def model_identity(spec: ModelSpec) -> str:
    """Digest of a model's spec and, where it has a weights file, the file's bytes (hashed once
    per size and modification time)."""
    weights = Path(spec.weights) if spec.weights else None
    wsha = ""
    if weights and weights.is_file():
        st = weights.stat()
        wsha = _file_digest(str(weights), st.st_size, st.st_mtime_ns)
    elif weights and weights.is_dir():  # a Hugging Face model folder
        files = sorted(p for p in weights.rglob("*") if p.is_file())
        wsha = digest_json(
            {
                str(p.relative_to(weights)): _file_digest(
                    str(p), p.stat().st_size, p.stat().st_mtime_ns
                )
                for p in files
            }
        )
    return digest_json({"spec": spec.to_json(), "weights_sha256": wsha})


def task_identity(task: TaskSpec) -> str:
    """Digest of a task's spec: the ``spec`` setting ``task_raw`` reads."""
    return digest_json(task.to_json())


def setting_digests(task: TaskSpec, model: ModelSpec | None) -> dict[str, Callable[[], str]]:
    """The settings a stage may read (``graph.Stage.settings``), each as its current digest."""
    return {
        "spec": lambda: task_identity(task),
        "model": lambda: model_identity(model) if model else "",
        "probe": probe_setting,
    }


def current_inputs(
    layout: Layout, stage: str, task: TaskSpec, model: ModelSpec | None = None
) -> dict[str, str] | None:
    """The input digests ``stage`` would record now, from what ``graph.GRAPH`` says it reads:
    each upstream stage's output digest (the weights its model trains as ``weights``) and each
    setting's digest. None if an upstream stage has no output."""
    node = graph.GRAPH[stage]
    deps: dict[str, str | None] = {}
    for up in node.reads:
        if up in graph.WEIGHTS.values():
            continue
        who = model.name if model is not None and graph.GRAPH[up].partitions == "pair" else None
        m = read_manifest(layout.root, up, task.name, who)
        deps[up] = m.digest if m else None
    weights = graph.WEIGHTS.get(model.training) if model is not None else None
    if weights in node.reads:
        key = training.ALL_TASKS if weights == "multitask_weights" else task.name
        assert model is not None
        m = read_manifest(layout.root, weights, key, model.name)
        deps["weights"] = m.digest if m else None
    if any(v is None for v in deps.values()):
        return None
    digests = setting_digests(task, model)
    return {**{k: str(v) for k, v in deps.items()}, **{k: digests[k]() for k in node.settings}}


def stage_state(layout: Layout, stage: str, task: TaskSpec, model: ModelSpec | None = None) -> str:
    """``missing``, ``stale`` or ``done`` for one stage of one task or pair."""
    m = read_manifest(layout.root, stage, task.name, model.name if model else None)
    return state_of(
        layout.root, m, CODE_VERSIONS[stage], current_inputs(layout, stage, task, model)
    )


def pair_states(layout: Layout, task: TaskSpec, model: ModelSpec) -> list[str]:
    """The states of a pair's stages (``PAIR_STAGES``: embeddings, then predictions)."""
    return [stage_state(layout, s, task, model) for s in PAIR_STAGES]


def _finish(
    layout: Layout,
    stage: str,
    task: TaskSpec,
    model: ModelSpec | None,
    inputs: dict[str, str] | None,
    digest: str,
    paths: list[Path],
    info: dict[str, Any],
) -> Manifest:
    if inputs is None:
        raise TaskDataError(f"{stage} of {task.name}: an upstream stage has no output yet")
    m = Manifest(
        stage,
        task.name if model is None else pair_label(model.name, task.name),
        CODE_VERSIONS[stage],
        inputs,
        digest,
        list_files(layout.root, paths),
        info,
    )
    write_manifest(layout.root, m, task.name, model.name if model else None)
    return m


def raw_digest(raw_dir: Path) -> str:
    """The catalogue files' bytes plus the name and size of every other file (archives are not
    re-hashed on every run; their md5 was verified on download)."""
    catalogue = {
        p.name: sha256_file(p) for p in sorted(raw_dir.glob("*.csv")) if TMP_MARK not in p.name
    }
    sizes = {
        str(p.relative_to(raw_dir)): p.stat().st_size
        for p in sorted(raw_dir.rglob("*"))
        if p.is_file() and TMP_MARK not in str(p)
    }
    return digest_json({"catalogue": catalogue, "sizes": sizes})


def _build_task_raw(layout: Layout, task: TaskSpec) -> StageResult:
    """Generate (built-in) or fetch the raw form of a task into ``raw/<task>/``."""
    out = layout.raw_dir(task.name)
    inputs = current_inputs(layout, "task_raw", task)
    start = time.perf_counter()
    if task.source == "builtin":
        with atomic_dir(out) as tmp:
            generate(task, tmp)
    elif task.source == "recipe":
        from hear_assets.lib.tasks import recipes

        recipes.build_raw(task, out, mirror=os.environ.get("HEAR_MIRROR") or None)
    elif not (out / "clips.csv").exists():
        raise TaskDataError(
            f"{out}: no raw catalogue (clips.csv) for {task.source} task {task.name}; "
            f"add it again with `hear-assets tasks add`"
        )
    raw = taskfiles.read_raw(task, out)
    digest = raw_digest(out)
    info = {"clips": len(raw.clips), "seconds": round(time.perf_counter() - start, 3)}
    return StageResult(_finish(layout, "task_raw", task, None, inputs, digest, [out], info), info)


def _build_task_audio(layout: Layout, task: TaskSpec, progress: Progress = None) -> StageResult:
    """Standardize every raw clip into ``tasks/<task>/<rate>/<split>/`` at the five rates."""
    raw_dir, task_dir = layout.raw_dir(task.name), layout.task_dir(task.name)
    inputs = current_inputs(layout, "task_audio", task)
    raw = taskfiles.read_raw(task, raw_dir)
    jobs = [
        (raw_dir / src, s, f)
        for f, s, src in zip(
            raw.clips["filename"], raw.clips["split"], raw.clips["source"], strict=True
        )
    ]
    start = time.perf_counter()
    hashes: dict[str, str] = {}  # of the bytes as written: no re-reading of gigabytes
    paths = standardize.standardize_task(
        jobs,
        task_dir,
        task.sample_duration,
        progress=progress,
        quality=task.params.get("resample_filter", standardize.DEFAULT_FILTER),
        present=tuple(task.params.get("present_rates", ())),
        present_root=raw_dir,
        hashes=hashes,
    )
    digest = digest_of_hashes(hashes)
    info = {"clips": len(jobs), "seconds": round(time.perf_counter() - start, 3)}
    return StageResult(_finish(layout, "task_audio", task, None, inputs, digest, paths, info), info)


def _build_task_splits(layout: Layout, task: TaskSpec) -> StageResult:
    """Write task_metadata.json, labelvocabulary.csv, ``<split>.json`` and ``<split>.csv``."""
    task_dir = layout.task_dir(task.name)
    inputs = current_inputs(layout, "task_splits", task)
    raw = taskfiles.read_raw(task, layout.raw_dir(task.name))
    counts = taskfiles.write_split_files(task, raw, task_dir)
    files = [task_dir / n for n in ("task_metadata.json", "labelvocabulary.csv")]
    files += [task_dir / f"{s}.{ext}" for s in task.splits for ext in ("json", "csv")]
    digest = digest_json({p.name: sha256_file(p) for p in files})
    info = {"clips_per_split": counts}
    return StageResult(
        _finish(layout, "task_splits", task, None, inputs, digest, files, info), info
    )


def _efficiency(seconds: float, clips: int, audio_s: float, device: str) -> dict[str, Any]:
    """Real-time factor, throughput and peak memory of one embeddings run."""
    if device.startswith("cuda"):
        import torch

        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak_mb = memory.peak_rss_mb()  # since the stage started (_locked resets it)
    return {
        "rtf": round(seconds / audio_s, 5) if audio_s else 0.0,
        "clips_per_second": round(clips / seconds, 2) if seconds > 0 else 0.0,
        "peak_memory_mb": round(peak_mb, 1),
        "device": device,
    }


def _link_layer(layout: Layout, task: TaskSpec, spec: ModelSpec, opener: Opener, progress):
    """``M@L``'s embeddings: hidden layer ``L`` of ``M``'s embeddings, hard-linked (``M`` is
    embedded first if it is not up to date: one forward pass serves every layer)."""
    base = spec.base_spec()
    with stage_lock(layout.root, "embeddings", pair_label(base.name, task.name)):
        if stage_state(layout, "embeddings", task, base) != "done":
            _build_embeddings(layout, task, base, opener, progress)
    src = layout.embeddings_dir(base.name, task.name)
    layer_dir = embed.layer_dirs(src).get(int(spec.layer or 0))
    if layer_dir is None:
        raise TaskDataError(f"{src}: holds no layer {spec.layer}; rematerialize {base.name}")
    out = layout.embeddings_dir(spec.name, task.name)
    with atomic_dir(out) as tmp:
        for f in src.glob("*.index.json"):
            embed.link_or_copy(f, tmp / f.name)
        for f in layer_dir.glob("*.npy"):
            embed.link_or_copy(f, tmp / f.name)
    m = read_manifest(layout.root, "embeddings", task.name, base.name)
    assert m is not None
    info = {**m.info, "layer": spec.layer, "layer_of": base.name}
    return out, info


def _build_embeddings(
    layout: Layout,
    task: TaskSpec,
    model_spec: ModelSpec,
    opener: Opener,
    progress: Progress = None,
) -> StageResult:
    """Embed every split of ``task`` with ``model_spec`` (loaded through ``opener``).

    A model trained per task is loaded with the task's checkpoint; a k-fold task gets every
    split embedded by each fold's encoder under ``by_test/<fold>/``, and each split at the top
    level by the encoder that never saw it. A layered model stores every selected layer
    (``layers/<L>/``); ``M@L`` links its layer from there.
    """
    inputs = current_inputs(layout, "embeddings", task, model_spec)
    task_dir = layout.task_dir(task.name)
    out = layout.embeddings_dir(model_spec.name, task.name)
    if model_spec.layer is not None:
        out, info = _link_layer(layout, task, model_spec, opener, progress)
        m = _finish(layout, "embeddings", task, model_spec, inputs, digest_tree(out), [out], info)
        return StageResult(m, info)
    start = time.perf_counter()
    if model_spec.training == "all_tasks":
        ckpt = training.weights_dir(layout, model_spec.name, training.ALL_TASKS) / (
            f"{training.ALL_TASKS}{model_spec.weights_suffix}"
        )
        if not ckpt.exists():
            raise TaskDataError(f"{ckpt}: missing; materialize multitask_weights")
        model_spec_loaded = replace(model_spec, weights=str(ckpt))
    else:
        model_spec_loaded = model_spec
    card: dict[str, Any] = {}
    if model_spec.training != "per_task":
        with opener(model_spec_loaded) as model:
            if model_spec.layered and not model.has_layers:
                raise TaskDataError(
                    f"model {model_spec.name}: {model_spec.module} returns no hidden layers "
                    "(get_layer_scene_embeddings); register it without --layers"
                )
            result = embed.embed_task(
                model,
                task.name,
                task_dir,
                out,
                progress,
                model_spec.layers if model_spec.layered else (),
            )
            device, framework, wsha = model.device, model.framework, model.weights_sha256()
            seconds = time.perf_counter() - start
            card = model_card(model_spec, model)
        rows, clips, dim = result.rows, result.clips, result.dim
    else:
        plan = fold_plan(read_json(task_dir / "task_metadata.json"))
        with atomic_dir(out) as tmp:
            for test, _, _ in plan:
                ckpt = training.checkpoint_for(layout, model_spec, task.name, test)
                if not ckpt.exists():
                    raise TaskDataError(
                        f"{ckpt}: missing; materialize learned_weights for {task.name}"
                    )
                target = tmp if len(plan) == 1 else tmp / "by_test" / test
                with opener(replace(model_spec, weights=str(ckpt))) as model:
                    rows, clips, dim = embed.embed_splits(
                        model, task.name, task_dir, target, progress
                    )
                    device, framework = model.device, model.framework
                    card = card or model_card(model_spec, model)
            if len(plan) > 1:
                for test, _, _ in plan:
                    for ext in (".npy", ".index.json"):
                        shutil.copy2(tmp / "by_test" / test / f"{test}{ext}", tmp / f"{test}{ext}")
        seconds = time.perf_counter() - start
        wsha = digest_tree(training.weights_dir(layout, model_spec.name, task.name))
        card["weights_sha256"] = wsha
    audio_s = embed.audio_seconds(task_dir, card.get("sample_rate", 0))
    efficiency = _efficiency(seconds, clips, audio_s, device)
    info = {
        "rows": rows,
        "clips": clips,
        "embedding_dim": dim,
        "seconds": round(seconds, 3),
        "clips_per_second": efficiency["clips_per_second"],
        "audio_seconds": round(audio_s, 3),
        "device": device,
        "framework": framework,
        "weights_sha256": wsha,
        "card": card,
        "efficiency": efficiency,
    }
    m = _finish(layout, "embeddings", task, model_spec, inputs, digest_tree(out), [out], info)
    return StageResult(m, info)


def multitask_tasks(layout: Layout, tasks: list[TaskSpec]) -> list[TaskSpec]:
    """The tasks a multi-task model trains on now: eligible ones whose stages are done."""
    return [
        t
        for t in tasks
        if training.multitask_eligible(t)
        and all(stage_state(layout, s, t) == "done" for s in TASK_STAGES)
    ]


def multitask_inputs(layout: Layout, model: ModelSpec, tasks: list[TaskSpec]) -> dict[str, str]:
    """What multi-task weights depend on: the model and every training task's data."""
    data = {}
    for t in multitask_tasks(layout, tasks):
        audio = read_manifest(layout.root, "task_audio", t.name)
        splits = read_manifest(layout.root, "task_splits", t.name)
        data[t.name] = digest_json([audio.digest if audio else "", splits.digest if splits else ""])
    return {"model": model_identity(model), "tasks": digest_json(data)}


def multitask_state(layout: Layout, model: ModelSpec, tasks: list[TaskSpec]) -> str:
    """State of a multi-task model's weights."""
    m = read_manifest(layout.root, "multitask_weights", training.ALL_TASKS, model.name)
    return state_of(
        layout.root, m, CODE_VERSIONS["multitask_weights"], multitask_inputs(layout, model, tasks)
    )


def build_multitask_weights(
    layout: Layout, model: ModelSpec, tasks: list[TaskSpec], log=None
) -> StageResult:
    """Train a multi-task model over every eligible task that is ready."""
    chosen = multitask_tasks(layout, tasks)
    if not chosen:
        raise TaskDataError("no scene or event task with train/valid/test splits is ready")
    inputs = multitask_inputs(layout, model, tasks)
    result = training.train_all_tasks(layout, model, chosen, log=log)
    curve = result.curves[training.ALL_TASKS]
    info = {
        "seconds": round(result.seconds, 3),
        "tasks": [t.name for t in chosen],
        "epochs": len(curve),
        "best_valid_loss": min(p["valid_loss"] for p in curve),
        "curve": curve,
    }
    out = training.weights_dir(layout, model.name, training.ALL_TASKS)
    m = Manifest(
        "multitask_weights",
        model.name,
        CODE_VERSIONS["multitask_weights"],
        inputs,
        result.digest,
        list_files(layout.root, [out]),
        info,
    )
    write_manifest(layout.root, m, training.ALL_TASKS, model.name)
    return StageResult(m, info)


def _build_learned_weights(
    layout: Layout, task: TaskSpec, model_spec: ModelSpec, log=None
) -> StageResult:
    """Train a per-task model's checkpoints on ``task`` (one per evaluation fold)."""
    inputs = current_inputs(layout, "learned_weights", task, model_spec)
    result = training.train_per_task(layout, model_spec, task, log=log)
    info = {
        "seconds": round(result.seconds, 3),
        "epochs": {t: len(c) for t, c in result.curves.items()},
        "best_valid_loss": {t: min(p["valid_loss"] for p in c) for t, c in result.curves.items()},
        "curves": result.curves,
    }
    out = training.weights_dir(layout, model_spec.name, task.name)
    m = _finish(layout, "learned_weights", task, model_spec, inputs, result.digest, [out], info)
    return StageResult(m, info)


DEFAULT_PROBE_SEEDS = 3


def probe_seeds() -> tuple[int, ...]:
    """The probe seeds: ``0 .. $HEAR_PROBE_SEEDS - 1`` (default 3)."""
    raw = os.environ.get("HEAR_PROBE_SEEDS", str(DEFAULT_PROBE_SEEDS))
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if not 1 <= n <= 50:
        raise TaskDataError(f"HEAR_PROBE_SEEDS={raw!r}: give a number of seeds from 1 to 50")
    return tuple(range(n))


def few_shots() -> tuple[int | str, ...]:
    """``$HEAR_FEW_SHOT`` (``hear-assets run --shots``): the few-shot curve's K (off: empty)."""
    raw = os.environ.get("HEAR_FEW_SHOT", "")
    return fewshot.parse_shots(raw) if raw.strip() else ()


def probe_setting() -> str:
    """What predictions read from the environment: the probe, its number of seeds and the
    few-shot curve's points."""
    shots = ",".join(map(str, few_shots()))
    return f"{probe_kind()}+seeds{len(probe_seeds())}" + (f"+shots{shots}" if shots else "")


def probe_kind() -> str:
    """The probe predictions train: ``$HEAR_PROBE`` (``auto``, ``logreg`` or ``hear``)."""
    kind = os.environ.get("HEAR_PROBE", "auto")
    if kind not in probe.PROBES:
        raise TaskDataError(f"HEAR_PROBE={kind!r}: choose one of {', '.join(probe.PROBES)}")
    return kind


def _build_predictions(layout: Layout, task: TaskSpec, model_spec: ModelSpec) -> StageResult:
    """Train the probe (or compute distances) and write the pair's prediction files.

    Finished MLP grid points are cached under ``work/probe/<model>/<task>/`` (keyed by the
    inputs) until the stage succeeds, so a killed grid search resumes where it stopped."""
    inputs = current_inputs(layout, "predictions", task, model_spec)
    out = layout.predictions_dir(model_spec.name, task.name)
    work = layout.probe_work_dir(model_spec.name, task.name)
    settings = probe.ProbeSettings(
        kind=probe_kind(),
        seeds=probe_seeds(),
        shots=few_shots(),
        cache=mlp.PointCache(work / digest_json(inputs)[:16]),
    )
    task_dir = layout.task_dir(task.name)
    emb_dir = layout.embeddings_dir(model_spec.name, task.name)
    extra: dict[str, Any] = {}
    if model_spec.layered and task.task_type in ("scene", "event"):
        weighted = work / "weighted"
        extra["layer_weights"] = layers.write_weighted(task_dir, emb_dir, weighted)
        emb_dir = weighted
    elif model_spec.layered:
        extra["layer_weights"] = None  # distance tasks: the last selected layer
    result = predict.predict_pair(task_dir, emb_dir, out, settings, extra)
    shutil.rmtree(work, ignore_errors=True)
    info = {"files": result.files, "probe": result.probe, "seconds": round(result.seconds, 3)}
    m = _finish(layout, "predictions", task, model_spec, inputs, result.digest, [out], info)
    return StageResult(m, info)


def record_checks(
    layout: Layout, stage: str, task: str, model: str | None, failed: list[str]
) -> None:
    """Note in a stage's manifest which of its blocking checks failed (none: clears them)."""
    m = read_manifest(layout.root, stage, task, model)
    if m is not None and m.info.get("failed_checks", []) != failed:
        write_manifest(
            layout.root, replace(m, info={**m.info, "failed_checks": failed}), task, model
        )


def failed_checks(layout: Layout, task: str, model: str | None = None) -> list[str]:
    """Blocking checks that failed on the latest output of a task (and of a pair)."""
    stages = [("task_splits", None)] + (
        [("embeddings", model), ("predictions", model)] if model else []
    )
    out = []
    for stage, who in stages:
        m = read_manifest(layout.root, stage, task, who)
        out += [f"{stage}: {c}" for c in (m.info.get("failed_checks", []) if m else [])]
    return out


def _locked(stage: str, fn):
    """``fn`` under the stage lock of its task (or pair), keyed from its arguments; its
    result's ``metadata["peak_rss_mb"]`` is the process's resident peak during ``fn``."""

    def run(layout: Layout, task: TaskSpec, *args, **kwargs) -> StageResult:
        model = args[0] if args and isinstance(args[0], ModelSpec) else None
        key = task.name if model is None else pair_label(model.name, task.name)
        with stage_lock(layout.root, stage, key):
            memory.reset_peak()
            res = fn(layout, task, *args, **kwargs)
            res.metadata["peak_rss_mb"] = round(memory.peak_rss_mb(), 1)
            return res

    run.__doc__ = fn.__doc__
    return run


build_task_raw = _locked("task_raw", _build_task_raw)
build_task_audio = _locked("task_audio", _build_task_audio)
build_task_splits = _locked("task_splits", _build_task_splits)
build_learned_weights = _locked("learned_weights", _build_learned_weights)
build_embeddings = _locked("embeddings", _build_embeddings)
build_predictions = _locked("predictions", _build_predictions)
