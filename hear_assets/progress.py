"""Progress logging for long asset loops: done/total, rate and ETA every 30 s."""

import time
from collections.abc import Callable

import dagster as dg


def log_every(
    context: dg.AssetExecutionContext, what: str, every_s: float = 30.0
) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback that logs at most every ``every_s`` seconds."""
    start = last = time.monotonic()

    def report(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= every_s or done == total:
            rate = done / max(now - start, 1e-9)
            eta = (total - done) / rate if rate > 0 else float("inf")
            context.log.info(f"{done}/{total} {what}, {rate:.1f}/s, eta {eta:.0f} s")
            last = now

    return report
