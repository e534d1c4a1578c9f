"""A throwaway PostgreSQL server for a test: Debian's binaries, a temp directory, loopback.

PostgreSQL refuses to run as root, so under root (CI) the server runs as the ``postgres`` user
that Debian's package creates, in a directory handed to it. Missing binaries fail the test with
the fix, unless ``HEAR_ALLOW_SKIP_POSTGRES=1`` says a skip is acceptable (.ci/run installs them).
"""

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.smoke.helpers import free_port

USER = "hear"


@dataclass(frozen=True)
class Server:
    """A running server: connect as ``user`` to ``host:port`` (trust authentication)."""

    host: str
    port: int
    user: str
    data_dir: Path

    @contextlib.contextmanager
    def cursor(self, db_name: str = "postgres") -> Iterator:
        """A psycopg2 cursor on an autocommit connection, closed after the block."""
        import psycopg2

        conn = psycopg2.connect(host=self.host, port=self.port, user=self.user, dbname=db_name)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                yield cur
        finally:
            conn.close()


def server_bin() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding initdb and pg_ctl."""
    found = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    found = [p for p in found if (p / "pg_ctl").exists()]
    if found:
        return found[-1]
    message = (
        "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: install them with "
        "`apt-get install -y --no-install-recommends postgresql` (.ci/run does), or set "
        "HEAR_ALLOW_SKIP_POSTGRES=1 to skip this test"
    )
    if os.environ.get("HEAR_ALLOW_SKIP_POSTGRES") == "1":
        pytest.skip(message)
    pytest.fail(message, pytrace=False)


def _as_server_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail(
            "running as root, and PostgreSQL refuses root: no `postgres` user to run it as "
            "(Debian's postgresql package creates one; reinstall it)",
            pytrace=False,
        )
    return ["runuser", "-u", "postgres", "--"]


def _run(cmd: list[str], cwd: Path) -> None:
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {(out.stderr or out.stdout).strip()[-800:]}")


@contextlib.contextmanager
def postgres_server() -> Iterator[Server]:
    """Start a server on a free loopback port (its socket in its own directory); stop it after."""
    bindir = server_bin()
    as_user = _as_server_user()
    # Not under pytest's tmp_path: its parents are private to root, the server user must enter.
    root = Path(tempfile.mkdtemp(prefix="hear-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if as_user:
        for path in (root, sockets):
            shutil.chown(path, "postgres", "postgres")
    port = free_port()
    started = False
    try:
        initdb = ["-D", str(data), "-U", USER, "--auth=trust", "--encoding=UTF8", "--no-sync"]
        _run([*as_user, str(bindir / "initdb"), *initdb], cwd=root)
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off"
        log = root / "server.log"
        start = ["-D", str(data), "-o", options, "-l", str(log), "-w", "start"]
        try:
            _run([*as_user, str(bindir / "pg_ctl"), *start], cwd=root)
        except RuntimeError as exc:
            tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
            raise RuntimeError(f"{exc}\nserver.log: {tail}") from exc
        started = True
        yield Server("127.0.0.1", port, USER, data)
    finally:
        if started:
            subprocess.run(
                [*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                cwd=root,
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)
