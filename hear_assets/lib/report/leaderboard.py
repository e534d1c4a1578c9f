"""Scores jsons → the leaderboard: a wide csv (model × task primary scores), markdown, html."""

import html
import json
import math
from pathlib import Path

import pandas as pd

from hear_assets.lib.report import published
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
                "layer_weights": s.get("layer_weights"),
                "card": s.get("card"),
                "candidates": (s.get("probe") or {}).get("candidates") or {},
                "few_shot": s.get("few_shot"),
            }
        )
    return pd.DataFrame(rows, columns=[*COLUMNS, "layer_weights", "card", "candidates", "few_shot"])


PROBE_FAMILIES = ("logreg", "mlp", "hear_mlp", "knn")


def probe_view(long: pd.DataFrame, family: str) -> pd.DataFrame:
    """The board as one probe family scored it (its test score, the mean over folds; no
    interval): ``knn`` shows what the embeddings hold without training."""
    out = long.copy()
    out["primary"] = [
        (c.get(family) or {}).get("test_score", math.nan) if isinstance(c, dict) else math.nan
        for c in out["candidates"]
    ]
    out[["ci_lo", "ci_hi"]] = math.nan
    return out.dropna(subset=["primary"])


COLUMNS = ["model", "task", "metric", "primary", "ci_lo", "ci_hi"]


def layer_curves(long: pd.DataFrame) -> list[dict]:
    """Per layered model and task: each layer's score and interval, the weighted sum's, and
    the learned weight of each layer (mean over evaluation folds)."""
    if long.empty:
        return []
    layered = long[long["model"].str.contains("@", regex=False)]
    out = []
    for (base, task), grp in layered.assign(
        base=layered["model"].str.split("@").str[0],
        layer=layered["model"].str.split("@").str[1].astype(int),
    ).groupby(["base", "task"], sort=True):
        head = long[(long["model"] == base) & (long["task"] == task)]
        weights = head.iloc[0]["layer_weights"] if len(head) else None
        mean_w = (
            {
                k: sum(f[k] for f in weights.values()) / len(weights)
                for k in next(iter(weights.values()))
            }
            if weights
            else {}
        )
        out.append(
            {
                "model": base,
                "task": task,
                "metric": grp.iloc[0]["metric"],
                "weighted": None
                if head.empty
                else head.iloc[0][["primary", "ci_lo", "ci_hi"]].tolist(),
                "layers": [
                    {
                        "layer": int(r.layer),
                        "primary": r.primary,
                        "ci": [r.ci_lo, r.ci_hi],
                        "weight": mean_w.get(str(int(r.layer))),
                    }
                    for r in grp.sort_values("layer").itertuples()
                ],
            }
        )
    return out


def _weight(w: float | None) -> str:
    return "–" if w is None else f"{w:.3f}"


def layer_markdown(curve: dict) -> str:
    """One layer curve as a markdown table (UI metadata)."""
    lines = ["| layer | score | 95 % interval | learned weight |", "|---|---|---|---|"]
    for r in curve["layers"]:
        ci = f"[{_fmt(r['ci'][0])}, {_fmt(r['ci'][1])}]"
        lines.append(f"| {r['layer']} | {_fmt(r['primary'])} | {ci} | {_weight(r['weight'])} |")
    if curve["weighted"]:
        p, lo, hi = curve["weighted"]
        lines.append(f"| weighted sum | {_fmt(p)} | [{_fmt(lo)}, {_fmt(hi)}] | |")
    return "\n".join(lines)


def layers_markdown(long: pd.DataFrame) -> str:
    """Every layer curve, one table per (layered model, task)."""
    curves = layer_curves(long)
    if not curves:
        return "(no layered models)"
    return "\n\n".join(
        f"**{c['model']} on {c['task']}** ({c['metric']})\n\n{layer_markdown(c)}" for c in curves
    )


