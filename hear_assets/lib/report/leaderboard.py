"""Scores jsons → the leaderboard: a wide csv (model × task primary scores), markdown, html."""

import html
import json
import math
from pathlib import Path

import pandas as pd

from hear_assets.lib.report.figures import data_uri
from hear_assets.lib.store.files import atomic_path


def collect_scores(scores_dir: Path) -> pd.DataFrame:
    """One row per ``scores/<model>/<task>.json``: model, task, metric, primary, ci_lo, ci_hi."""
    rows = []
    for path in sorted(scores_dir.glob("*/*.json")):
        s = json.loads(path.read_text())
        lo, hi = s["ci95"]
        rows.append(
            {
                "model": s["model"],
                "task": s["task"],
                "metric": s["primary_metric"],
                "primary": s["primary"],
                "ci_lo": lo,
                "ci_hi": hi,
            }
        )
    return pd.DataFrame(rows, columns=["model", "task", "metric", "primary", "ci_lo", "ci_hi"])


def wide_table(long: pd.DataFrame, tasks: list[str] | None = None) -> pd.DataFrame:
    """``model`` column then one column per task (named exactly as the task)."""
    if long.empty:
        return pd.DataFrame(columns=["model", *(tasks or [])])
    wide = long.pivot(index="model", columns="task", values="primary")
    cols = tasks if tasks is not None else sorted(wide.columns)
    wide = wide.reindex(columns=cols).sort_index()
    wide.columns.name = None
    return wide.reset_index()


def write_csv(wide: pd.DataFrame, path: Path) -> None:
    """Atomically write the leaderboard csv."""
    with atomic_path(path) as tmp:
        wide.to_csv(tmp, index=False, float_format="%.6g")


def _fmt(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"


def _model_rows(long: pd.DataFrame, tasks: list[str]):
    """Per model (sorted): its score row for each task in ``tasks``, or None where missing."""
    for model, grp in long.groupby("model", sort=True):
        by_task = grp.set_index("task")
        yield model, [by_task.loc[t] if t in by_task.index else None for t in tasks]


def markdown(long: pd.DataFrame) -> str:
    """The leaderboard with intervals as a markdown table (the ``scores`` asset's UI metadata)."""
    if long.empty:
        return "_no pairs scored yet_"
    tasks = sorted(long["task"].unique())
    metric = dict(zip(long["task"], long["metric"], strict=False))
    lines = [
        "| model | " + " | ".join(f"{t} ({metric[t]})" for t in tasks) + " |",
        "|---|" + "---|" * len(tasks),
    ]
    for model, rows in _model_rows(long, tasks):
        cells = [
            "–" if r is None else f"{_fmt(r.primary)} [{_fmt(r.ci_lo)}, {_fmt(r.ci_hi)}]"
            for r in rows
        ]
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def svg_plot(long: pd.DataFrame, left: int = 260, width: int = 420) -> str:
    """A dot-and-whisker plot: one row per (task, model), primary with its 95 % interval;
    ``left`` pixels of labels, then ``width`` pixels of plot."""
    rows = long.sort_values(["task", "model"]).reset_index(drop=True)
    if rows.empty:
        return ""
    finite = pd.concat([rows["ci_lo"], rows["ci_hi"], rows["primary"]]).astype(float)
    finite = finite[finite.apply(math.isfinite)]
    lo = min(0.0, float(finite.min())) if len(finite) else 0.0
    hi = max(1.0, float(finite.max())) if len(finite) else 1.0
    row_h = 18
    height = row_h * len(rows) + 40

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * width

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 40}" '
        f'height="{height}" font-family="sans-serif" font-size="11">'
    ]
    for i, r in rows.iterrows():
        y = 20 + int(i) * row_h
        label = html.escape(f"{r.task} · {r.model}")
        parts.append(f'<text x="{left - 8}" y="{y + 4}" text-anchor="end">{label}</text>')
        if all(math.isfinite(float(v)) for v in (r.ci_lo, r.ci_hi)):
            parts.append(
                f'<line x1="{x(r.ci_lo):.1f}" x2="{x(r.ci_hi):.1f}" y1="{y}" y2="{y}" '
                'stroke="#4a6fa5" stroke-width="2"/>'
            )
        if math.isfinite(float(r.primary)):
            parts.append(f'<circle cx="{x(r.primary):.1f}" cy="{y}" r="4" fill="#c0392b"/>')
    axis_y = height - 14
    parts.append(
        f'<line x1="{left}" x2="{left + width}" y1="{axis_y}" y2="{axis_y}" stroke="#999"/>'
    )
    parts.extend(
        f'<text x="{x(v):.1f}" y="{axis_y + 12}" text-anchor="middle">{v:.2f}</text>'
        for v in (lo, (lo + hi) / 2, hi)
    )
    parts.append("</svg>")
    return "\n".join(parts)


def plot_markdown(long: pd.DataFrame) -> str:
    """The plot as an inline markdown image (an SVG ``data:`` URI, which the UI renders), 500
    pixels wide to fit the UI's metadata table and dialog."""
    svg = svg_plot(long, left=210, width=250)
    if not svg:
        return "_no pairs scored yet_"
    uri = data_uri(svg.encode("utf-8"), "image/svg+xml")
    return f"![primary scores with 95 % intervals]({uri})"


def write_html(long: pd.DataFrame, path: Path) -> None:
    """A self-contained page: the table with 95 % intervals and the plot."""
    tasks = sorted(long["task"].unique()) if not long.empty else []
    head = "".join(f"<th>{html.escape(t)}</th>" for t in tasks)
    body = []
    for model, rows in _model_rows(long, tasks):
        cells = [
            "<td>–</td>"
            if r is None
            else f"<td><b>{_fmt(r.primary)}</b><br><small>[{_fmt(r.ci_lo)}, "
            f"{_fmt(r.ci_hi)}] {html.escape(r.metric)}</small></td>"
            for r in rows
        ]
        body.append(f"<tr><th>{html.escape(str(model))}</th>{''.join(cells)}</tr>")
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>hear-dagster leaderboard</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:center}}</style></head>
<body><h1>Leaderboard</h1>
<p>Primary score per task with its bootstrap 95 % interval (resampled test clips).</p>
<table><tr><th>model</th>{head}</tr>
{"".join(body)}
</table>
<h2>Scores with 95 % intervals</h2>
{svg_plot(long)}
</body></html>
"""
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")


def format_table(wide: pd.DataFrame) -> str:
    """The wide leaderboard as an aligned text table for the terminal."""
    if wide.empty:
        return "(no scores yet)"
    return wide.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="-")
