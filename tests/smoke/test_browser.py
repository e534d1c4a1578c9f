"""The UI in a real browser: headless Chromium renders the asset graph and the scores."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import (
    BIN,
    MINI_TONES,
    PROJECT,
    dagster_dev,
    env_for,
    graphql,
    register_tasks,
    run,
)
from tests.smoke.cdp import browser, click_show_markdown, decoded_image

pytestmark = pytest.mark.smoke
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = PROJECT / "test-artifacts"
LOCATION = "hear_assets.definitions"


def chromium(url: str, *, screenshot: Path | None = None, tmp: Path) -> str:
    """The rendered DOM of ``url`` (and a screenshot), as a user's browser would show it."""
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp / 'chrome-profile'}",
        "--window-size=1600,1000",
        "--virtual-time-budget=20000",
        "--run-all-compositor-stages-before-draw",
    ]
    if screenshot is not None:
        out = subprocess.run(
            [CHROMIUM, *flags, f"--screenshot={screenshot}", url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert screenshot.exists(), out.stderr[-2000:]
    out = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return out.stdout


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium not installed (.ci/run installs it)",
)
def test_asset_graph_and_scores_render_in_chromium(tmp_path: Path) -> None:
    assert CHROMIUM is not None, "chromium missing: .ci/run installs it with apt-get"
    hear, dag = tmp_path / "data", tmp_path / "dh"
    hear.mkdir()
    dag.mkdir()
    register_tasks(hear, MINI_TONES)
    env = env_for(hear, dag)
    built = run(
        [str(BIN / "hear-assets"), "run", "--tasks", "mini_tones", "--models", "naive_torch"], env
    )
    assert built.returncode == 0, built.stderr
    with dagster_dev(env) as (port, status):
        assert status == "LOADED"
        graphql(port, "mutation { setNuxSeen }")
        ARTIFACTS.mkdir(exist_ok=True)
        base = f"http://127.0.0.1:{port}"
        graph = chromium(
            f"{base}/locations/{LOCATION}/asset-groups/pairs",
            screenshot=ARTIFACTS / "ui-asset-graph-pairs.png",
            tmp=tmp_path,
        )
        for name in ("embeddings", "predictions"):
            assert name in graph, f"{name} not rendered in the asset graph"
        page = chromium(
            f"{base}/assets/scores", screenshot=ARTIFACTS / "ui-scores.png", tmp=tmp_path
        )
        assert "scores" in page and "pairs_scored" in page
        assert "naive_torch" in page  # the leaderboard table in the metadata
        assert 'src="data:image/svg+xml;base64,' in page  # the leaderboard plot, inline

        # Long markdown (the spectrogram's data URI) opens in a dialog: click it open.
        with browser(CHROMIUM, tmp_path / "cdp-profile") as tab:
            tab.open(f"{base}/assets/task_splits?partition=mini_tones")
            assert tab.wait_for(click_show_markdown("spectrogram")), "no spectrogram entry"
            size = tab.wait_for(decoded_image("data:image/png;base64,"))
            assert size == [400, 128], "the spectrogram PNG was not decoded"
            tab.screenshot(ARTIFACTS / "ui-task-splits-spectrogram.png")
            tab.open(f"{base}/assets/scores")
            assert tab.wait_for(decoded_image("data:image/svg+xml;base64,")), "plot not drawn"
