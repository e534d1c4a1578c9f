"""What to run next: the stages of each task and pair that are missing or stale."""

from dataclasses import dataclass

from hear_assets.lib.embedding.training import per_task_blocker
from hear_assets.lib.grid.catalog import all_tasks
from hear_assets.lib.grid.stages import (
    PAIR_STAGES,
    TASK_STAGES,
    current_inputs,
    failed_checks,
    multitask_state,
    multitask_tasks,
    stage_state,
)
from hear_assets.lib.store.layout import Layout, pair_label
from hear_assets.lib.tasks import TaskSpec
from hear_models.registry import ModelSpec


@dataclass(frozen=True)
class Step:
    """One run to launch: some consecutive stages of a task or of a pair."""

    task: str
    model: str | None
    stages: tuple[str, ...]

    @property
    def label(self) -> str:
        """``task``, ``model|task``, or ``all tasks`` for stages over the whole grid."""
        if not self.task:
            return "all tasks"
        return self.task if self.model is None else pair_label(self.model, self.task)


def _todo(states: list[str], names: tuple[str, ...], force: bool) -> tuple[str, ...]:
    """The stages from the first one not done onwards (every stage when forced)."""
    if force:
        return names
    for i, state in enumerate(states):
        if state != "done":
            return names[i:]
    return ()


def task_steps(layout: Layout, tasks: list[TaskSpec], force: bool = False) -> list[Step]:
    """Task-stage runs needed for ``tasks``."""
    steps = []
    for task in tasks:
        todo = _todo([stage_state(layout, s, task) for s in TASK_STAGES], TASK_STAGES, force)
        if todo:
            steps.append(Step(task.name, None, todo))
    return steps


def left_out(layout: Layout, tasks: list[TaskSpec], models: list[ModelSpec]) -> dict[str, str]:
    """Models (``model``) or pairs (``model|task``) whose weights stage cannot apply now, with
    why. They are left out of the run: not applicable, not failed.

    A multi-task model needs a ready scene or event task with train/valid/test splits; a
    per-task model needs a training split beside each evaluation's test and valid splits.
    """
    out = {}
    for model in models:
        if model.training == "all_tasks":
            if not multitask_tasks(layout, list(all_tasks(layout).values())):
                out[model.name] = (
                    "no scene or event task with train/valid/test splits is ready to train on"
                )
        elif model.training == "per_task":
            for task in tasks:
                why = per_task_blocker(task)
                if why:
                    out[pair_label(model.name, task.name)] = why
    return out


def blocked_pairs(
    layout: Layout, tasks: list[TaskSpec], models: list[ModelSpec]
) -> dict[str, list[str]]:
    """Pairs not launched because a blocking check failed on their latest task or pair output."""
    out = {}
    for task in tasks:
        for model in models:
            failed = failed_checks(layout, task.name, model.name)
            if failed:
                out[pair_label(model.name, task.name)] = failed
    return out


def multitask_steps(
    layout: Layout, tasks: list[TaskSpec], models: list[ModelSpec], force: bool = False
) -> list[Step]:
    """One ``multitask_weights`` run if a selected multi-task model's weights are not current."""
    every = list(all_tasks(layout).values())
    skipped = left_out(layout, tasks, models)
    wanted = [m for m in models if m.training == "all_tasks" and m.name not in skipped]
    if wanted and (force or any(multitask_state(layout, m, every) != "done" for m in wanted)):
        return [Step("", None, ("multitask_weights",))]
    return []


def pair_stages(model: ModelSpec) -> tuple[str, ...]:
    """The stages of one pair, in order: a per-task model trains its weights first."""
    return (("learned_weights",) if model.training == "per_task" else ()) + PAIR_STAGES


def pair_steps(
    layout: Layout, tasks: list[TaskSpec], models: list[ModelSpec], force: bool = False
) -> list[Step]:
    """Pair-stage runs needed, for tasks whose own stages are all done (none for pairs that
    are ``left_out``). A per-task model's run starts with its ``learned_weights``."""
    steps = []
    skipped = left_out(layout, tasks, models)
    for task in tasks:
        if any(stage_state(layout, s, task) != "done" for s in TASK_STAGES):
            continue
        for model in models:
            if model.name in skipped or pair_label(model.name, task.name) in skipped:
                continue
            if failed_checks(layout, task.name, model.name) and not force:
                continue  # blocked: reported by blocked_pairs
            if model.training == "all_tasks" and (
                current_inputs(layout, "embeddings", task, model) is None
            ):
                continue
            names = pair_stages(model)
            todo = _todo([stage_state(layout, s, task, model) for s in names], names, force)
            if todo:
                steps.append(Step(task.name, model.name, todo))
    return steps
