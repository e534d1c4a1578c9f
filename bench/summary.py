"""The targets table: every target a bench section states, gathered from bench/results.md.

Each bench script writes, inside its own section, one machine-readable line per target it
judges (``target_line``: an HTML comment, invisible on the rendered page). This script reads
them all, in the order of the sections, and writes the table between the ``targets`` markers
at the top of bench/results.md and between the README's markers, so the README's benchmark
table is the one the benches wrote, never a copy made by hand. ``make bench`` runs it last;
run alone after any bench section:

    python bench/summary.py [--check]

``--check`` only compares (exit 1 if the README or results.md differs from the sections).
"""

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from pretrained import splice as splice_section  # noqa: E402

RESULTS = ROOT / "bench" / "results.md"
README = ROOT / "README.md"
START = "<!-- targets: bench/summary.py from the target lines of the sections below -->"
END = "<!-- /targets -->"
README_START = (
    "<!-- bench-targets: written by bench/summary.py from bench/results.md; do not edit -->"
)
README_END = "<!-- /bench-targets -->"
LINE = re.compile(r"^<!-- target: (\{.*\}) -->$", re.MULTILINE)
FIELDS = ("table", "what", "figure", "target", "verdict")


def target_line(table: str, what: str, figure: str, target: str, met: bool, why: str = "") -> str:
    """One target of a section: ``table`` (what it belongs to: Demo, Probe, Embedding, Growth,
    ...), ``what`` was measured, the ``figure``, the ``target``, whether it was ``met``, and
    ``why`` (what limits it, when missed)."""
    verdict = "met" if met else "missed" + (f": {why}" if why else "")
    row = dict(zip(FIELDS, (table, what, figure, target, verdict), strict=True))
    for value in row.values():
        if "|" in value or "\n" in value or "-->" in value:
            raise ValueError(f"a target's text cannot hold '|', a newline or '-->': {value!r}")
    return f"<!-- target: {json.dumps(row, ensure_ascii=False)} -->"


def targets(results: str) -> list[dict[str, str]]:
    """Every target line of ``results`` (bench/results.md's text), in order; the table at the
    top is not read (it holds no target lines)."""
    if START in results and END in results:
        head, rest = results.split(START, 1)
        results = head + rest.split(END, 1)[1]
    return [json.loads(m.group(1)) for m in LINE.finditer(results)]


# The tables of the performance issue first, in its order; then the others.
ORDER = ("Probe", "Embedding", "Demo", "Growth", "Workers", "Fidelity")


def table(rows: list[dict[str, str]]) -> list[str]:
    """The markdown table of ``rows``, grouped by their table (``ORDER``; sections' order
    within a table)."""
    rank = {name: i for i, name in enumerate(ORDER)}
    rows = sorted(rows, key=lambda r: rank.get(r["table"], len(ORDER)))
    out = ["| table | what | figure | target | verdict |", "|---|---|---|---|---|"]
    for r in rows:
        verdict = r["verdict"]
        bold = "**met**" if verdict == "met" else "**missed**" + verdict[len("missed") :]
        out.append(f"| {r['table']} | {r['what']} | {r['figure']} | {r['target']} | {bold} |")
    met = sum(r["verdict"] == "met" for r in rows)
    out += ["", f"{met} of {len(rows)} targets met."]
    return out


def splice(text: str, block: list[str], start: str, end: str) -> str:
    """``text`` with the lines between ``start`` and ``end`` replaced by ``block`` (the
    markers must be there: a table is never appended where nobody placed it)."""
    if start not in text or end not in text:
        raise SystemExit(f"markers {start!r} … {end!r} not found")
    return splice_section(text, [start, *block, end], start, end)


def written(results: str, readme: str) -> tuple[str, str]:
    """results.md and README.md with their targets tables made from ``results``' sections."""
    block = table(targets(results))
    return splice(results, block, START, END), splice(readme, block, README_START, README_END)


def refresh() -> str:
    """Rewrite both tables from bench/results.md's sections (what each bench calls after
    writing its section); returns the new results.md."""
    new_results, new_readme = written(RESULTS.read_text(), README.read_text())
    RESULTS.write_text(new_results)
    README.write_text(new_readme)
    return new_results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare only; exit 1 on a difference")
    args = ap.parse_args()
    if not args.check:
        print("\n".join(table(targets(refresh()))))
        return 0
    results, readme = RESULTS.read_text(), README.read_text()
    new_results, new_readme = written(results, readme)
    pairs = ((RESULTS, results, new_results), (README, readme, new_readme))
    stale = [path.name for path, old, new in pairs if old != new]
    if stale:
        print(f"targets table out of date in {', '.join(stale)}: run python bench/summary.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
