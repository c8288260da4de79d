"""Charts as inline SVG, drawn on the server: a topic's volume sparkline, a per-day bar
chart for backtests. No JavaScript; each chart has a <title> for screen readers."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from markupsafe import Markup


def sparkline(values: Sequence[int], *, width: int = 150, height: int = 28, label: str = "") -> Markup:
    """One polyline over ``values`` (oldest first), the last point dotted."""
    n = len(values)
    top = max(values, default=0) or 1
    if n < 2:
        values, n = list(values) + [0] * (2 - n), 2
    step = (width - 4) / (n - 1)
    pts = [(2 + i * step, height - 3 - (v / top) * (height - 6)) for i, v in enumerate(values)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    lx, ly = pts[-1]
    title = escape(label or f"{sum(values)} alerts in {n} days, at most {max(values)} a day")
    return Markup(
        f'<svg class="spark" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{title}</title>"
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{path}"/>'
        f'<circle cx="{lx:.1f}" cy="{ly:.1f}" r="2" fill="currentColor"/></svg>'
    )


def bar_chart(per_day: Sequence[Any], *, width: int = 640, height: int = 160) -> Markup:
    """Bars per day, the highest labelled, first and last day under the axis.
    ``per_day``: (day, count) pairs or objects with ``.day`` and ``.alerts``."""
    days = [(d.day, d.alerts) if hasattr(d, "day") else (d[0], d[1]) for d in per_day]
    n = max(len(days), 1)
    top = max((v for _, v in days), default=0) or 1
    pad_b, pad_t = 18, 14
    bw = width / n
    bars = []
    for i, (day, v) in enumerate(days):
        h = (v / top) * (height - pad_b - pad_t)
        x, y = i * bw + 1, height - pad_b - h
        bars.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(bw - 2, 1):.1f}" '
                    f'height="{h:.1f}"><title>{escape(day)}: {v}</title></rect>')
        if v == top and v > 0:
            bars.append(f'<text x="{x + bw / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{v}</text>')
    labels = ""
    if days:
        labels = (f'<text x="0" y="{height - 4}">{escape(days[0][0])}</text>'
                  f'<text x="{width}" y="{height - 4}" text-anchor="end">{escape(days[-1][0])}</text>')
    total = sum(v for _, v in days)
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="none"><title>{total} would-be alerts over {len(days)} days</title>'
        f'<line x1="0" y1="{height - pad_b}" x2="{width}" y2="{height - pad_b}" stroke="#999"/>'
        + "".join(bars) + labels + "</svg>"
    )
