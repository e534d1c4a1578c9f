"""The README's benchmark table is the one bench/summary.py makes from bench/results.md's
sections, and a target line says what it was given."""

import importlib.util
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_summary", PROJECT / "bench" / "summary.py")
summary = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(summary)


def test_the_readme_and_results_tables_are_the_sections_targets() -> None:
    results = (PROJECT / "bench" / "results.md").read_text()
    readme = (PROJECT / "README.md").read_text()
    rows = summary.targets(results)
    assert {"Probe", "Embedding", "Demo", "Growth"} <= {r["table"] for r in rows}
    new_results, new_readme = summary.written(results, readme)
    assert new_readme == readme, "README's benchmark table is stale: python bench/summary.py"
    assert new_results == results, "results.md's targets table is stale: python bench/summary.py"


def test_a_target_line_round_trips_into_the_table() -> None:
    line = summary.target_line("Demo", "the demo", "130.0 s", "≤ 120 s", False, "training")
    text = f"# x\n\n{summary.START}\n{summary.END}\n\n## A section\n\n{line}\n"
    (row,) = summary.targets(text)
    assert row == {
        "table": "Demo",
        "what": "the demo",
        "figure": "130.0 s",
        "target": "≤ 120 s",
        "verdict": "missed: training",
    }
    block = summary.table([row, {**row, "table": "Probe", "verdict": "met"}])
    assert block[2].startswith("| Probe |") and block[2].endswith("| **met** |")
    assert block[3].endswith("| **missed**: training |")
    assert block[-1] == "1 of 2 targets met."
    written, _ = summary.written(text, f"{summary.README_START}\nold\n{summary.README_END}")
    assert "| Demo | the demo | 130.0 s | ≤ 120 s | **missed**: training |" in written


def test_a_target_cannot_break_the_table() -> None:
    with pytest.raises(ValueError, match="cannot hold"):
        summary.target_line("Demo", "a | b", "1 s", "< 2 s", True)
