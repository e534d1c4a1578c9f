"""The static site: built from a HEAR_HOME, opened from a file path in headless Chromium."""

import os
import shutil
from pathlib import Path

import pytest

from tests.helpers import BIN, MINI_TONES, PROJECT, env_for, register_tasks, run
from tests.smoke.cdp import browser

pytestmark = pytest.mark.smoke
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = PROJECT / "test-artifacts"

IMAGES_DRAWN = """(() => { const imgs = [...document.images];
  return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0)
    ? imgs.map(i => i.getAttribute("src")) : null; })()"""
FIRST_COLUMN = "[...document.querySelectorAll('table.sortable tbody tr th')].map(t => t.innerText)"


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium not installed (.ci/run installs it)",
)
def test_the_site_renders_from_a_file_path(tmp_path: Path) -> None:
    assert CHROMIUM is not None, "chromium missing: .ci/run installs it with apt-get"
    hear, dag = tmp_path / "data", tmp_path / "dh"
    hear.mkdir()
    dag.mkdir()
    register_tasks(hear, MINI_TONES)
    env = env_for(hear, dag, HEAR_PROBE="logreg", HEAR_PROBE_SEEDS="1")
    built = run(
        [str(BIN / "hear-assets"), "run", "--tasks", "mini_tones", "--models",
         "naive_torch,crepe_tiny", "--shots", "1,all"],
        env,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    site = tmp_path / "site"
    out = run([str(BIN / "hear-assets"), "site", str(site)], env)
    assert out.returncode == 0 and "wrote 4 pages" in out.stdout, out.stdout + out.stderr
    # Self-contained: nothing is fetched from a server or a CDN.
    for page in site.rglob("*.html"):
        text = page.read_text()
        assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "https://" not in text
    ARTIFACTS.mkdir(exist_ok=True)
    with browser(CHROMIUM, tmp_path / "profile") as tab:
        tab.open((site / "index.html").as_uri())
        assert tab.wait_for(IMAGES_DRAWN) == ["img/leaderboard.svg"]
        assert tab.eval("document.title") == "hear-dagster leaderboard"
        assert tab.eval(FIRST_COLUMN) == ["crepe_tiny", "naive_torch"]
        best = tab.eval("[...document.querySelectorAll('td.best')].map(t => t.innerText)")
        assert best and all("★" in b for b in best)  # the best (all tied at the best)
        tab.screenshot(ARTIFACTS / "site-index.png")
        # A click on a header sorts by it (descending first), a second click reverses.
        tab.eval("document.querySelectorAll('th.sort')[0].click()")
        assert tab.eval(FIRST_COLUMN) == ["naive_torch", "crepe_tiny"]
        tab.eval("document.querySelectorAll('th.sort')[0].click()")
        assert tab.eval(FIRST_COLUMN) == ["crepe_tiny", "naive_torch"]
        tab.eval("document.querySelectorAll('th.sort')[1].click()")  # the task: best first
        first = "document.querySelector('table.sortable tbody tr td').className"
        assert tab.eval(first) == "best"

        tab.open((site / "tasks" / "mini_tones.html").as_uri())
        drawn = tab.wait_for(IMAGES_DRAWN)
        assert drawn == ["../img/task-mini_tones.svg", "../img/fewshot-mini_tones.svg"]
        text = tab.eval("document.body.innerText")
        for words in ("scene, multiclass", "pitch_acc", "Few-shot curves", "Confusion matrices"):
            assert words in text
        cells = tab.eval("document.querySelector('details[open] table.cm').rows[1].cells.length")
        assert cells == 1 + 12  # the true label, then mini_tones' 12 pitches
        assert tab.eval("document.querySelectorAll('details table.cm').length") == 2
        tab.screenshot(ARTIFACTS / "site-task.png")

        tab.open((site / "models" / "crepe_tiny.html").as_uri())
        assert tab.wait_for(IMAGES_DRAWN) == ["../img/model-crepe_tiny.svg"]
        text = tab.eval("document.body.innerText")
        assert "Model card" in text and "MIT" in text and "clips_per_second" in text
        link = tab.eval("document.querySelector('a[href$=\"mini_tones.html\"]').href")
        assert link == (site / "tasks" / "mini_tones.html").as_uri()  # the link resolves
