"""One writer per stage output: an exclusive lock file under ``HEAR_HOME/locks/``.

Two runs that would write the same stage of the same task or pair never interleave: the second
fails at once with a message naming the output and the way out, and writes nothing. A lock
held by a killed process is released by the operating system.
"""

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from hear_assets.lib.store.errors import TaskDataError
from hear_assets.lib.store.layout import Layout


@contextlib.contextmanager
def stage_lock(root: Path, stage: str, key: str) -> Iterator[None]:
    """Hold the lock of ``stage`` for ``key`` (a task or ``model|task``) for the block."""
    path = Layout(root).lock_file(stage, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise TaskDataError(
                f"another run is writing {stage} of {key} right now; wait for it to finish "
                "(nothing was written by this one)"
            ) from exc
        yield
    finally:
        os.close(fd)
