"""Line plots as SVG, drawn here (no plotting library): the site's layer and few-shot
curves and the score history."""

import html
import math

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2"]


def svg_curves(
    series: dict[str, list[tuple[str, float, float | None, float | None]]],
    title: str,
    width: int = 520,
    height: int = 220,
    ends_only: bool = False,
) -> str:
    """Lines over categorical x positions: ``{name: [(x label, y, lo, hi), ...]}`` (intervals,
    where given, as vertical bars); ``ends_only`` labels only the first and last x (e.g. long
    time stamps)."""
    xs = list(dict.fromkeys(x for pts in series.values() for x, *_ in pts))
    vals = [
        float(v) for pts in series.values() for _, y, lo, hi in pts for v in (y, lo, hi)
        if v is not None and not math.isnan(float(v))
    ]  # fmt: skip
    lo_v, hi_v = (min(vals), max(vals)) if vals else (0.0, 1.0)
    if hi_v - lo_v < 1e-9:
        lo_v, hi_v = lo_v - 0.05, hi_v + 0.05
    left, right, top, bottom = 48, 130, 24, 28
    pw, ph = width - left - right, height - top - bottom

    def x(i: int) -> float:
        return left + (pw * i / (len(xs) - 1) if len(xs) > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph * (1 - (v - lo_v) / (hi_v - lo_v))

    p = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="10">',
        f'<text x="{left}" y="14" font-size="12">{html.escape(title)}</text>',
        f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#999"/>',
        f'<text x="{left - 4}" y="{y(hi_v) + 4:.1f}" text-anchor="end">{hi_v:.3f}</text>',
        f'<text x="{left - 4}" y="{y(lo_v) + 4:.1f}" text-anchor="end">{lo_v:.3f}</text>',
    ]
    shown = [0, len(xs) - 1] if ends_only else range(len(xs))
    anchor = {0: "start", len(xs) - 1: "end"} if ends_only else {}
    p += [
        f'<text x="{x(i):.1f}" y="{height - 10}" text-anchor="{anchor.get(i, "middle")}">'
        f"{html.escape(str(xs[i]))}</text>"
        for i in sorted(set(shown))
        if xs
    ]
    for k, (name, pts) in enumerate(series.items()):
        c = COLOURS[k % len(COLOURS)]
        line = []
        for label, yv, lo, hi in pts:
            if yv is None or math.isnan(float(yv)):
                continue
            i = xs.index(label)
            if lo is not None and hi is not None and not math.isnan(float(lo)):
                p.append(
                    f'<line x1="{x(i):.1f}" y1="{y(float(lo)):.1f}" x2="{x(i):.1f}" '
                    f'y2="{y(float(hi)):.1f}" stroke="{c}" stroke-opacity="0.45" '
                    'stroke-width="2"/>'
                )
            p.append(f'<circle cx="{x(i):.1f}" cy="{y(float(yv)):.1f}" r="3" fill="{c}"/>')
            line.append(f"{x(i):.1f},{y(float(yv)):.1f}")
        if len(line) > 1:
            p.append(f'<polyline points="{" ".join(line)}" fill="none" stroke="{c}"/>')
        p.append(
            f'<text x="{left + pw + 8}" y="{top + 10 + 13 * k}" fill="{c}">'
            f"{html.escape(name)}</text>"
        )
    p.append("</svg>")
    return "".join(p)
