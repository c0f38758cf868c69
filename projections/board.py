"""Questions about likelihood: the board of every move, why one stands where it does, its timeline.

Each answer is the likelihood fold (projections/likelihood.py) over evidence read for one
moment (projections/evidence.py), with source reliabilities learned from the track records
known at that moment (projections/records.py): nothing dated after the asked day counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, or_, select

from ledger.aliases import AliasKind
from projections import records as track
from projections.evidence import (
    Catalogue,
    Moment,
    MoveKey,
    Rivals,
    Rumoured,
    catalogue,
    evidence_by_move,
    live,
    names_at,
    parse_moment,
    rivals,
    rumours_row,
)
from projections.likelihood import STATUSES, Evidence, Explanation, Settings, explain
from projections.tables import claims, rumours
from projections.views import RumourRef

MAX_TIMELINE_DAYS = 20 * 366

__all__ = ["Moment", "board", "explain_rumour", "parse_moment", "timeline", "weigh"]


@dataclass
class Weighing:
    """Everything one question needs, read once: moves, evidence, rivals, track records."""

    moment: Moment
    found: Catalogue
    evidence: dict[MoveKey, list[Evidence]]
    rivals: Rivals
    records: dict[str, track.Record]
    settings: Settings  # with learned reliabilities

    def explain(self, move: Rumoured, as_of: date | None = None) -> Explanation:
        day = as_of or self.moment.as_of
        claims_then = [e for e in self.evidence.get(move.key, []) if e.published <= day]
        resolutions = self.rivals.resolutions(move.key, move.move.role)
        return explain(move.move, claims_then, day, self.settings, resolutions)


def weigh(
    conn: Connection, moment: Moment, settings: Settings, origins_of: RumourRef | None = None
) -> Weighing:
    """Read what a moment's answers need: the whole ledger, or (for one rumour) only the
    rumours its sources spoke about, whose outcomes make their track records."""
    names = names_at(conn, moment)
    if origins_of is None:
        found = catalogue(conn, names)
        scope_ids = None
    else:
        found = _catalogue_around(conn, names, moment, origins_of)
        scope_ids = [r.id for move in found.moves.values() for r in move.members]
    evidence = evidence_by_move(conn, found, moment, scope_ids)
    rival = rivals(conn, moment, found, None if origins_of is None else found.moves.values())
    calls = track.all_calls(found.moves, evidence, rival, moment.as_of, settings)
    known = track.records(calls, settings)
    return Weighing(moment, found, evidence, rival, known, track.learned(settings, known))


def _catalogue_around(conn: Connection, names: Any, moment: Moment, ref: RumourRef) -> Catalogue:
    """The rumour's move, and every move of every subject its sources ever spoke about."""
    row = rumours_row(conn, ref.id)
    subjects = set(names.aliases_of(AliasKind.PERSON, names.person(row.subject_key)))
    own = catalogue(conn, names, related_to=row)
    member_ids = [r.id for r in own.of(ref.id).members]
    origins = set()
    for claim in conn.execute(
        select(claims.c.source_key, claims.c.cites_key).where(
            live(moment), claims.c.rumour_id.in_(member_ids)
        )
    ):
        origins.add(names.source(claim.cites_key or claim.source_key))
    spellings = {k for o in origins for k in names.aliases_of(AliasKind.SOURCE, o)}
    if spellings:
        touched = (
            select(rumours.c.subject_key)
            .join(claims, claims.c.rumour_id == rumours.c.id)
            .where(
                live(moment),
                or_(claims.c.source_key.in_(spellings), claims.c.cites_key.in_(spellings)),
            )
            .distinct()
        )
        for found in conn.execute(touched):
            subject = names.person(found.subject_key)
            subjects.update(names.aliases_of(AliasKind.PERSON, subject))
    rows = conn.execute(select(rumours).where(rumours.c.subject_key.in_(sorted(subjects))))
    return Catalogue(rows, names)


def explain_rumour(
    conn: Connection, ref: RumourRef, moment: Moment, settings: Settings
) -> Explanation:
    """Why one rumour stands where it does."""
    weighing = weigh(conn, moment, settings, origins_of=ref)
    return weighing.explain(weighing.found.of(ref.id))


def board(
    conn: Connection,
    moment: Moment,
    settings: Settings,
    status: str = "all",
    minimum: float = 0.0,
) -> list[dict[str, Any]]:
    """Every rumoured move with its likelihood as of the moment, most likely first."""
    if status not in (*STATUSES, "all"):
        raise ValueError(f"unknown status {status!r}")
    weighing = weigh(conn, moment, settings)
    rows = []
    for key, move in weighing.found.moves.items():
        if not weighing.evidence.get(key):
            continue  # nothing published (or known) about it yet
        explained = weighing.explain(move)
        if status not in ("all", explained.status) or explained.likelihood < minimum:
            continue
        rows.append(board_row(move, explained))
    rows.sort(key=lambda r: (-r["likelihood"], r["label"]))
    return rows


def board_row(move: Rumoured, explained: Explanation) -> dict[str, Any]:
    ref = move.ref
    return {
        "id": str(uuid.UUID(ref.id)),
        "subject": ref.subject,
        "from": ref.from_club,
        "to": ref.to_club,
        "role": ref.role,
        "label": ref.label,
        "likelihood": round(explained.likelihood, 6),
        "status": explained.status,
        "reports": explained.reports,
        "denials": explained.denials,
        "confirmations": explained.confirmations,
        "origins": explained.origins,
        "relays": explained.relays,
        "last_claim": explained.last_claim.isoformat() if explained.last_claim else None,
        "resolved_by": explained.resolved_by,
        "merged": [str(uuid.UUID(m.id)) for m in move.members[1:]],
    }


def timeline(
    conn: Connection,
    ref: RumourRef,
    start: date | None,
    end: date,
    settings: Settings,
    known_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """The likelihood day by day, with the claims published on each day.

    Reliabilities on each day come from the outcomes resolved by that day (as the ledger
    stands at `end`), so no day sees an outcome from after it.
    """
    weighing = weigh(conn, Moment(end, known_at), settings, origins_of=ref)
    move = weighing.found.of(ref.id)
    evidence = weighing.evidence.get(move.key, [])
    calls = [c for record in weighing.records.values() for c in record.calls]
    if start is None:
        start = evidence[0].published if evidence else end
    if (end - start).days > MAX_TIMELINE_DAYS:
        from ledger.errors import LedgerError

        raise LedgerError(f"a timeline covers at most {MAX_TIMELINE_DAYS} days: narrow --from/--to")
    by_day: dict[date, list[Evidence]] = {}
    for e in evidence:
        by_day.setdefault(e.published, []).append(e)
    points = []
    current = None
    resolved_days = {c.resolved_on for c in calls}
    for day in _days(start, end):
        if current is None or day in resolved_days:
            known = track.records((c for c in calls if c.resolved_on <= day), settings)
            current = replace(weighing, settings=track.learned(settings, known))
        explained = current.explain(move, day)
        points.append(
            {
                "date": day.isoformat(),
                "likelihood": round(explained.likelihood, 6),
                "status": explained.status,
                "events": [
                    {
                        "id": str(uuid.UUID(e.claim_id)),
                        "type": e.kind,
                        "source": e.source,
                        "cites": e.cites,
                    }
                    for e in by_day.get(day, [])
                ],
                "resolved_by": explained.resolved_by if explained.resolved_on == day else None,
            }
        )
    return points


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)
