"""Kill -9 a run while it downloads a recipe task; re-runs resume the transfer (HTTP Range)
and finish with the scores of an uninterrupted run."""

import json
import os
import random
import re
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import BIN, PROJECT, env_for, register_tasks, run
from tests.pipeline.test_recipes import esc50_archive, served_spec

pytestmark = pytest.mark.slow
RATE = 4 << 20  # bytes per second: the padded archive takes a few seconds to fetch


class Throttled(BaseHTTPRequestHandler):
    """Serves one folder slowly, honouring ``Range: bytes=N-``; records each request."""

    root: Path
    seen: list[str]

    def log_message(self, *args) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        path = self.root / self.path.lstrip("/").split("?")[0]
        data = path.read_bytes()
        start = 0
        header = self.headers.get("Range")
        self.seen.append(header or "")
        match = re.match(r"bytes=(\d+)-", header or "")
        if match:
            start = int(match.group(1))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        try:
            for i in range(start, len(data), 1 << 16):
                self.wfile.write(data[i : i + (1 << 16)])
                time.sleep((1 << 16) / RATE)
        except (BrokenPipeError, ConnectionResetError):
            pass


def test_download_kills_resume_to_the_same_scores(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("HEAR_MIRROR", raising=False)
    www = tmp_path / "www"
    www.mkdir()
    esc50_archive(www)
    # pad the zip with stored random bytes so the transfer lasts long enough to be killed
    import zipfile

    with zipfile.ZipFile(www / "master.zip", "a", compression=zipfile.ZIP_STORED) as z:
        z.writestr("ESC-50-master/padding.bin", np.random.default_rng(0).bytes(24 << 20))
    handler = type("H", (Throttled,), {"root": www, "seen": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    spec = served_spec("esc50", None, base, www, sample_duration=1.0)
    args = [str(BIN / "hear-assets"), "run", "--tasks", spec.name, "--models", "naive_torch"]

    def home(name: str) -> dict[str, str]:
        (tmp_path / name / "data").mkdir(parents=True)
        (tmp_path / name / "dh").mkdir()
        register_tasks(tmp_path / name / "data", spec.to_json())
        return env_for(tmp_path / name / "data", tmp_path / name / "dh")

    try:
        ref_env = home("ref")
        assert run(args, ref_env).returncode == 0
        env = home("killed")
        rng = random.Random(3)
        for _ in range(3):
            requests = len(handler.seen)
            proc = subprocess.Popen(
                args,
                env=env,
                cwd=PROJECT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            # Kill once the transfer is under way (however slow the start on a busy machine),
            # a random moment into it: the whole archive takes about 6 s to fetch.
            deadline = time.monotonic() + 120
            while len(handler.seen) == requests and proc.poll() is None:
                assert time.monotonic() < deadline, "the run never started its download"
                time.sleep(0.05)
            time.sleep(rng.uniform(0.5, 2.5))
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        final = run(args, env)
        assert final.returncode == 0, final.stderr
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert any(h.startswith("bytes=") for h in handler.seen), "no transfer was resumed"

    def scores(name: str) -> dict:
        path = tmp_path / name / "data" / "scores" / "naive_torch" / f"{spec.name}.json"
        s = json.loads(path.read_text())
        return {k: s[k] for k in ("primary", "ci95", "metrics", "folds")}

    assert scores("killed") == scores("ref")
