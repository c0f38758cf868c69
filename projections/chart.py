"""A timeline drawn as a picture (matplotlib, imported only when a chart is asked for)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

MARKERS = {
    "report": ("^", "tab:green"),
    "denial": ("v", "tab:red"),
    "confirmation": ("*", "tab:blue"),
    "collapse": ("X", "tab:purple"),
}


# Days a chart goes on after its line last moved, at least, and as a share of what it shows.
TAIL_DAYS = 14
TAIL_SHARE = 0.05


def settled(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The days worth drawing: up to a short tail after the last day anything changed (a
    claim, the status, the figure), so a two-month saga confirmed years ago is not drawn as
    years of flat 100%. A move still moving (decaying) is drawn to its last day."""
    last = points[-1] if points else None
    moved = 0
    for i, p in enumerate(points):
        changed = (
            p["events"] or p["likelihood"] != last["likelihood"] or p["status"] != last["status"]
        )
        if changed:
            moved = i
    tail = max(TAIL_DAYS, round(TAIL_SHARE * (moved + 1)))
    return points[: moved + tail + 1]


def draw_timeline(
    points: list[dict[str, Any]], title: str, path: Path, *, to_the_end: bool = False
) -> None:
    """Likelihood as a line, with reports, denials and confirmations marked on it; drawn to
    shortly after it settles unless `to_the_end` (the user named the last day)."""
    _matplotlib()
    import matplotlib.pyplot as plt

    if not to_the_end:
        points = settled(points)
    days = [date.fromisoformat(p["date"]) for p in points]
    values = [p["likelihood"] for p in points]
    fig, ax = plt.subplots(figsize=(10, 4), dpi=100)
    ax.plot(days, values, color="black", linewidth=1.2, label="likelihood")
    for kind, (marker, colour) in MARKERS.items():
        hits = [
            (d, v)
            for d, v, p in zip(days, values, points, strict=True)
            if any(e["type"] == kind for e in p["events"])
        ]
        if hits:
            ax.scatter(
                *zip(*hits, strict=True), marker=marker, color=colour, s=60, label=kind, zorder=3
            )
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel("likelihood")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    _legend_beside(ax)
    fig.autofmt_xdate()
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def draw_reliability(scores: dict[str, Any], path: Path, title: str) -> None:
    """The reliability diagram: forecast against share that happened, model and baselines."""
    _matplotlib()
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 5.5), dpi=100)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect")
    series = [("model", scores["model"]), *scores["baselines"].items()]
    for name, result in series:
        points = [
            (b["mean_forecast"], b["happened"], b["count"])
            for b in result["reliability"]
            if b["count"]
        ]
        if points:
            xs, ys, _counts = zip(*points, strict=True)
            ax.plot(
                xs, ys, marker="o", label=f"{name.replace('_', ' ')} (Brier {result['brier']:.3f})"
            )
            if name == "model":
                for x, y, n in points:
                    ax.annotate(
                        str(n),
                        (x, y),
                        textcoords="offset points",
                        xytext=(4, -10),
                        fontsize="x-small",
                    )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("forecast likelihood")
    ax.set_ylabel("share that happened")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    _legend_beside(ax)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def _legend_beside(ax: Any) -> None:
    """The legend to the right of the plot, where it can hide no data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize="small")


def _save(fig: Any, path: Path) -> None:
    """The picture to FILE atomically, never through a link into what it points at."""
    from rumour_ledger.projections.output import write_atomically

    write_atomically(path, lambda out: fig.savefig(out, format=path.suffix[1:].lower()))


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        from rumour_ledger.ledger.errors import LedgerError

        raise LedgerError("--plot needs matplotlib: pip install 'rumour-ledger[plot]'") from None
    matplotlib.use("Agg")
    return matplotlib
