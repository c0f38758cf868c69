"""Questions about likelihood: the board of every move, why one stands where it does, its timeline.

Each answer is the likelihood fold (projections/likelihood.py) over the claims read model,
filtered bitemporally: `as_of` keeps claims published by that day and measures decay to it;
`known_at` keeps only what the ledger had recorded by then, retractions included.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from projections.claims import naive_utc
from projections.likelihood import (
    STATUSES,
    Evidence,
    Explanation,
    Move,
    Resolution,
    Settings,
    explain,
)
from projections.tables import claims, rumours
from projections.views import RumourRef

CLAIM_KINDS = ("report", "denial", "confirmation")


@dataclass(frozen=True, slots=True)
class Moment:
    """The two clocks of a question: the published day asked about, and the recording time."""

    as_of: date
    known_at: datetime | None = None


def _live(moment: Moment) -> Any:
    """Claims that count at this moment: published by as_of, recorded by known_at, and
    not retracted (as the ledger stood at known_at)."""
    conditions = [claims.c.kind.in_(CLAIM_KINDS), claims.c.published <= moment.as_of]
    if moment.known_at is None:
        conditions.append(claims.c.retracted_by.is_(None))
    else:
        known_at = naive_utc(moment.known_at)
        conditions.append(claims.c.recorded_at <= known_at)
        conditions.append(or_(claims.c.retracted_at.is_(None), claims.c.retracted_at > known_at))
    return and_(*conditions)


def _evidence(row: Any) -> Evidence:
    return Evidence(
        claim_id=row.id,
        kind=row.kind,
        source=row.source,
        source_key=row.source_key,
        cites=row.cites,
        cites_key=row.cites_key,
        official=bool(row.official),
        published=row.published,
        position=row.position,
    )


def _move(row: Any) -> Move:
    return Move(row.subject_key, row.from_key, row.to_key, row.role)


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A confirmed move, as it bears on its rivals."""

    rumour_id: str
    subject_key: str
    to_key: str | None
    role: str
    label: str
    published: date


class Rivals:
    """Confirmed moves that end other rumours: the subject went elsewhere, or the club
    appointed another head coach."""

    def __init__(self, confirmed: Iterable[Confirmed]) -> None:
        self.by_subject: dict[str, list[Confirmed]] = defaultdict(list)
        self.coaches_by_club: dict[str, list[Confirmed]] = defaultdict(list)
        for c in confirmed:
            self.by_subject[c.subject_key].append(c)
            if c.role == "coach" and c.to_key:
                self.coaches_by_club[c.to_key].append(c)

    def resolutions(self, rumour_id: str, move: Move) -> list[Resolution]:
        if move.to_key is None:
            return []  # a departure is not ended by where the subject went
        ended = [
            c
            for c in self.by_subject.get(move.subject_key, [])
            if c.rumour_id != rumour_id and c.to_key is not None and c.to_key != move.to_key
        ]
        if move.role == "coach":
            ended += [
                c
                for c in self.coaches_by_club.get(move.to_key, [])
                if c.subject_key != move.subject_key
            ]
        return [Resolution(c.published, f"{c.label} confirmed") for c in ended]


def _rivals(conn: Connection, moment: Moment, subject_key: str | None = None, to_key=None):  # type: ignore[no-untyped-def]
    query = (
        select(
            rumours.c.id,
            rumours.c.subject_key,
            rumours.c.to_key,
            rumours.c.role,
            rumours.c.label,
            claims.c.published,
        )
        .join(claims, claims.c.rumour_id == rumours.c.id)
        .where(_live(moment), claims.c.kind == "confirmation")
    )
    if subject_key is not None:
        related = [rumours.c.subject_key == subject_key]
        if to_key is not None:
            related.append(and_(rumours.c.to_key == to_key, rumours.c.role == "coach"))
        query = query.where(or_(*related))
    return Rivals(Confirmed(*row) for row in conn.execute(query))


def explain_rumour(
    conn: Connection, ref: RumourRef, moment: Moment, settings: Settings
) -> Explanation:
    """Why one rumour stands where it does: a cost that does not grow with the ledger."""
    row = conn.execute(select(rumours).where(rumours.c.id == ref.id)).one()
    move = _move(row)
    evidence = [_evidence(r) for r in _claims_of(conn, [ref.id], moment)]
    rivals = _rivals(conn, moment, move.subject_key, move.to_key)
    return explain(move, evidence, moment.as_of, settings, rivals.resolutions(ref.id, move))


def _claims_of(conn: Connection, rumour_ids: list[str] | None, moment: Moment) -> Any:
    query = select(claims).where(_live(moment))
    if rumour_ids is not None:
        query = query.where(claims.c.rumour_id.in_(rumour_ids))
    return conn.execute(query.order_by(claims.c.rumour_id, claims.c.published, claims.c.position))


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
    refs = {row.id: row for row in conn.execute(select(rumours))}
    rivals = _rivals(conn, moment)
    rows = []
    for rumour_id, group in groupby(_claims_of(conn, None, moment), key=lambda r: r.rumour_id):
        ref = refs[rumour_id]
        move = _move(ref)
        explained = explain(
            move,
            [_evidence(r) for r in group],
            moment.as_of,
            settings,
            rivals.resolutions(rumour_id, move),
        )
        if status not in ("all", explained.status) or explained.likelihood < minimum:
            continue
        rows.append(board_row(ref, explained))
    rows.sort(key=lambda r: (-r["likelihood"], r["label"]))
    return rows


def board_row(ref: Any, explained: Explanation) -> dict[str, Any]:
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
    }


def timeline(
    conn: Connection,
    ref: RumourRef,
    start: date | None,
    end: date,
    settings: Settings,
    known_at: datetime | None = None,
) -> list[dict[str, Any]]:
    """The likelihood day by day, with the claims published on each day."""
    everything = Moment(end, known_at)
    row = conn.execute(select(rumours).where(rumours.c.id == ref.id)).one()
    move = _move(row)
    evidence = [_evidence(r) for r in _claims_of(conn, [ref.id], everything)]
    resolutions = _rivals(conn, everything, move.subject_key, move.to_key).resolutions(ref.id, move)
    if start is None:
        start = evidence[0].published if evidence else end
    by_day: dict[date, list[Evidence]] = defaultdict(list)
    for e in evidence:
        by_day[e.published].append(e)
    for r in resolutions:
        by_day.setdefault(r.published, [])
    points = []
    known = 0
    for day in _days(start, end):
        while known < len(evidence) and evidence[known].published <= day:
            known += 1
        explained = explain(move, evidence[:known], day, settings, resolutions)
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


def parse_moment(as_of: str | None, known_at: str | None, today: date) -> Moment:
    """The user's --as-of (a day; default today) and --known-at (a timestamp, or a day
    meaning the end of that day, UTC)."""
    from ledger.claims import check_date
    from ledger.errors import InvalidClaim

    day = today if as_of is None else check_date("as-of", as_of, date.max)
    if known_at is None:
        return Moment(day)
    try:
        if len(known_at.strip()) == 10:
            stamp = datetime.combine(check_date("known-at", known_at, date.max), time.max)
        else:
            stamp = datetime.fromisoformat(known_at.strip())
    except ValueError:
        raise InvalidClaim("known-at", f"{known_at!r} is not an ISO timestamp") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return Moment(day, stamp)
