"""Charts for the dashboard as inline SVG drawn on the server (no JavaScript).

Each chart has a <title> and an aria-label, and the numbers are also printed as
text in the SVG, so it reads without colour and in a screen reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

from service.use_cases.admin_dashboard import FunnelStep

# Horizontal positions are percentages and there is no viewBox, so the charts
# stretch to any width while their text keeps its size (readable on a phone).
ROW = 52
BAR = 22
BAR_ROOM = 72.0  # percent of the width for the longest bar; the rest is for its value


def funnel_svg(steps: Sequence[FunnelStep]) -> Markup:
    """One labelled bar per step, widths relative to the first step, rates as text."""
    top = max((s.count for s in steps), default=0) or 1
    summary = ", ".join(f"{s.label} {s.count}" for s in steps)
    parts = [
        f'<svg class="chart funnel" width="100%" height="{len(steps) * ROW}" role="img" '
        f'aria-label="Funnel: {escape(summary)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>Funnel: {escape(summary)}</title>",
    ]
    for i, step in enumerate(steps):
        y = i * ROW
        width = max(0.5, BAR_ROOM * step.count / top) if step.count else 0.0
        rate = f" · {step.rate:.0%} of previous" if step.rate is not None else ""
        parts.append(
            f'<text x="0" y="{y + 14}" class="label">{escape(step.label)}</text>'
            f'<rect x="0" y="{y + 20}" width="{width:.1f}%" height="{BAR}" '
            f'class="bar bar-{i}" rx="3"/>'
            f'<text x="{width + 1.5:.1f}%" y="{y + 36}" class="value">'
            f"{step.count}{escape(rate)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every dynamic part above is escaped


CHART_HEIGHT = 170
AXIS = 22
TOP = 20


def per_day_svg(days: Sequence[tuple[date, int]]) -> Markup:
    """One bar per day, the peak and the first/last dates labelled; a tooltip per bar."""
    peak = max((n for _, n in days), default=0)
    room = CHART_HEIGHT - AXIS - TOP
    slot = 100 / max(1, len(days))
    total = sum(n for _, n in days)
    label = f"Requests per day, last {len(days)} days: {total} in total, peak {peak}"
    base = CHART_HEIGHT - AXIS
    parts = [
        f'<svg class="chart per-day" width="100%" height="{CHART_HEIGHT}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(label)}</title>",
        f'<line x1="0" y1="{base}" x2="100%" y2="{base}" class="axis"/>',
    ]
    for i, (day, n) in enumerate(days):
        h = room * n / (peak or 1)
        parts.append(
            f'<rect x="{i * slot + slot * 0.1:.2f}%" y="{base - h:.1f}" '
            f'width="{slot * 0.8:.2f}%" height="{h:.1f}" class="bar">'
            f"<title>{day.isoformat()}: {n}</title></rect>"
        )
    if days:
        parts.append(
            f'<text x="0" y="{CHART_HEIGHT - 5}" class="label">{days[0][0]:%d %b}</text>'
            f'<text x="100%" y="{CHART_HEIGHT - 5}" class="label" '
            f'text-anchor="end">{days[-1][0]:%d %b}</text>'
        )
    parts.append(f'<text x="0" y="12" class="label">peak {peak} per day</text></svg>')
    return Markup("".join(parts))  # noqa: S704 - every dynamic part above is escaped
