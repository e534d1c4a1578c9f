"""bench/results.svg: every speed-up of results.md as a bar against its target, plus the
end-to-end seconds against theirs. Plain SVG, no plotting library."""

import re
from html import escape
from pathlib import Path

SPEEDUP = re.compile(r"([0-9]+(?:\.[0-9]+)?)×")
TARGETS = {"Probe": 10.0, "Embeddings": 1.5, "Workers": 2.0}


def speedups(markdown: str) -> list[tuple[str, float, float]]:
    """``(label, speed-up, target)`` for each table row of results.md that states one."""
    out, section = [], ""
    for line in markdown.splitlines():
        if line.startswith("## "):
            section = line[3:].split(":")[0].split(" ")[0]
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 2 or cells[0].startswith("---"):
            continue
        found = [m for c in cells[1:] if (m := SPEEDUP.search(c))]
        if found:
            label = f"{section}: {cells[0]}" if not cells[0][0].isdigit() else section
            out.append((label, float(found[-1].group(1)), TARGETS.get(section, 1.0)))
    return out


def bars(rows: list[tuple[str, float, float]], title: str, unit: str, y0: int) -> list[str]:
    """One horizontal bar chart (value bar, target tick) starting at height ``y0``."""
    if not rows:
        return []
    top = max(max(v, t) for _, v, t in rows) * 1.1
    x0, width, h = 260, 420, 22
    out = [f'<text x="10" y="{y0 + 16}" font-weight="bold">{escape(title)}</text>']
    for i, (label, value, target) in enumerate(rows):
        y = y0 + 28 + i * (h + 6)
        w, tx = width * value / top, x0 + width * target / top
        ok = value >= target if unit == "×" else value <= target
        out += [
            f'<text x="{x0 - 6}" y="{y + 15}" text-anchor="end">{escape(label[:40])}</text>',
            f'<rect x="{x0}" y="{y}" width="{w:.1f}" height="{h}" '
            f'fill="{"#3a7d44" if ok else "#c0392b"}"/>',
            f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{y - 2}" y2="{y + h + 2}" '
            'stroke="#222" stroke-dasharray="3,2"/>',
            f'<text x="{x0 + w + 4:.1f}" y="{y + 15}">{value:.1f}{escape(unit)} '
            f"(target {'≥' if unit == '×' else '<'} {target:g}{escape(unit)})</text>",
        ]
    return out


def write_svg(results_md: Path, out: Path, figures: dict[str, float]) -> None:
    """Draw results.md's speed-ups and the end-to-end seconds into ``out``."""
    ups = speedups(results_md.read_text())
    secs = [
        ("demo from nothing", figures.get("demo_s", 0.0), 180.0),
        ("no-change re-run", figures.get("rerun_s", 0.0), 10.0),
    ]
    body = bars(ups, "Speed-ups (dashed: target)", "×", 0)
    y = 40 + len(ups) * 28 + 20
    body += bars(secs, "End to end (seconds; dashed: target)", " s", y)
    height = y + 40 + len(secs) * 28 + 10
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="900" height="{height}" '
        'font-family="sans-serif" font-size="12">'
        f'<rect width="900" height="{height}" fill="white"/>{"".join(body)}</svg>\n'
    )
    out.write_text(svg)
