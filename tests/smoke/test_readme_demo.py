"""The README's demo leaderboard is what `make demo` prints on a fresh home (`make readme`
writes it); a reader sees what they will get."""

import importlib.util
from pathlib import Path

import dagster as dg
import pytest

from hear_assets.cli.report import leaderboard_text
from hear_assets.cli.run import default_workers
from hear_assets.lib.grid import catalog
from hear_assets.lib.store.layout import Layout
from hear_assets.runner import planned_steps, run_grid
from tests.helpers import PROJECT

_spec = importlib.util.spec_from_file_location("readme_block", PROJECT / "bench" / "readme.py")
assert _spec is not None and _spec.loader is not None
readme = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(readme)


def test_the_block_is_spliced_verbatim_between_the_markers() -> None:
    demo_stdout = "  model  t\n    a  0.500\n"
    text = f"intro\n{readme.BEGIN}\n```\nold\n```\n{readme.END}\noutro\n"
    out = readme.splice(text, readme.table_of(demo_stdout), "CPU X, avx2, 2 cores")
    assert readme.block_of(out) == "  model  t\n    a  0.500"
    assert readme.made_on(out) == "CPU X, avx2, 2 cores"
    assert out.startswith("intro\n") and out.endswith(f"{readme.END}\noutro\n")
    with pytest.raises(ValueError, match="no"):
        readme.block_of("a README without the block")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_readme_leaderboard_is_what_the_demo_prints(
    hear_home: Path, probe_defaults: None
) -> None:
    text = (PROJECT / "README.md").read_text()
    here = readme.cpu_signature()
    if readme.made_on(text) != here:
        # Trained models' scores follow the CPU's floating-point kernels: compare where made.
        pytest.skip(f"README's leaderboard was made on {readme.made_on(text)!r}, this is {here!r}")
    layout = Layout(hear_home)  # nothing registered: the built-in tasks and models, as the demo
    tasks, models = catalog.all_tasks(layout), catalog.all_models(layout)
    # As `make demo`: its default workers (the trained models' last digits follow the threads
    # each gets); instance_for_test sets DAGSTER_HOME, which the spawned workers open.
    chosen, every = list(tasks.values()), list(models.values())
    workers = default_workers(planned_steps(layout, chosen, every))
    with dg.instance_for_test() as instance:
        result = run_grid(instance, layout, chosen, every, parallel=workers)
    assert not result.failures, result.failures
    printed = leaderboard_text(layout)
    in_readme = readme.block_of(text)
    assert in_readme == printed, (
        f"README.md is stale: run `make readme`; the demo prints\n{printed}"
    )
