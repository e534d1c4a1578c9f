"""Score history: what every ``scores`` materialization scored, kept for ever.

``HEAR_HOME/history/`` holds one csv per materialization (``<UTC time>-<run id>.csv``, one row
per scored pair), written to a temp name and renamed: a file is there whole or not at all, and
nothing is ever rewritten (append-only by construction; a ``kill -9`` leaves at most an
ignored ``.tmp``). Each row carries what identifies the score's inputs: the task digest, the
model's identity digest (module, parameters, weight files), its weights digest, the probe
setting, and the code version (package version, git commit and the stages' code versions).

``compare`` sets two snapshots side by side: new and retired tasks and models, and every pair
whose score left its previous 95 % interval, with the cause: ``inputs changed`` (expected),
``code changed`` (a code regression, or a fix) or ``nothing changed`` (non-determinism).
"""

import datetime as dt
import itertools
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from hear_assets.lib.store.files import atomic_path
from hear_assets.lib.store.layout import Layout, pair_label
from hear_assets.lib.store.manifest import read_manifest

COLUMNS = [
    "created",
    "run_id",
    "trigger",
    "model",
    "task",
    "metric",
    "primary",
    "ci_lo",
    "ci_hi",
    "code_version",
    "weights_sha256",
    "model_sha256",
    "task_sha256",
    "probe",
]
INPUTS = ("task_sha256", "model_sha256", "probe")  # what a pair's score is a function of
FLAGGED = ("code changed", "nothing changed")
log = logging.getLogger(__name__)


def history_dir(layout: Layout) -> Path:
    return layout.root / "history"


def code_version(scores: dict[str, Any], layout: Layout) -> str:
    """``<package>+<commit>`` and the code versions of the pair's embeddings and predictions
    stages and of the scoring (what a code change would show in)."""
    from hear_assets.lib.report.build import VERSION

    prov = scores.get("provenance", {})
    emb = read_manifest(layout.root, "embeddings", scores["task"], scores["model"])
    pred = read_manifest(layout.root, "predictions", scores["task"], scores["model"])
    stages = f"e{emb.code_version if emb else '-'} p{pred.code_version if pred else '-'} s{VERSION}"
    return f"{prov.get('package_version', '?')}+{(prov.get('git_sha') or 'nogit')[:12]} {stages}"


