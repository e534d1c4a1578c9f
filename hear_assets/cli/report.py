"""``hear-assets leaderboard``, ``export heareval`` and ``validate``: what the grid produced,
and a module's HEAR API check."""

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from hear_assets.cli.common import layout as current_layout
from hear_assets.cli.common import print_rows
from hear_assets.lib.grid import catalog
from hear_assets.lib.report import leaderboard, published, results
from hear_assets.lib.store.layout import Layout
from hear_models.api import HearError


def leaderboard_text(
    layout: Layout, fmt: str = "table", with_published: bool = False, probe: str | None = None
) -> str:
    """The leaderboard as ``make demo`` prints it (or as csv or json); ``with_published``
    adds the HEAR 2021 published scores of the same tasks, marked, after ours; ``probe``
    shows one probe family's test scores (e.g. ``knn``) instead of the chosen probe's."""
    long = results.collect(layout)
    if probe:
        if probe not in leaderboard.PROBE_FAMILIES:
            raise HearError(
                f"--probe {probe}: no such probe family; choose one of "
                f"{', '.join(leaderboard.PROBE_FAMILIES)}"
            )
        long = leaderboard.probe_view(long, probe)
    wide = leaderboard.wide_table(long)
    tasks = [c for c in wide.columns if c != "model"]
    pub = published.for_tasks(tasks) if with_published else published.table().iloc[:0]
    if fmt == "json":
        rows = long[leaderboard.COLUMNS].assign(published=False)
        both = pd.concat([rows, pub[[*leaderboard.COLUMNS, "published"]]], ignore_index=True)
        return json.dumps(both.to_dict(orient="records"), indent=1)
    pub_wide = leaderboard.wide_table(pub, tasks) if not pub.empty else pub
    if fmt == "csv":
        both = pd.concat([wide, pub_wide[wide.columns]]) if not pub.empty else wide
        return both.to_csv(index=False, float_format="%.6g").rstrip("\n")
    text = leaderboard.format_table(wide)
    if "imported" in long and long["imported"].any():
        pairs = sorted(f"{m}|{t}" for m, t in long.loc[long["imported"], ["model", "task"]].values)
        text += "\n\nimported (results import; not run here): " + ", ".join(pairs)
    if with_published:
        if pub.empty:
            return text + "\n\n(no published HEAR 2021 scores for these tasks)"
        metrics = ", ".join(f"{t}: {m}" for t, m in pub.groupby("task")["metric"].first().items())
        ranked = pub_wide.set_index("model").mean(axis=1).sort_values(ascending=False).index
        text += (
            f"\n\npublished, not re-run here ({published.SOURCE}); metrics: {metrics}\n"
            + leaderboard.format_table(pub_wide.set_index("model").loc[ranked].reset_index())
        )
    return text


def cmd_leaderboard(args: argparse.Namespace) -> int:
    """Print the leaderboard, or a paired bootstrap comparison of two models."""
    layout = current_layout()
    if not args.compare:
        print(leaderboard_text(layout, args.format, args.with_published, args.probe))
        return 0
    from hear_assets.lib.evaluation.significance import compare

    names = [n.strip() for n in args.compare.split(",")]
    if len(names) != 2:
        raise HearError("--compare takes two model names: A,B")
    a, b = (catalog.get_model(layout, n).name for n in names)
    rows = []
    for task in catalog.all_tasks(layout):
        if not (layout.scores_file(a, task).exists() and layout.scores_file(b, task).exists()):
            continue
        c = compare(layout, task, a, b)
        rows.append(
            {
                "task": task,
                "metric": c.metric,
                a: round(c.a, 4),
                b: round(c.b, 4),
                "diff_ci95": f"[{c.diff_ci95[0]:+.4f}, {c.diff_ci95[1]:+.4f}]",
                "p": round(c.p_value, 4),
                "better": {"a": a, "b": b}.get(c.better, "-"),
            }
        )
    print_rows(rows, args.format == "json")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """Check a module against the HEAR API as the original validator does."""
    from hear_models.registry import ModelSpec
    from hear_models.validate import validate

    weights = str(Path(args.weights).resolve()) if args.weights else ""
    report = validate(
        ModelSpec("candidate", args.module, "outside", "unknown", 0, weights), args.device or "cpu"
    )
    print(report.text())
    if not report.ok:
        sys.stderr.write(f"hear-assets: error: {args.module}: {report.errors[0]}\n")
    return 0 if report.ok else 1


def cmd_export(args: argparse.Namespace) -> int:
    """Write one pair's embeddings in the original kit's layout."""
    from hear_assets.lib.report.export import export_heareval

    layout = current_layout()
    catalog.get_task(layout, args.task)
    catalog.get_model(layout, args.model)
    rows = export_heareval(
        layout.task_dir(args.task), layout.embeddings_dir(args.model, args.task), Path(args.out)
    )
    print(f"wrote {args.out}: " + ", ".join(f"{s} {n} rows" for s, n in rows.items()))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    """Print every recorded score (one row per pair per ``scores`` materialization), oldest
    first, and what changed in the last materialization."""
    from hear_assets.lib.report import history

    layout = current_layout()
    hist = history.read(layout, args.task, args.model)
    if args.format == "csv":
        sys.stdout.write(hist.to_csv(index=False))
        return 0
    print(history.table(hist))
    if not hist.empty and not (args.task or args.model):
        print()
        print("\n".join(history.latest_changes(hist).lines()))
    return 0


def cmd_results_export(args: argparse.Namespace) -> int:
    """Write every scored pair as a portable result (one json per model × task)."""
    layout = current_layout()
    written = results.export(layout, Path(args.out))
    if not written:
        raise HearError("nothing to export: no scored pairs in this HEAR_HOME (run first)")
    print(f"wrote {len(written)} results to {args.out}")
    return 0


def cmd_results_import(args: argparse.Namespace) -> int:
    """Merge exported results into this HEAR_HOME's leaderboard (all or nothing)."""
    layout = current_layout()
    report = results.import_results(layout, [Path(d) for d in args.dirs])
    if report.imported:  # the files now; the scores asset sees its inputs changed (stale)
        long = results.collect(layout)
        leaderboard.write_csv(leaderboard.wide_table(long), layout.leaderboard_csv())
        leaderboard.write_html(long, layout.leaderboard_html())
    print(f"imported {len(report.imported)}: {', '.join(report.imported) or '-'}")
    if report.kept_local:
        print(f"kept the local score of {', '.join(report.kept_local)} (scored here)")
    if report.unchanged:
        print(f"already imported: {', '.join(report.unchanged)}")
    return 0


def cmd_site(args: argparse.Namespace) -> int:
    """Write the static site of the results."""
    from hear_assets.lib.report.site import build_site

    pages = build_site(current_layout(), Path(args.out))
    print(f"wrote {len(pages)} pages to {args.out}: open {Path(args.out) / 'index.html'}")
    return 0
