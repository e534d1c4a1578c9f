"""Releasing a model: its memory is returned at once, cycles included."""

import subprocess
import sys


def test_a_released_model_held_by_a_cycle_is_freed_before_and_after_the_freeze() -> None:
    """``release_cycles`` frees cyclic garbage at once, on its first call (which freezes the
    survivors) and after it, in a fresh process (the freeze is per process)."""
    code = (
        "import gc, weakref\n"
        "from hear_models.runtime import release_cycles\n"
        "class Model: pass\n"
        "def held_by_a_cycle():\n"
        "    m = Model(); m.me = m; return weakref.ref(m)\n"
        "gc.disable()\n"
        "first = held_by_a_cycle(); release_cycles()\n"
        "second = held_by_a_cycle(); release_cycles()\n"
        "print(first() is None, second() is None, gc.get_freeze_count() > 0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "True"]
