"""Download recipes for real HEAR 2021 tasks: their specs, and their raw catalogues.

``recipe_spec(name, mode)`` gives the ``TaskSpec`` of a HEAR task (named as HEAR does,
``<task_name>-<version>-<mode>``, e.g. ``speech_commands-v0.0.2-5h``) whose ``params`` list the
archives to fetch (``downloads``: split, name, url, md5). ``build_raw(spec, raw_dir)`` fetches
them into ``raw_dir/downloads/`` (kept, so an interrupted run resumes), extracts each into
``raw_dir/extracted/<split>[/<name>]`` and writes the raw catalogue: ``clips.csv``
(``filename,split,label,source``) and, for event tasks, ``events.csv``. Splits the corpus fixes
are written; an empty split is assigned later by ``hear_assets.lib.tasks.splits``.

GTZAN (``tfds_gtzan``) is not a recipe: HEAR built it from TFDS, whose file ids and split the
plain ``genres.tar.gz`` does not reproduce, and the reference lists no md5 for that archive.
"""

import copy
import difflib
import json
import logging
import shutil
from pathlib import Path

from hear_assets.lib.store.errors import TaskDataError, UnknownTaskError
from hear_assets.lib.store.files import write_text
from hear_assets.lib.tasks import TaskSpec, fetch
from hear_assets.lib.tasks.recipes import (
    dcase2016,
    esc50,
    gunshot,
    named_files,
    nsynth,
    speech_commands,
)
from hear_assets.lib.tasks.recipes.base import (
    Catalogue,
    Recipe,
    check_catalogue,
    download_path,
    drop_missing,
    extracted_dir,
    subsample,
    trim_events,
    write_catalogue,
)
from hear_assets.lib.tasks.wavcheck import check_complete

log = logging.getLogger(__name__)

RECIPES: dict[str, Recipe] = {
    r.task_name: r
    for r in (
        speech_commands.RECIPE,
        nsynth.RECIPE,
        dcase2016.RECIPE,
        esc50.RECIPE,
        named_files.MRIDANGAM_STROKE,
        named_files.MRIDANGAM_TONIC,
        named_files.BEIJING_OPERA,
        gunshot.RECIPE,
    )
}
EXTRACTED_MARK = ".hear-extracted.json"

__all__ = ["RECIPES", "Catalogue", "Recipe", "build_raw", "recipe_spec"]


def _did_you_mean(word: str, known: list[str]) -> str:
    lowered = {k.lower(): k for k in known}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1)
    close = [lowered[c] for c in close]
    return f"did you mean '{close[0]}'?" if close else f"known: {', '.join(sorted(known))}"


def recipe_spec(name: str, mode: str | None = None) -> TaskSpec:
    """The TaskSpec of recipe ``name`` in ``mode`` (its default mode when None).

    Raises:
        UnknownTaskError: no such recipe, or no such mode of it.
    """
    if name not in RECIPES:
        raise UnknownTaskError(f"no recipe '{name}'; {_did_you_mean(name, list(RECIPES))}")
    recipe = RECIPES[name]
    mode = mode or recipe.default_mode
    if mode not in recipe.modes:
        raise UnknownTaskError(
            f"recipe '{name}' has no mode '{mode}'; {_did_you_mean(mode, list(recipe.modes))} "
            f"(modes: {', '.join(recipe.modes)})"
        )
    chosen = recipe.modes[mode]
    params = {
        **copy.deepcopy(recipe.params),
        "recipe": name,
        "mode": mode,
        "downloads": [dict(d) for d in chosen.downloads],
        "max_task_duration_by_split": copy.deepcopy(chosen.max_duration_by_split),
    }
    return TaskSpec(
        name=f"{recipe.task_name}-{recipe.version}-{mode}",
        task_type=recipe.task_type,
        prediction_type=recipe.prediction_type,
        sample_duration=chosen.sample_duration or recipe.sample_duration,
        evaluation=recipe.evaluation,
        split_mode=recipe.split_mode,
        nfolds=recipe.nfolds,
        source="recipe",
        version=recipe.version,
        source_sample_rate=recipe.source_sample_rate,
        params=params,
    )


def recipe_of(spec: TaskSpec) -> Recipe:
    """The recipe a spec was made from (``params["recipe"]``)."""
    name = spec.params.get("recipe")
    if spec.source != "recipe" or name not in RECIPES:
        raise TaskDataError(
            f"task {spec.name}: not a recipe task (params['recipe']={name!r}); "
            f"recipes: {', '.join(RECIPES)}"
        )
    return RECIPES[name]


def fetch_downloads(
    spec: TaskSpec, raw_dir: Path, mirror: str | None = None, progress=None
) -> None:
    """Download every archive of ``spec`` and extract the archives among them, once."""
    entries = spec.params["downloads"]
    paths = [download_path(raw_dir, e) for e in entries]
    if len(set(paths)) != len(paths):
        raise TaskDataError(f"task {spec.name}: two downloads share a file name: {paths}")
    for entry, path in zip(entries, paths, strict=True):
        fetch.download(entry["url"], path, entry["md5"], mirror=mirror, progress=progress)
        if not fetch.is_archive(path):
            continue  # a plain audio file (gunshot recordings) is used where it lies
        target = extracted_dir(raw_dir, entry)
        mark = target / EXTRACTED_MARK
        stamp = {"archive": path.name, "md5": entry["md5"].lower()}
        if mark.is_file() and json.loads(mark.read_text()) == stamp:
            continue
        if target.exists():
            log.info("%s: extracted from another archive or incompletely; extracting again", target)
            shutil.rmtree(target)
        log.info("extracting %s into %s", path, target)
        fetch.extract(path, target)
        write_text(mark, json.dumps(stamp) + "\n")


def build_raw(spec: TaskSpec, raw_dir: Path, mirror: str | None = None, progress=None) -> None:
    """Fetch, extract and catalogue a recipe task into ``raw_dir``.

    Writes ``clips.csv`` (``filename,split,label,source``; ``source`` relative to ``raw_dir``)
    and, for event tasks, ``events.csv`` (``filename,start_ms,end_ms,label``), atomically and
    last, so that a catalogue exists only for complete downloads. Mode caps are applied with
    HEAR's seeded SubsampleSplit; in ``small`` mode clips missing from the archives are dropped.
    """
    raw_dir = Path(raw_dir)
    recipe = recipe_of(spec)
    fetch_downloads(spec, raw_dir, mirror, progress)
    cat = recipe.catalogue(spec, raw_dir)
    cat = drop_missing(spec, raw_dir, cat)
    clips = subsample(
        cat.clips, spec.params.get("max_task_duration_by_split"), spec.sample_duration
    )
    kept = {c["filename"] for c in clips}
    events = trim_events([e for e in cat.events if e["filename"] in kept], spec.sample_duration)
    cat = Catalogue(clips, events)
    check_catalogue(spec, raw_dir, cat)
    for c in cat.clips:  # plain downloads too: no catalogue names a truncated file
        check_complete(raw_dir / c["source"])
    write_catalogue(raw_dir, cat, spec.task_type)
    log.info("%s: catalogued %d clips (%d events)", spec.name, len(cat.clips), len(cat.events))