def rows_of(
    layout: Layout, scores: list[dict[str, Any]], run_id: str, trigger: str, created: str
) -> pd.DataFrame:
    """One history row per scored pair of one materialization."""
    rows = []
    for s in scores:
        emb = read_manifest(layout.root, "embeddings", s["task"], s["model"])
        pred = read_manifest(layout.root, "predictions", s["task"], s["model"])
        prov = s.get("provenance", {})
        lo, hi = s.get("ci95") or (None, None)
        rows.append(
            {
                "created": created,
                "run_id": run_id,
                "trigger": trigger,
                "model": s["model"],
                "task": s["task"],
                "metric": s["primary_metric"],
                "primary": s["primary"],
                "ci_lo": lo,
                "ci_hi": hi,
                "code_version": code_version(s, layout),
                "weights_sha256": prov.get("model_weights_sha256", ""),
                "model_sha256": (emb.inputs.get("model", "") if emb else ""),
                "task_sha256": prov.get("task_sha256", ""),
                "probe": (pred.inputs.get("probe", "") if pred else ""),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def append(layout: Layout, rows: pd.DataFrame) -> Path | None:
    """Add one materialization's rows as a new file (nothing when there are none)."""
    if rows.empty:
        return None
    created = str(rows["created"].iloc[0])
    stamp = created.replace("-", "").replace(":", "").replace("+00:00", "Z").replace("+0000", "Z")
    run = str(rows["run_id"].iloc[0] or "norun")[:8]
    path = history_dir(layout) / f"{stamp}-{run}.csv"
    n = 1
    while path.exists():  # two materializations in one second of one run id
        path = history_dir(layout) / f"{stamp}-{run}-{n}.csv"
        n += 1
    with atomic_path(path) as tmp:
        rows.to_csv(tmp, index=False, float_format="%.10g")
    return path


def record(
    layout: Layout, scores: list[dict[str, Any]], run_id: str = "", trigger: str = ""
) -> pd.DataFrame:
    """Append this materialization's scores to the history; return its rows."""
    # Milliseconds: two materializations in one second (a run's scores, then the nightly one)
    # must still sort in the order they happened.
    created = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    rows = rows_of(layout, scores, run_id, trigger, created)
    append(layout, rows)
    return rows


def read(layout: Layout, task: str | None = None, model: str | None = None) -> pd.DataFrame:
    """Every recorded row, oldest first (files sorted by name: their UTC time)."""
    folder = history_dir(layout)
    files = sorted(folder.glob("*.csv")) if folder.exists() else []
    text_columns = {c: str for c in COLUMNS if c not in ("primary", "ci_lo", "ci_hi")}
    frames = []
    for f in files:
        try:
            frame = pd.read_csv(f, dtype=text_columns)
        except (OSError, ValueError) as exc:  # a hand-edited or foreign file: skipped, named
            log.warning("history: %s skipped: %s", f.name, exc)
            continue
        if not frame.empty and set(COLUMNS) <= set(frame.columns):
            frames.append(frame[COLUMNS])
        elif not frame.empty:
            log.warning("history: %s skipped: not a history file (columns)", f.name)
    hist = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    hist = hist.fillna({c: "" for c in ("run_id", "trigger", "weights_sha256", "probe")})
    if task:
        hist = hist[hist["task"] == task]
    if model:
        hist = hist[hist["model"] == model]
    return hist.reset_index(drop=True)


def snapshots(hist: pd.DataFrame) -> list[pd.DataFrame]:
    """The history split into its materializations, oldest first."""
    if hist.empty:
        return []
    keys = list(dict.fromkeys(zip(hist["created"], hist["run_id"], strict=True)))
    return [
        hist[(hist["created"] == c) & (hist["run_id"] == r)].reset_index(drop=True) for c, r in keys
    ]


@dataclass
class Moved:
    """A pair whose score left its previous 95 % interval."""

    pair: str
    metric: str
    before: float
    after: float
    interval: tuple[float, float]
    cause: str  # "inputs changed", "code changed" or "nothing changed"
    changed: list[str] = field(default_factory=list)  # which inputs, for "inputs changed"

    def line(self) -> str:
        what = f" ({', '.join(self.changed)})" if self.changed else ""
        return (
            f"{self.pair}: {self.metric} {self.before:.4f} -> {self.after:.4f} "
            f"(previous 95 % interval [{self.interval[0]:.4f}, {self.interval[1]:.4f}]); "
            f"{self.cause}{what}"
        )


@dataclass
class Changes:
    """What changed between two materializations."""

    new_tasks: list[str] = field(default_factory=list)
    new_models: list[str] = field(default_factory=list)
    gone_tasks: list[str] = field(default_factory=list)
    gone_models: list[str] = field(default_factory=list)
    new_pairs: list[str] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)
    since: str = ""

    @property
    def flagged(self) -> list[Moved]:
        """Moves nothing but the code (or nothing at all) explains."""
        return [m for m in self.moved if m.cause in FLAGGED]

    def lines(self) -> list[str]:
        if not self.since:
            return ["first recorded scores: nothing to compare with"]
        out = [f"since {self.since}:"]
        for label, names in (
            ("new tasks", self.new_tasks),
            ("new models", self.new_models),
            ("retired tasks", self.gone_tasks),
            ("retired models", self.gone_models),
        ):
            if names:
                out.append(f"{label}: {', '.join(names)}")
        out += [f"moved: {m.line()}" for m in self.moved]
        if len(out) == 1:
            out.append("no new tasks or models, and no score left its previous interval")
        return out

    def markdown(self) -> str:
        return "\n".join(f"- {line}" for line in self.lines())


def compare(before: pd.DataFrame, after: pd.DataFrame) -> Changes:
    """``after``'s snapshot against ``before``'s (either may be empty)."""
    if before.empty:
        return Changes()
    changes = Changes(since=f"{before['created'].iloc[0]} (run {before['run_id'].iloc[0][:8]})")
    tb, ta = set(before["task"]), set(after["task"])
    mb, ma = set(before["model"]), set(after["model"])
    changes.new_tasks, changes.gone_tasks = sorted(ta - tb), sorted(tb - ta)
    changes.new_models, changes.gone_models = sorted(ma - mb), sorted(mb - ma)
    old = {(r.model, r.task): r for r in before.itertuples()}
    for r in after.itertuples():
        prev = old.get((r.model, r.task))
        if prev is None:
            changes.new_pairs.append(pair_label(r.model, r.task))
            continue
        moved = _outside(r.primary, prev.ci_lo, prev.ci_hi, prev.primary)
        if not moved:
            continue
        changed = [k for k in INPUTS if str(getattr(r, k)) != str(getattr(prev, k))]
        if changed:
            cause = "inputs changed"
        elif str(r.code_version) != str(prev.code_version):
            cause = "code changed"
        else:
            cause = "nothing changed"
        changes.moved.append(
            Moved(
                pair_label(r.model, r.task),
                r.metric,
                float(prev.primary),
                float(r.primary),
                (float(prev.ci_lo), float(prev.ci_hi)),
                cause,
                [c.replace("_sha256", "") for c in changed],
            )
        )
    return changes


def _outside(value: float, lo: float, hi: float, previous: float) -> bool:
    """Whether ``value`` lies outside ``[lo, hi]`` (a NaN that was a number, or the reverse,
    counts as outside; without an interval, any difference does)."""
    nan_now, nan_before = _nan(value), _nan(previous)
    if nan_now or nan_before:
        return nan_now != nan_before
    if _nan(lo) or _nan(hi):
        return float(value) != float(previous)
    return not (float(lo) - 1e-12 <= float(value) <= float(hi) + 1e-12)


def _nan(x: Any) -> bool:
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def latest_changes(hist: pd.DataFrame, trigger: str = "") -> Changes:
    """The last snapshot against the one before it; for a ``nightly`` snapshot, against the
    previous nightly one (what changed since the previous night)."""
    snaps = snapshots(hist)
    if not snaps:
        return Changes()
    last = snaps[-1]
    earlier = snaps[:-1]
    if trigger == "nightly":
        earlier = [s for s in earlier if (s["trigger"] == "nightly").all()] or earlier
    return compare(earlier[-1] if earlier else pd.DataFrame(columns=COLUMNS), last)


# -- the plot: each model's primary score per materialization, one panel per task ----------


def svg_task(hist: pd.DataFrame, task: str) -> str:
    """An SVG line plot of ``task``'s scores over the materializations (x: their order, the
    first and last dated), one line per model, 95 % intervals as bars."""
    from hear_assets.lib.report.plots import svg_curves

    rows = hist[hist["task"] == task]
    if rows.empty:
        return ""
    series = {
        str(model): [
            (str(r.created)[:19], float(r.primary), float(r.ci_lo), float(r.ci_hi))
            for r in mrows.itertuples()
        ]
        for model, mrows in rows.groupby("model", sort=True)
    }
    metric = str(rows["metric"].iloc[-1])
    return svg_curves(series, f"{task} ({metric})", width=460, height=180, ends_only=True)


def plot_markdown(hist: pd.DataFrame) -> str:
    """Every task's history plot as inline SVG images (the UI renders ``data:`` URIs)."""
    from hear_assets.lib.report.figures import data_uri

    if hist.empty:
        return "_no history yet_"
    images = []
    for task in sorted(hist["task"].unique()):
        svg = svg_task(hist, task)
        images.append(f"![{task}: score over time]({data_uri(svg.encode(), 'image/svg+xml')})")
    return "\n\n".join(images)


def table(hist: pd.DataFrame) -> str:
    """The history as a plain table (``hear-assets history``), with each row's cause where
    its score left the previous interval of the same pair."""
    if hist.empty:
        return "no scores recorded yet (the scores asset records each materialization)"
    flags: dict[tuple[str, str, str], str] = {}
    snaps = snapshots(hist)
    for before, after in itertools.pairwise(snaps):
        for m in compare(before, after).moved:
            model, task = m.pair.split("|", 1)
            flags[(str(after["created"].iloc[0]), model, task)] = m.cause
    out = pd.DataFrame(
        {
            "created": hist["created"].str[:19],
            "run": hist["run_id"].str[:8],
            "model": hist["model"],
            "task": hist["task"],
            "metric": hist["metric"],
            "score": hist["primary"].map(lambda v: f"{float(v):.4f}"),
            "ci95": [
                f"[{float(a):.3f}, {float(b):.3f}]"
                for a, b in zip(hist["ci_lo"], hist["ci_hi"], strict=True)
            ],
            "code": hist["code_version"],
            "weights": hist["weights_sha256"].str[:10],
            "task_sha": hist["task_sha256"].str[:10],
            "moved": [
                flags.get((c, m, t), "")
                for c, m, t in zip(hist["created"], hist["model"], hist["task"], strict=True)
            ],
        }
    )  # fmt: skip
    return out.to_string(index=False)
