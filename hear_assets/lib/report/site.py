"""A static site of the results (``hear-assets site OUT/``): no server, no CDN, no plotting
service. Every page is plain HTML with inline CSS (and a few lines of inline JavaScript to sort
the leaderboard); every plot is an SVG file under ``img/`` drawn here.

* ``index.html``: the leaderboard (model × task, primary score and 95 % interval, the best per
  task marked, sortable by any column), the plot of every score with its interval, links.
* ``tasks/<task>.html``: what the task is (type, metrics, splits and clips), every model's score
  with its interval, layer curves and few-shot curves where they exist, and the confusion
  matrix of each model on multiclass scene tasks (summed over test folds).
* ``models/<model>.html``: the model card, its efficiency, its scores across tasks.

The site is built in a temp folder next to ``OUT`` and renamed onto it whole.
"""

import html
import json
import math
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd

from hear_assets.lib.evaluation.metrics import higher_is_better
from hear_assets.lib.report import leaderboard, results
from hear_assets.lib.report.plots import svg_curves
from hear_assets.lib.store.files import read_json
from hear_assets.lib.store.layout import Layout
from hear_assets.lib.tasks.folds import fold_plan, prediction_file
from hear_assets.lib.tasks.taskfiles import read_split_json, read_vocabulary

MAX_CONFUSION_LABELS = 30
CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222}
a{color:#2458a6}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:center}
th.sort{cursor:pointer;background:#f3f5f8}th.sort:after{content:" \\2195";color:#999}
td.best{background:#e6f4e6;font-weight:bold}small{color:#666}
nav{margin-bottom:1em}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}
dt{font-weight:bold}.cm td{min-width:1.6em;padding:2px 4px;font-size:11px}
.cm th{font-size:11px;padding:2px 4px}
"""
SORT_JS = """
document.querySelectorAll("table.sortable").forEach(t => {
  t.querySelectorAll("th.sort").forEach((th, i) => th.addEventListener("click", () => {
    const rows = [...t.tBodies[0].rows];
    const key = r => { const c = r.cells[i]; const v = c.dataset.v;
      return v === undefined ? c.textContent : (v === "" ? -Infinity : parseFloat(v)); };
    const dir = th.dataset.dir === "desc" ? 1 : -1; th.dataset.dir = dir > 0 ? "asc" : "desc";
    rows.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * dir);
    rows.forEach(r => t.tBodies[0].appendChild(r));
  }));
});
"""


def _fmt(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "–"
    return "–" if math.isnan(v) else f"{v:.3f}"


def _href(kind: str, name: str, up: bool) -> str:
    return f"{'../' if up else ''}{kind}/{quote(name, safe='')}.html"


def _page(title: str, body: str, up: bool) -> str:
    nav = f'<nav><a href="{"../" if up else ""}index.html">leaderboard</a></nav>'
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n<body>{nav}"
        f"<h1>{html.escape(title)}</h1>\n{body}\n<script>{SORT_JS}</script></body></html>\n"
    )


def _img(src: str, alt: str) -> str:
    return f'<p><img src="{html.escape(src)}" alt="{html.escape(alt)}"></p>'


def best_per_task(long: pd.DataFrame) -> dict[str, set[str]]:
    """The best models of each task by its primary metric (lowest for error rates; every
    model tied at the best)."""
    out = {}
    for task, grp in long.dropna(subset=["primary"]).groupby("task"):
        metric = str(grp["metric"].iloc[0])
        top = grp["primary"].max() if higher_is_better(metric) else grp["primary"].min()
        out[str(task)] = {str(m) for m in grp.loc[grp["primary"] == top, "model"]}
    return out


def confusion(layout: Layout, model: str, task: str) -> tuple[list[str], np.ndarray] | None:
    """The test confusion matrix (rows: true label, columns: predicted; summed over test
    folds) of a multiclass scene pair scored here, or None."""
    task_dir = layout.task_dir(task)
    pred_dir = layout.predictions_dir(model, task)
    try:
        meta = read_json(task_dir / "task_metadata.json")
    except (OSError, ValueError):
        return None
    if meta.get("task_type") != "scene" or meta.get("prediction_type") == "multilabel":
        return None
    vocab = read_vocabulary(task_dir)
    index = {label: i for i, label in enumerate(vocab)}
    matrix = np.zeros((len(vocab), len(vocab)), dtype=np.int64)
    for test, _, _ in fold_plan(meta):
        path = pred_dir / prediction_file(test)
        if not path.exists():
            return None
        pred = pd.read_csv(path)
        labels = read_split_json(task_dir, test)
        guess = pred[vocab].to_numpy().argmax(axis=1)
        for name, g in zip(pred["filename"], guess, strict=True):
            truth = labels.get(name)
            if truth:
                matrix[index[str(truth[0])], g] += 1
    return vocab, matrix


def confusion_html(vocab: list[str], matrix: np.ndarray) -> str:
    """A heat-map table: counts, shaded by the share of the true label's clips."""
    keep = np.argsort(-matrix.sum(axis=1), kind="stable")[:MAX_CONFUSION_LABELS]
    keep = np.sort(keep)
    sub = matrix[np.ix_(keep, keep)]
    share = sub / np.maximum(sub.sum(axis=1, keepdims=True), 1)
    head = "".join(f"<th>{html.escape(vocab[j])}</th>" for j in keep)
    rows = []
    for r, i in enumerate(keep):
        cells = "".join(
            f'<td style="background:rgba(36,88,166,{share[r, c]:.2f});'
            f'color:{"#fff" if share[r, c] > 0.5 else "#222"}">{sub[r, c] or ""}</td>'
            for c in range(len(keep))
        )
        rows.append(f"<tr><th>{html.escape(vocab[i])}</th>{cells}</tr>")
    note = (
        f"<p><small>the {MAX_CONFUSION_LABELS} most frequent of {len(vocab)} labels</small></p>"
        if len(vocab) > MAX_CONFUSION_LABELS
        else ""
    )
    return (
        f'{note}<table class="cm"><tr><th>true \\ predicted</th>{head}</tr>{"".join(rows)}</table>'
    )


def _task_facts(layout: Layout, task: str) -> str:
    task_dir = layout.task_dir(task)
    try:
        meta = read_json(task_dir / "task_metadata.json")
    except (OSError, ValueError):
        return "<p>(the task is not built in this HEAR_HOME: its results were imported)</p>"
    clips = {s: len(read_split_json(task_dir, s)) for s in meta["splits"]}
    labels = len(read_vocabulary(task_dir)) if (task_dir / "labelvocabulary.csv").exists() else 0
    facts = {
        "type": f"{meta.get('task_type')}, {meta.get('prediction_type')}",
        "metrics (primary first)": ", ".join(meta.get("evaluation", [])),
        "splits": f"{meta.get('split_mode')}: "
        + ", ".join(f"{s} {n} clips" for s, n in clips.items()),
        "clip length": "variable"
        if meta.get("sample_duration") is None
        else f"{meta['sample_duration']} s",
        "labels": str(labels),
        "source": str(meta.get("source", "")),
    }
    return "<dl>" + "".join(
        f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in facts.items()
    ) + "</dl>"  # fmt: skip


def _scores_table(rows: pd.DataFrame, key: str, kind: str, best: dict[str, set[str]]) -> str:
    """One row per model (``key`` = "model") or per task (``key`` = "task")."""
    body = []
    for r in rows.sort_values("primary", ascending=False).itertuples():
        name = str(getattr(r, key))
        is_best = str(r.model) in best.get(str(r.task), set())
        mark = " ★" if is_best else ""
        imported = " <small>imported</small>" if bool(getattr(r, "imported", False)) else ""
        body.append(
            f'<tr><th><a href="{_href(kind, name, True)}">{html.escape(name)}</a></th>'
            f'<td class="{"best" if is_best else ""}" data-v="{r.primary}">'
            f"{_fmt(r.primary)}{mark}{imported}</td>"
            f'<td data-v="{r.ci_lo}">[{_fmt(r.ci_lo)}, {_fmt(r.ci_hi)}]</td>'
            f"<td>{html.escape(str(r.metric))}</td></tr>"
        )
    return (
        f'<table class="sortable"><thead><tr><th class="sort">{key}</th>'
        '<th class="sort">score</th><th class="sort">95 % interval</th><th>metric</th></tr>'
        f"</thead><tbody>{''.join(body)}</tbody></table>"
    )


def index_page(long: pd.DataFrame, best: dict[str, set[str]]) -> str:
    tasks = sorted(long["task"].unique())
    head = "".join(
        f'<th class="sort"><a href="{_href("tasks", t, False)}">{html.escape(t)}</a></th>'
        for t in tasks
    )
    body = []
    for model, rows in leaderboard._model_rows(long, tasks):
        cells = []
        for t, r in zip(tasks, rows, strict=True):
            if r is None:
                cells.append('<td data-v="">–</td>')
                continue
            is_best = str(model) in best.get(t, set())
            imported = "<br><i>imported</i>" if bool(r.get("imported", False)) else ""
            cells.append(
                f'<td class="{"best" if is_best else ""}" data-v="{r.primary}">'
                f"{_fmt(r.primary)}{' ★' if is_best else ''}<br><small>[{_fmt(r.ci_lo)}, "
                f"{_fmt(r.ci_hi)}]{imported}</small></td>"
            )
        name = str(model)
        body.append(
            f'<tr><th><a href="{_href("models", name, False)}">{html.escape(name)}</a></th>'
            f"{''.join(cells)}</tr>"
        )
    metrics = long.groupby("task")["metric"].first()
    legend = ", ".join(f"{t}: {m}" for t, m in metrics.items())
    return (
        f"<p>{len(long['model'].unique())} models × {len(tasks)} tasks. Each cell: the primary "
        "score (mean over probe seeds and folds) and its 95 % bootstrap interval; ★ the best "
        "of the task. Click a column header to sort.</p>"
        f'<table class="sortable"><thead><tr><th class="sort">model</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table><p><small>metrics: {html.escape(legend)}"
        "</small></p><h2>Scores with 95 % intervals</h2>"
        + _img("img/leaderboard.svg", "every score with its 95 % interval")
    )


def build_site(layout: Layout, out: Path) -> list[Path]:
    """Write the site into ``out`` (replacing what is there); return the pages written."""
    long = results.collect(layout)
    if long.empty:
        from hear_assets.lib.store.errors import TaskDataError

        raise TaskDataError("no scores to publish in this HEAR_HOME (run first)")
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        pages = _write(layout, long, tmp)
        old = out.with_name(f".{out.name}.old")
        if out.exists():
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return [out / p.relative_to(tmp) for p in pages]


def _write(layout: Layout, long: pd.DataFrame, root: Path) -> list[Path]:
    best = best_per_task(long)
    img = root / "img"
    for sub in ("img", "tasks", "models"):
        (root / sub).mkdir()
    pages: list[Path] = []

    def page(path: Path, title: str, body: str, up: bool) -> None:
        path.write_text(_page(title, body, up), encoding="utf-8")
        pages.append(path)

    (img / "leaderboard.svg").write_text(leaderboard.svg_plot(long), encoding="utf-8")
    page(root / "index.html", "hear-dagster leaderboard", index_page(long, best), False)
    curves = leaderboard.layer_curves(long)
    few = leaderboard._few_shot_rows(long)
    for task, rows in long.groupby("task", sort=True):
        task = str(task)
        safe = quote(task, safe="")
        (img / f"task-{task}.svg").write_text(leaderboard.svg_plot(rows, left=200), "utf-8")
        body = [
            _task_facts(layout, task),
            "<h2>Scores</h2>",
            _scores_table(rows, "model", "models", best),
            _img(f"../img/task-{safe}.svg", f"{task}: scores with 95 % intervals"),
        ]
        for c in (c for c in curves if c["task"] == task):
            name = f"layers-{c['model']}-{task}.svg"
            pts = [(str(r["layer"]), r["primary"], *r["ci"]) for r in c["layers"]]
            series = {c["model"] + " layers": pts}
            if c["weighted"]:
                weighted = c["weighted"][0]
                series["weighted sum"] = [
                    (str(r["layer"]), weighted, None, None) for r in c["layers"]
                ]
            (img / name).write_text(svg_curves(series, f"{c['model']}: score by layer"), "utf-8")
            body += [
                f"<h2>Layers of {html.escape(c['model'])}</h2>",
                _img(f"../img/{quote(name, safe='')}", f"{c['model']} on {task}, by layer"),
                layer_table(c),
            ]
        if task in few:
            series = {
                m: [(str(k), v["mean"], v["mean"] - v["std"], v["mean"] + v["std"])
                    for k, v in curve.items()]
                for m, curve in few[task].items()
            }  # fmt: skip
            (img / f"fewshot-{task}.svg").write_text(
                svg_curves(series, "few-shot: test score by clips per class (± std)"), "utf-8"
            )
            body += [
                "<h2>Few-shot curves</h2>",
                _img(f"../img/fewshot-{safe}.svg", f"{task}: few-shot curves"),
            ]
        matrices = [
            (m, cm)
            for m in sorted(rows["model"])
            if not bool(rows.loc[rows["model"] == m, "imported"].iloc[0])
            and (cm := confusion(layout, str(m), task)) is not None
        ]
        if matrices:
            body.append("<h2>Confusion matrices (test)</h2>")
            for m, (vocab, matrix) in matrices:
                is_open = " open" if str(m) in best.get(task, set()) else ""
                body.append(
                    f"<details{is_open}><summary>{html.escape(str(m))}</summary>"
                    f"{confusion_html(vocab, matrix)}</details>"
                )
        page(root / "tasks" / f"{task}.html", f"Task {task}", "\n".join(body), True)
    cards = leaderboard.cards(long)
    for model, rows in long.groupby("model", sort=True):
        model = str(model)
        (img / f"model-{model}.svg").write_text(leaderboard.svg_plot(rows, left=200), "utf-8")
        card = cards.get(model, {})
        facts = "".join(
            f"<dt>{html.escape(k)}</dt><dd>{html.escape(_value(v))}</dd>" for k, v in card.items()
        )
        body = [
            "<h2>Model card</h2>",
            f"<dl>{facts}</dl>" if facts else "<p>(no card recorded)</p>",
            "<h2>Scores across tasks</h2>",
            _scores_table(rows, "task", "tasks", best),
            _img(f"../img/model-{quote(model, safe='')}.svg", f"{model}: scores across tasks"),
        ]
        page(root / "models" / f"{model}.html", f"Model {model}", "\n".join(body), True)
    return pages


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict | list):
        return json.dumps(v)
    return "–" if v is None else str(v)


def layer_table(curve: dict) -> str:
    """A layer curve as a table: each layer's score, interval and learned weight."""
    rows = []
    for r in curve["layers"]:
        weight = "–" if r["weight"] is None else f"{r['weight']:.3f}"
        rows.append(
            f"<tr><td>{r['layer']}</td><td>{_fmt(r['primary'])}</td>"
            f"<td>[{_fmt(r['ci'][0])}, {_fmt(r['ci'][1])}]</td><td>{weight}</td></tr>"
        )
    return (
        "<table><tr><th>layer</th><th>score</th><th>95 % interval</th><th>learned weight</th>"
        f"</tr>{''.join(rows)}</table>"
    )
