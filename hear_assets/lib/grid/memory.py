"""Peak resident memory of one stage: the kernel's high-water mark, reset as the stage starts.

On Linux (4.0 and newer) writing ``5`` to ``/proc/self/clear_refs`` restarts ``VmHWM`` of
``/proc/self/status`` from the current resident size, so a worker process that runs many
stages reports each stage's own peak rather than the largest of all it ran before. Elsewhere,
or where the kernel refuses, the peak is the process's since it started (``ru_maxrss``).
Stages running at once in one process (dask worker threads) share one mark.
"""

import resource
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def reset_peak() -> bool:
    """Restart the high-water mark at the current resident size; False where it cannot be."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    """The resident high-water mark in MiB: since the last ``reset_peak()`` where that
    worked, else since the process started."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
