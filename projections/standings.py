"""Standings: each move as its claims leave it, so the board weighs one row per move.

After the last day anything about a move was published (its own claims, its rivals'
confirmations), its explanation keeps the same counted claims, status and counts on every
later day: only decay and its sources' records move its likelihood. A standing stores that
explanation's shape; the board ages it to the day asked, by the same arithmetic as
`likelihood.explain`, and folds claims afresh only for moves still unfolding on that day.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from projections.evidence import Rivals, Rumoured
from projections.likelihood import (
    CONFIRMED,
    DENIED,
    NOT_HAPPENED,
    OPEN,
    Evidence,
    Settings,
    aged,
    explain,
)

# Reliabilities change only the likelihood, which the board works out on the day asked.
UNWEIGHED = Settings()

STANDING_COLUMNS = (
    "move_id",
    "id",
    "subject",
    "from_club",
    "to_club",
    "role",
    "label",
    "merged",
    "first_day",
    "last_day",
    "status",
    "resolved_by",
    "resolved_on",
    "reports",
    "denials",
    "confirmations",
    "origins",
    "relays",
    "last_claim",
    "parts",
    "ended_after",
)


def standing_row(found: Rumoured, evidence: Sequence[Evidence], rival: Rivals) -> tuple[Any, ...]:
    """The standing of one move with at least one claim, as stored (STANDING_COLUMNS)."""
    resolutions = rival.resolutions(found.key, found.move.role)
    published = [e.published for e in evidence]
    last_day = max(published)
    explained = explain(found.move, evidence, last_day, UNWEIGHED, resolutions)
    # A rival confirmed after the move's last claim ends it from that day (unless it was
    # confirmed itself): kept apart, so the standing holds from the last claim on.
    ended_after: dict[int, str] = {}
    for r in resolutions:
        if r.published > last_day:
            day = r.published.toordinal()
            ended_after[day] = max(ended_after.get(day, r.reason), r.reason)
    ref = found.ref
    parts = [
        [p.origin_key, p.kind, p.published.toordinal(), p.first_party]
        for p in explained.contributions
    ]
    return (
        ref.id,
        str(uuid.UUID(ref.id)),
        ref.subject,
        ref.from_club,
        ref.to_club,
        ref.role,
        ref.label,
        json.dumps([str(uuid.UUID(m.id)) for m in found.members[1:]]),
        min(published).isoformat(),
        last_day.isoformat(),
        explained.status,
        explained.resolved_by,
        _iso(explained.resolved_on),
        explained.reports,
        explained.denials,
        explained.confirmations,
        explained.origins,
        explained.relays,
        _iso(explained.last_claim),
        json.dumps(parts),
        json.dumps(sorted(ended_after.items())),
    )


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def board_row_of(row: Any, as_of: date, settings: Settings, weight_of: Any) -> dict[str, Any]:
    """A board row from a standing, aged to a day on or after its last day."""
    ended = _ended_by(row, as_of)
    if ended is not None:
        return _ended_row(row, ended)
    if row.status in (OPEN, DENIED):
        parts = [
            (kind, date.fromordinal(day), weight_of(origin, kind, first_party))
            for origin, kind, day, first_party in json.loads(row.parts)
        ]
        likelihood = aged(row.status, parts, as_of, settings)
    else:
        likelihood = 1.0 if row.status == CONFIRMED else 0.0
    return {
        "id": row.id,
        "subject": row.subject,
        "from": row.from_club,
        "to": row.to_club,
        "role": row.role,
        "label": row.label,
        "likelihood": round(likelihood, 6),
        "status": row.status,
        "reports": row.reports,
        "denials": row.denials,
        "confirmations": row.confirmations,
        "origins": row.origins,
        "relays": row.relays,
        "last_claim": row.last_claim.isoformat() if row.last_claim else None,
        "resolved_by": row.resolved_by,
        "merged": json.loads(row.merged) if row.merged != "[]" else [],
    }


def _ended_by(row: Any, as_of: date) -> str | None:
    """The rival confirmation after the move's last claim that ended it by a day, if any."""
    if row.ended_after == "[]" or row.status == CONFIRMED:
        return None
    day = as_of.toordinal()
    ended = [reason for on, reason in json.loads(row.ended_after) if on <= day]
    return ended[-1] if ended else None


def _ended_row(row: Any, reason: str) -> dict[str, Any]:
    # As explain has it: every claim came before the ending, so none is weighed.
    return {
        "id": row.id,
        "subject": row.subject,
        "from": row.from_club,
        "to": row.to_club,
        "role": row.role,
        "label": row.label,
        "likelihood": 0.0,
        "status": NOT_HAPPENED,
        "reports": row.reports,
        "denials": row.denials,
        "confirmations": row.confirmations,
        "origins": 0,
        "relays": 0,
        "last_claim": row.last_claim.isoformat() if row.last_claim else None,
        "resolved_by": reason,
        "merged": json.loads(row.merged) if row.merged != "[]" else [],
    }
