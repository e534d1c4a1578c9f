"""The report: every pair's scores and the leaderboard (unpartitioned, recomputed whole)."""

import dagster as dg

from hear_assets.lib.grid import catalog, checks, graph, stages
from hear_assets.lib.report import build as report
from hear_assets.lib.report import leaderboard
from hear_assets.resources import HearHome


@dg.asset(
    group_name="report",
    deps=graph.reads("scores"),
    code_version=report.VERSION,
    check_specs=[
        dg.AssetCheckSpec("scores_in_range", asset="scores"),
        dg.AssetCheckSpec("scores_complete", asset="scores"),
    ],
)
def scores(context: dg.AssetExecutionContext, home: HearHome) -> dg.MaterializeResult:
    """Scores of every (task, model) pair with predictions, with bootstrap 95 % intervals, in
    ``scores/<model>/<task>.json``, and the leaderboard in ``leaderboard.csv`` and
    ``leaderboard.html``. Succeeds on a partial or empty grid."""
    layout = home.layout()
    result = report.build_report(
        layout,
        catalog.all_tasks(layout),
        catalog.all_models(layout),
        lambda task, model: stages.pair_states(layout, task, model),
    )
    in_range, r_info = checks.scores_in_range(result.scores)
    for pair, err in result.failed.items():
        context.log.error(f"{pair}: {err}")
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
        ],
    )
