"""The timeline chart drawn on the server as SVG: likelihood through time, each claim marked.

Drawn from `timeline --json`'s days, so the chart shows the figures the API returns. Every
piece of user text (sources, cites) is escaped here: the markup is put in the page as is.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

WIDTH, HEIGHT = 880, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 14, 34
# A marker's colour says the claim's type; the legend under the chart says it in words.
COLOURS = {
    "report": "#1f5fbf",
    "denial": "#c0392b",
    "confirmation": "#1e8449",
    "collapse": "#7d3c98",
}


def timeline_svg(days: list[dict[str, Any]], label: str) -> str:
    """An SVG chart of the days (oldest first), or a short note when there are none."""
    if not days:
        return '<p class="note">No claim published by this day: nothing to chart.</p>'
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = max(1, len(days) - 1)

    def x(index: int) -> float:
        return LEFT + inner_w * index / span

    def y(likelihood: float) -> float:
        return TOP + inner_h * (1.0 - likelihood)

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(f"Likelihood of {label} through time")}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(share):.1f}" y2="{y(share):.1f}" '
            'stroke="#e3e6ea" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y(share) + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#5b6470">{share:.0%}</text>'
        )
    for index, day in _ticks(days):
        # The first and last labels hang inward, so neither is cut off at the edge.
        anchor = "start" if index == 0 else "end" if index == len(days) - 1 else "middle"
        parts.append(
            f'<text x="{x(index):.1f}" y="{HEIGHT - 12}" text-anchor="{anchor}" font-size="11" '
            f'fill="#5b6470">{escape(day)}</text>'
        )
    line = " ".join(f"{x(i):.1f},{y(d['likelihood']):.1f}" for i, d in enumerate(days))
    parts.append(
        f'<polyline points="{line}" fill="none" stroke="#22303f" stroke-width="2" '
        'stroke-linejoin="round"/>'
    )
    for index, day in enumerate(days):
        for offset, event in enumerate(day["events"]):
            colour = COLOURS.get(event["type"], "#5b6470")
            said = f"{day['date']}: {event['type']} by {event['source']}" + (
                f" (citing {event['cites']})" if event["cites"] else ""
            )
            relay = bool(event["cites"])
            parts.append(
                f'<circle class="claim-mark" cx="{x(index):.1f}" '
                f'cy="{y(day["likelihood"]) - 9 * offset:.1f}" r="{4 if relay else 5.5}" '
                f'fill="{"#ffffff" if relay else colour}" stroke="{colour}" stroke-width="2">'
                f"<title>{escape(said)}</title></circle>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _ticks(days: list[dict[str, Any]], most: int = 6) -> list[tuple[int, str]]:
    """Where the date labels go: the first day, the last, and evenly between."""
    if len(days) == 1:
        return [(0, days[0]["date"])]
    count = min(most, len(days))
    chosen = sorted({round(k * (len(days) - 1) / (count - 1)) for k in range(count)})
    return [(i, date.fromisoformat(days[i]["date"]).isoformat()) for i in chosen]
