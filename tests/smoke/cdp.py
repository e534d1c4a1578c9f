"""Headless Chromium driven over the DevTools protocol: open a page, click, read, screenshot.

``chromium --dump-dom`` cannot click; the UI shows long markdown metadata (images included)
only in a dialog behind "[Show Markdown]", so the browser test drives the page instead.
"""

import base64
import contextlib
import itertools
import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.helpers import free_port


class Page:
    """One browser tab: send DevTools commands, evaluate JavaScript, wait, screenshot."""

    def __init__(self, ws: Any) -> None:
        self.ws, self.ids = ws, itertools.count(1)

    def call(self, method: str, **params: Any) -> dict:
        """Send one command and return its result (events in between are skipped)."""
        i = next(self.ids)
        self.ws.send(json.dumps({"id": i, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == i:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg["result"]

    def eval(self, js: str) -> Any:
        """The value of a JavaScript expression in the page."""
        res = self.call("Runtime.evaluate", expression=js, returnByValue=True)
        return res["result"].get("value")

    def wait_for(self, js: str, timeout_s: float = 30.0) -> Any:
        """Poll ``js`` until it is truthy; return its value (None on timeout)."""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            value = self.eval(js)
            if value:
                return value
            time.sleep(0.5)
        return None

    def open(self, url: str) -> None:
        """Navigate to ``url``."""
        self.call("Page.navigate", url=url)

    def screenshot(self, path: Path) -> None:
        """Save the visible viewport as a PNG."""
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))


@contextlib.contextmanager
def browser(chromium: str, profile: Path) -> Iterator[Page]:
    """A headless Chromium with one tab, stopped on exit."""
    from websockets.sync.client import connect

    port = free_port()
    proc = subprocess.Popen(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--window-size=1600,1000",
            f"--remote-debugging-port={port}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        pages: list[dict] = []
        while not pages:
            if time.monotonic() > deadline:
                raise RuntimeError("chromium's DevTools endpoint did not come up")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                    pages = [t for t in json.loads(r.read()) if t["type"] == "page"]
            except OSError:
                time.sleep(0.3)
        with connect(pages[0]["webSocketDebuggerUrl"], max_size=None) as ws:
            yield Page(ws)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def click_show_markdown(key: str) -> str:
    """JavaScript: click "[Show Markdown]" in the metadata row of ``key``; truthy once done."""
    return f"""(() => {{
      const row = [...document.querySelectorAll('tr')]
        .find(r => r.cells.length && r.cells[0].innerText.trim() === {json.dumps(key)});
      if (!row) return null;
      const hits = [...row.querySelectorAll('*')]
        .filter(e => e.innerText && e.innerText.trim() === '[Show Markdown]');
      if (!hits.length) return null;
      hits[hits.length - 1].click();
      return true;
    }})()"""


def decoded_image(src_prefix: str) -> str:
    """JavaScript: ``[width, height]`` of the first decoded ``<img>`` whose src starts so."""
    return f"""(() => {{
      const img = [...document.images].find(i => i.src.startsWith({json.dumps(src_prefix)}));
      return img && img.complete && img.naturalWidth ? [img.naturalWidth, img.naturalHeight]
                                                     : null;
    }})()"""
