"""Score history: append-only files, snapshots compared, the cause of every move."""

from pathlib import Path

import pandas as pd

from hear_assets.lib.report import history
from hear_assets.lib.store.layout import Layout


def row(model: str, task: str, primary: float, **kw) -> dict:
    base = {
        "created": "2026-12-01T02:10:00+00:00",
        "run_id": "aaaaaaaa-1",
        "trigger": "nightly",
        "model": model,
        "task": task,
        "metric": "top1_acc",
        "primary": primary,
        "ci_lo": primary - 0.05,
        "ci_hi": primary + 0.05,
        "code_version": "0.1.0+abc e1 p1 s2",
        "weights_sha256": "w1",
        "model_sha256": "m1",
        "task_sha256": "t1",
        "probe": "auto+seeds3",
    }
    return {**base, **kw}


def snap(*rows: dict, created: str = "", run: str = "") -> pd.DataFrame:
    df = pd.DataFrame(list(rows), columns=history.COLUMNS)
    if created:
        df["created"] = created
    if run:
        df["run_id"] = run
    return df


def test_every_move_outside_the_previous_interval_is_named_with_its_cause() -> None:
    before = snap(row("a", "t", 0.80), row("b", "t", 0.70), row("c", "t", 0.60), row("d", "t", 0.5))
    after = snap(
        row("a", "t", 0.84),  # inside [0.75, 0.85]: not a move
        row("b", "t", 0.60, code_version="0.2.0+def e1 p2 s2"),  # only the code changed
        row("c", "t", 0.40),  # nothing changed: non-determinism
        row("d", "t", 0.90, model_sha256="m2", weights_sha256="w2"),  # the model changed
        row("e", "t", 0.30),  # a new model
        row("a", "u", 0.50),  # a new task
        created="2026-12-02T02:10:00+00:00",
        run="bbbbbbbb-2",
    )
    changes = history.compare(before, after)
    assert changes.new_models == ["e"] and changes.new_tasks == ["u"]
    causes = {m.pair: m.cause for m in changes.moved}
    assert causes == {
        "b|t": "code changed",
        "c|t": "nothing changed",
        "d|t": "inputs changed",
    }
    assert [m.pair for m in changes.flagged] == ["b|t", "c|t"]
    line = next(m for m in changes.moved if m.pair == "c|t").line()
    assert "0.6000 -> 0.4000" in line and "[0.5500, 0.6500]" in line
    assert "inputs changed (model, weights)" not in line
    d = next(m for m in changes.moved if m.pair == "d|t")
    assert d.changed == ["model"]
    text = "\n".join(changes.lines())
    assert "new models: e" in text and "new tasks: u" in text and "since 2026-12-01" in text
    assert history.compare(pd.DataFrame(columns=history.COLUMNS), after).lines() == [
        "first recorded scores: nothing to compare with"
    ]
    # NaN where there was a number is a move; NaN again is not.
    nan_before = snap(row("a", "t", float("nan")))
    assert history.compare(nan_before, snap(row("a", "t", 0.5), run="x")).moved
    assert not history.compare(nan_before, snap(row("a", "t", float("nan")), run="x")).moved


def test_history_files_are_append_only_and_a_partial_write_is_ignored(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    first = snap(row("a", "t", 0.8), row("b", "t", 0.7))
    second = snap(row("a", "t", 0.6), row("b", "t", 0.7), created="2026-12-02T02:10:00+00:00",
                  run="bbbbbbbb-2")  # fmt: skip
    p1 = history.append(layout, first)
    p2 = history.append(layout, second)
    assert p1 is not None and p2 is not None and p1 != p2
    content = p1.read_bytes()
    # A write killed before its rename leaves a temp file: never read.
    (tmp_path / "history" / ".hear-tmp.123.x.csv.abc").write_text("model,task\nbroken")
    (tmp_path / "history" / "zz-foreign.csv").write_text("a,b\n1,2\n")  # not ours: skipped
    hist = history.read(layout)
    assert len(hist) == 4 and p1.read_bytes() == content
    assert [len(s) for s in history.snapshots(hist)] == [2, 2]
    assert list(history.read(layout, model="a")["primary"]) == [0.8, 0.6]
    changes = history.latest_changes(hist, "nightly")
    assert [m.pair for m in changes.flagged] == ["a|t"]
    table = history.table(hist)
    assert "nothing changed" in table and "0.6000" in table
    # A manual run between two nightly ones: the nightly summary compares nightly with nightly.
    manual = snap(
        row("a", "t", 0.1),
        created="2026-12-02T09:00:00+00:00",
        run="cccccccc",
    )
    manual["trigger"] = "manual"
    history.append(layout, manual)
    third = snap(row("a", "t", 0.6), created="2026-12-03T02:10:00+00:00", run="dddddddd")
    history.append(layout, third)
    nightly = history.latest_changes(history.read(layout), "nightly")
    assert nightly.since.startswith("2026-12-02T02:10") and not nightly.moved


def test_the_history_plot_has_a_line_per_model_and_an_interval_per_point() -> None:
    hist = pd.concat(
        [
            snap(row("a", "t", 0.8), row("b", "t", 0.7)),
            snap(row("a", "t", 0.6), row("b", "t", 0.7), created="2026-12-02T02:10:00+00:00"),
        ],
        ignore_index=True,
    )
    svg = history.svg_task(hist, "t")
    assert svg.startswith("<svg") and svg.count("<polyline") == 2 and svg.count("<circle") == 4
    assert ">a</text>" in svg and ">b</text>" in svg and "2026-12-02T02:10" in svg
    md = history.plot_markdown(hist)
    assert md.startswith("![t: score over time](data:image/svg+xml;base64,")
    assert history.plot_markdown(pd.DataFrame(columns=history.COLUMNS)) == "_no history yet_"
