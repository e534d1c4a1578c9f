"""The static site's pages from a leaderboard: best per task, layer curves, imported rows."""

from pathlib import Path

import pandas as pd

from hear_assets.lib.report import site
from hear_assets.lib.store.layout import Layout


def long_rows() -> pd.DataFrame:
    rows = []
    for model, primary, weights in (
        ("w2v", 0.9, {"fold00": {"0": 0.25, "1": 0.75}}),
        ("w2v@0", 0.6, None),
        ("w2v@1", 0.8, None),
        ("naive", 0.7, None),
    ):
        rows.append(
            {"model": model, "task": "words", "metric": "top1_acc", "primary": primary,
             "ci_lo": primary - 0.1, "ci_hi": primary + 0.05, "layer_weights": weights,
             "card": None, "candidates": {}, "few_shot": None, "imported": True}
        )  # fmt: skip
    for model, er in (("w2v", 0.3), ("naive", 0.2)):  # an error rate: lower is better
        rows.append({"model": model, "task": "events", "metric": "segment_1s_er", "primary": er,
                     "ci_lo": er - 0.1, "ci_hi": er + 0.1, "layer_weights": None, "card": None,
                     "candidates": {}, "few_shot": None, "imported": True})  # fmt: skip
    return pd.DataFrame(rows)


def test_pages_mark_the_best_and_draw_layer_curves(tmp_path: Path) -> None:
    long = long_rows()
    assert site.best_per_task(long) == {"words": {"w2v"}, "events": {"naive"}}
    tied = long.assign(primary=[0.9, 0.6, 0.8, 0.9, 0.3, 0.2])
    assert site.best_per_task(tied)["words"] == {"w2v", "naive"}
    (tmp_path / "out").mkdir()
    pages = site._write(Layout(tmp_path / "home"), long, tmp_path / "out")
    names = sorted(str(p.relative_to(tmp_path / "out")) for p in pages)
    assert names == [
        "index.html", "models/naive.html", "models/w2v.html", "models/w2v@0.html",
        "models/w2v@1.html", "tasks/events.html", "tasks/words.html",
    ]  # fmt: skip
    words = (tmp_path / "out" / "tasks" / "words.html").read_text()
    assert "Layers of w2v" in words and "<td>0.750</td>" in words  # layer 1 weight
    assert 'src="../img/layers-w2v-words.svg"' in words and "imported" in words
    svg = (tmp_path / "out" / "img" / "layers-w2v-words.svg").read_text()
    assert svg.count("<circle") == 4 and "weighted sum" in svg  # 2 layers + 2 flat points
    assert "not built in this HEAR_HOME" in words  # imported: no task folder here
    index = (tmp_path / "out" / "index.html").read_text()
    assert index.count('class="best"') == 2 and 'href="models/w2v%400.html"' in index
    events = (tmp_path / "out" / "tasks" / "events.html").read_text()
    best_row = events.split('class="best"')[1]
    assert best_row.startswith(' data-v="0.2"')  # naive's error rate is the best
