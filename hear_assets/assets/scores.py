"""The report: every pair's scores and the leaderboard (unpartitioned, recomputed whole)."""

import dagster as dg

from hear_assets.lib.grid import catalog, checks, graph, stages
from hear_assets.lib.report import build as report
from hear_assets.lib.report import history, leaderboard
from hear_assets.resources import HearHome


@dg.asset(
    group_name="report",
    deps=graph.reads("scores"),
    code_version=report.VERSION,
    check_specs=[
        dg.AssetCheckSpec("scores_in_range", asset="scores"),
        dg.AssetCheckSpec("scores_complete", asset="scores"),
        dg.AssetCheckSpec(
            "scores_stable",
            asset="scores",
            description="warns when a pair's score left its previous 95 % interval while "
            "none of its inputs changed (non-determinism) or only the code version did",
        ),
    ],
)
def scores(context: dg.AssetExecutionContext, home: HearHome) -> dg.MaterializeResult:
    """Scores of every (task, model) pair with predictions, with bootstrap 95 % intervals, in
    ``scores/<model>/<task>.json``, and the leaderboard in ``leaderboard.csv`` and
    ``leaderboard.html``, appended to ``history/``. Succeeds on a partial or empty grid."""
    layout = home.layout()
    trigger = trigger_of(context.run.tags)
    result = report.build_report(
        layout,
        catalog.all_tasks(layout),
        catalog.all_models(layout),
        lambda task, model: stages.pair_states(layout, task, model),
        run_id=context.run.run_id,
        trigger=trigger,
    )
    in_range, r_info = checks.scores_in_range(result.scores)
    for pair, err in result.failed.items():
        context.log.error(f"{pair}: {err}")
    for line in result.changes.lines():
        context.log.info(f"changes {line}")
    flagged = result.changes.flagged
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(result.wide),
            "pairs_scored": len(result.scored),
            "pairs_missing": len(result.missing),
            "pairs_stale": len(result.stale),
            "pairs_failed": len(result.failed),
            "leaderboard": dg.MetadataValue.md(leaderboard.markdown(result.long)),
            "leaderboard_plot": dg.MetadataValue.md(leaderboard.plot_markdown(result.long)),
            "leaderboard_csv": dg.MetadataValue.path(str(layout.leaderboard_csv())),
            "layer_curves": dg.MetadataValue.md(leaderboard.layers_markdown(result.long)),
            "model_cards": dg.MetadataValue.md(leaderboard.cards_markdown(result.long)),
            "few_shot_curves": dg.MetadataValue.md(leaderboard.few_shot_markdown(result.long)),
            "leaderboard_html": dg.MetadataValue.path(str(layout.leaderboard_html())),
            "changes": dg.MetadataValue.md(result.changes.markdown()),
            "history_plot": dg.MetadataValue.md(history.plot_markdown(result.history)),
            "history_dir": dg.MetadataValue.path(str(history.history_dir(layout))),
        },
        check_results=[
            dg.AssetCheckResult(check_name="scores_in_range", passed=in_range, metadata=r_info),
            dg.AssetCheckResult(
                check_name="scores_complete",
                passed=not result.missing and not result.failed,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "missing_pairs": "\n".join(result.missing[:50]),
                    "failed_pairs": "\n".join(result.failed),
                },
            ),
            dg.AssetCheckResult(
                check_name="scores_stable",
                passed=not flagged,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "moved_without_input_change": "\n".join(m.line() for m in flagged),
                    "since": result.changes.since,
                },
            ),
        ],
    )


def trigger_of(tags: dict[str, str]) -> str:
    """What launched the run: ``nightly`` (the ``scores_nightly`` sensor), another sensor's or
    a schedule's name, ``hear-assets run``, or ``manual`` (the UI, ``dagster asset
    materialize``)."""
    sensor = tags.get("dagster/sensor_name", "")
    if sensor == "scores_nightly":
        return "nightly"
    if tags.get("hear/launched_by") == "hear-assets":
        return "hear-assets run"
    return sensor or tags.get("dagster/schedule_name", "") or "manual"