def cards_markdown(long: pd.DataFrame) -> str:
    """The model cards as one markdown table."""
    found = cards(long)
    if not found:
        return "(no cards yet)"
    cols = [
        "params",
        "scene_embedding_size",
        "hop_ms",
        "sample_rate",
        "framework",
        "licence",
        "source",
        "rtf",
        "clips_per_second",
        "peak_memory_mb",
        "device",
    ]
    lines = ["| model | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for m, c in found.items():
        vals = [f"{c[k]:.4g}" if isinstance(c.get(k), float) else str(c.get(k)) for k in cols]
        lines.append(f"| {m} | " + " | ".join(vals) + " |")
    return "\n".join(lines)


CARD_FIELDS = (
    "params",
    "scene_embedding_size",
    "timestamp_embedding_size",
    "hop_ms",
    "sample_rate",
    "framework",
    "licence",
    "source",
    "weights_sha256",
)


def cards(long: pd.DataFrame) -> dict[str, dict]:
    """Each model's card (from its scores jsons), efficiency aggregated over its tasks."""
    out: dict[str, dict] = {}
    if long.empty:
        return out
    for model, grp in long.groupby("model", sort=True):
        found = [c for c in grp["card"] if isinstance(c, dict) and c.get("params") is not None]
        if not found:
            continue
        effs = [c.get("efficiency") or {} for c in found]
        rtfs = [e["rtf"] for e in effs if e.get("rtf")]
        cps = [e["clips_per_second"] for e in effs if e.get("clips_per_second")]
        peaks = [e["peak_memory_mb"] for e in effs if e.get("peak_memory_mb")]
        out[str(model)] = {
            **{k: found[-1].get(k) for k in CARD_FIELDS},
            "rtf": sum(rtfs) / len(rtfs) if rtfs else None,
            "clips_per_second": sum(cps) / len(cps) if cps else None,
            "peak_memory_mb": max(peaks) if peaks else None,
            "device": effs[-1].get("device"),
        }
    return out


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
            f"{_fmt(r.ci_hi)}] {html.escape(r.metric)}"
            f"{'<br><i>imported</i>' if bool(r.get('imported', False)) else ''}"
            "</small></td>"
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
{_layers_html(long)}
{_few_shot_html(long)}
{_published_html(long)}
{_cards_html(long)}
</body></html>
"""
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")


def _layers_html(long: pd.DataFrame) -> str:
    curves = layer_curves(long)
    if not curves:
        return ""
    parts = [
        "<h2>Scores by layer</h2><p>Each hidden layer probed alone (<code>MODEL@L</code>), "
        "the learned weighted sum (the model's own row) and the softmax weight each layer "
        "got, averaged over evaluation folds.</p>"
    ]
    for c in curves:
        rows = "".join(
            f"<tr><td>{r['layer']}</td><td>{_fmt(r['primary'])}</td>"
            f"<td>[{_fmt(r['ci'][0])}, {_fmt(r['ci'][1])}]</td>"
            f"<td>{_weight(r['weight'])}</td></tr>"
            for r in c["layers"]
        )
        if c["weighted"]:
            p, lo, hi = c["weighted"]
            rows += (
                f"<tr><th>weighted sum</th><th>{_fmt(p)}</th>"
                f"<td>[{_fmt(lo)}, {_fmt(hi)}]</td><td></td></tr>"
            )
        parts.append(
            f"<h3>{html.escape(c['model'])} on {html.escape(c['task'])} "
            f"({html.escape(c['metric'])})</h3><table><tr><th>layer</th><th>score</th>"
            f"<th>95 % interval</th><th>weight</th></tr>{rows}</table>"
        )
    return "\n".join(parts)


def few_shot_markdown(long: pd.DataFrame) -> str:
    """Few-shot curves as one markdown table per task (UI metadata)."""
    parts = []
    for task, rows in _few_shot_rows(long).items():
        ks = list(next(iter(rows.values())))
        lines = [
            f"**{task}**",
            "",
            "| model | " + " | ".join(f"K={k}" for k in ks) + " |",
            "|---" * (len(ks) + 1) + "|",
        ]
        for model, curve in rows.items():
            cells = [f"{_fmt(curve[k]['mean'])} ± {_fmt(curve[k]['std'])}" for k in ks]
            lines.append(f"| {model} | " + " | ".join(cells) + " |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) or "(no few-shot curves: hear-assets run --shots 1,4,8,16,all)"


def _few_shot_rows(long: pd.DataFrame) -> dict[str, dict[str, dict]]:
    out: dict[str, dict[str, dict]] = {}
    if long.empty:
        return out
    for r in long.itertuples():
        if isinstance(r.few_shot, dict) and r.few_shot:
            out.setdefault(str(r.task), {})[str(r.model)] = r.few_shot
    return out


def _few_shot_html(long: pd.DataFrame) -> str:
    found = _few_shot_rows(long)
    if not found:
        return ""
    parts = [
        "<h2>Few-shot curves</h2><p>Test score with K training clips per class (mean ± "
        "deviation over 3 seeded draws; logistic-regression probe; <code>all</code>: the "
        "whole training split).</p>"
    ]
    for task, rows in found.items():
        ks = list(next(iter(rows.values())))
        head = "".join(f"<th>K={html.escape(k)}</th>" for k in ks)
        body = "".join(
            f"<tr><th>{html.escape(m)}</th>"
            + "".join(f"<td>{_fmt(c[k]['mean'])} ± {_fmt(c[k]['std'])}</td>" for k in ks)
            + "</tr>"
            for m, c in rows.items()
        )
        parts.append(
            f"<h3>{html.escape(task)}</h3><table><tr><th>model</th>{head}</tr>{body}</table>"
        )
    return "\n".join(parts)


def _published_html(long: pd.DataFrame) -> str:
    """The HEAR 2021 published scores of the tasks on this board (not re-run here)."""
    tasks = sorted(long["task"].unique()) if not long.empty else []
    pub = published.for_tasks(tasks)
    if pub.empty:
        return ""
    shown = [t for t in tasks if t in set(pub["task"])]
    metric = pub.groupby("task")["metric"].first()
    head = "".join(
        f"<th>{html.escape(t)}<br><small>{html.escape(metric[t])}</small></th>" for t in shown
    )
    wide = pub.pivot(index="model", columns="task", values="primary").reindex(columns=shown)
    wide = wide.loc[wide.mean(axis=1).sort_values(ascending=False).index]
    body = "".join(
        f"<tr><th>{html.escape(str(m))}</th>"
        + "".join(f"<td>{_fmt(v)}</td>" for v in row)
        + "</tr>"
        for m, row in zip(wide.index, wide.to_numpy(), strict=True)
    )
    return (
        "<h2>Published scores (HEAR 2021, not re-run here)</h2>"
        f"<p>{html.escape(published.SOURCE)}. Each score in the metric the task reports "
        f"(under its name); no intervals were published.</p>"
        f"<table><tr><th>model</th>{head}</tr>{body}</table>"
    )


def _cards_html(long: pd.DataFrame) -> str:
    found = cards(long)
    if not found:
        return ""
    cols = [*CARD_FIELDS, "rtf", "clips_per_second", "peak_memory_mb", "device"]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)

    def cell(k: str, v) -> str:
        if k == "weights_sha256" and v:
            v = str(v)[:12]
        elif isinstance(v, float):
            v = f"{v:.4g}"
        return f"<td>{html.escape('–' if v is None else str(v))}</td>"

    body = "".join(
        f"<tr><th>{html.escape(m)}</th>{''.join(cell(k, c.get(k)) for k in cols)}</tr>"
        for m, c in found.items()
    )
    return f"<h2>Model cards</h2><table><tr><th>model</th>{head}</tr>{body}</table>"


def format_table(wide: pd.DataFrame) -> str:
    """The wide leaderboard as an aligned text table for the terminal."""
    if wide.empty:
        return "(no scores yet)"
    return wide.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="-")
