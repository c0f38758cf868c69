"""Whole answers as `--json` prints them and the web desk serves them: built here, once.

The CLI and `rumour serve` are both shells over these functions, so the board a desk reads
on screen, the document `/api/board` returns and `rumour board --json` prints are one value.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from rumour_ledger.ledger.errors import InvalidClaim
from rumour_ledger.ledger.names import name_key
from rumour_ledger.projections.board import board, conflicts_of_rumour, explain_rumour, timeline
from rumour_ledger.projections.evidence import Moment
from rumour_ledger.projections.likelihood import Settings
from rumour_ledger.projections.views import RumourRef, with_dashed_ids

# How a board may be ordered. `likelihood` is the board's own order and the only one that
# can read just the top of the board; the others order the whole board, then cut it.
SORTS = ("likelihood", "last_claim", "label", "origins")
PAGE_SIZE = 50


def board_page(
    conn: Connection,
    moment: Moment,
    settings: Settings,
    status: str = "all",
    minimum: float = 0.0,
    limit: int | None = None,
    *,
    text: str | None = None,
    sort: str = "likelihood",
    page: int | None = None,
) -> list[dict[str, Any]]:
    """The board rows shown: filtered by status, minimum and text (words of the move's
    names, matched as names are: without regard to case or accents), ordered, and cut to
    one page of `limit` rows (the first page unless `page` is given; a page alone is
    PAGE_SIZE rows)."""
    if sort not in SORTS:
        raise InvalidClaim("sort", f"unknown order {sort!r}; choose one of {', '.join(SORTS)}")
    if page is not None and page < 1:
        raise InvalidClaim("page", f"must be 1 or more, got {page}")
    if page is not None and limit is None:
        limit = PAGE_SIZE
    skip = 0 if page is None or limit is None else (page - 1) * limit
    words = name_key(text).split() if text else []
    if not words and sort == "likelihood":
        # The board's own order: only the top `skip + limit` moves are read.
        wanted = None if limit is None else skip + limit
        rows = board(conn, moment, settings, status, minimum, wanted)
    else:
        rows = board(conn, moment, settings, status, minimum, None)
        if words:
            rows = [row for row in rows if _mentions(row, words)]
        rows = _ordered(rows, sort)
    return rows[skip:] if limit is None else rows[skip : skip + limit]


def _mentions(row: dict[str, Any], words: list[str]) -> bool:
    """Every word appears in the move's names (subject, clubs, label)."""
    names = name_key(" ".join(str(row[k] or "") for k in ("label", "subject", "from", "to")))
    return all(word in names for word in words)


def _ordered(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    # Ties fall back to the board's own order (most likely, then label, then id), which
    # the rows already have: Python's sort is stable.
    if sort == "last_claim":
        return sorted(rows, key=lambda r: r["last_claim"] or "", reverse=True)
    if sort == "label":
        return sorted(rows, key=lambda r: (name_key(r["label"]), r["id"]))
    if sort == "origins":
        return sorted(rows, key=lambda r: -r["origins"])
    return rows


def why_answer(
    conn: Connection, ref: RumourRef, moment: Moment, settings: Settings
) -> dict[str, Any]:
    """`rumour why --json`: the rumour, its explanation (claim ids dashed), its conflicts."""
    explained = explain_rumour(conn, ref, moment, settings)
    in_conflict = conflicts_of_rumour(conn, ref, moment)
    conflict = [{**c.to_dict(), "with": others} for c, others in in_conflict]
    explanation = with_dashed_ids(explained.to_dict())
    return {"rumour": ref.to_dict(), **explanation, "conflict": conflict}


def timeline_answer(
    conn: Connection,
    ref: RumourRef,
    start: date | None,
    end: date,
    settings: Settings,
    known_at: datetime | None = None,
) -> dict[str, Any]:
    """`rumour timeline --json`: the rumour and its likelihood day by day."""
    return {"rumour": ref.to_dict(), "days": timeline(conn, ref, start, end, settings, known_at)}


def history_answer(
    conn: Connection, ref: RumourRef, as_of: date | None, known_at: datetime | None
) -> dict[str, Any]:
    """`rumour show --json`: the rumour and every event of it by published date."""
    from rumour_ledger.projections.views import rumour_history

    return {"rumour": ref.to_dict(), "events": rumour_history(conn, ref, as_of, known_at)}


def recorded_since(since: str | None, today: date) -> datetime | None:
    """`audit log --since`: a timestamp, or a bare day meaning the start of that day (UTC)."""
    from rumour_ledger.projections.evidence import parse_moment

    stamp = None if since is None else parse_moment(None, since, today).known_at
    if stamp is not None and since is not None and len(since.strip()) == 10:
        stamp = stamp.replace(hour=0, minute=0, second=0, microsecond=0)
    return stamp


def aliases_applied(
    conn: Connection, answer: dict[str, Any], known_at: datetime | None
) -> list[dict[str, str]]:
    """The aliases in force that touch one rumour's history (`history_answer`): those naming
    its subject, its clubs, or a source or cited source of one of its events."""
    from rumour_ledger.projections.audit import aliases_in_force

    ref = answer["rumour"]
    said = {name_key(n) for n in (ref["subject"], ref["from"], ref["to"]) if n}
    for event in answer["events"]:
        said.update(name_key(n) for n in (event["source"], event["cites"]) if n)
    return [a for a in aliases_in_force(conn, known_at) if name_key(a["name"]) in said]
