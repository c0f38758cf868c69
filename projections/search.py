"""Finding claims: by words of the claim, source, club, person, type and published dates.

Names are matched by name key (case, accents and spacing aside), through the aliases in
force, or as part of a longer name: "FC Bayern München" finds the claims filed under "Bayern
Munich" once the alias is declared, and "ancelotti" finds "Carlo Ancelotti".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from rumour_ledger.ledger.aliases import AliasKind
from rumour_ledger.ledger.names import name_key
from rumour_ledger.projections.aliases import Names, names_in_force
from rumour_ledger.projections.claims import naive_utc
from rumour_ledger.projections.retracted import is_claim, not_retracted_then
from rumour_ledger.projections.tables import claims, rumours
from rumour_ledger.projections.views import event_dict

CLAIM_TYPES = ("report", "denial", "confirmation", "collapse", "retraction", "restoration")
# What a search finds unless told a type: the claims, not the retractions of them (nor
# the restorations that undo those).
SEARCHED = CLAIM_TYPES[:-2]


@dataclass(frozen=True, slots=True)
class Query:
    """What to look for; every field left empty matches everything."""

    text: str | None = None
    source: str | None = None
    club: str | None = None
    person: str | None = None
    kinds: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    known_at: datetime | None = None
    live: bool = False
    limit: int | None = None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _named(names: Names, kind: AliasKind, name: str, *columns: Any) -> Any:
    """Any of the columns holds a name that stands for the same entity as this one (through
    the aliases), or contains it: "ancelotti" finds "Carlo Ancelotti"."""
    key = name_key(name)
    same = names.aliases_of(kind, names.resolve(kind, key) or key)
    return or_(
        *(column.in_(same) for column in columns),
        *(column.like(_like(key), escape="\\") for column in columns),
    )


def conditions(query: Query, names: Names) -> list[Any]:
    """The query as SQL conditions over claims joined to their rumours."""
    where: list[Any] = []
    if query.text:
        # lower() on both sides: SQLite's LIKE folds ASCII letters only, PostgreSQL's none.
        where.append(func.lower(claims.c.claim).like(_like(query.text.lower()), escape="\\"))
    if query.source:
        where.append(
            _named(names, AliasKind.SOURCE, query.source, claims.c.source_key, claims.c.cites_key)
        )
    if query.club:
        where.append(
            _named(names, AliasKind.CLUB, query.club, rumours.c.from_key, rumours.c.to_key)
        )
    if query.person:
        where.append(_named(names, AliasKind.PERSON, query.person, rumours.c.subject_key))
    # Retractions are entries, not claims: listed when asked for; a retracted claim is
    # listed anyway, marked.
    where.append(claims.c.kind.in_(query.kinds or SEARCHED))
    if query.since is not None:
        where.append(claims.c.published >= query.since)
    if query.until is not None:
        where.append(claims.c.published <= query.until)
    if query.known_at is not None:
        where.append(claims.c.recorded_at <= naive_utc(query.known_at))
    if query.live:
        where.append(_not_retracted(query.known_at))
    return where


def _not_retracted(known_at: datetime | None) -> Any:
    return not_retracted_then(known_at)


def search(conn: Connection, query: Query) -> Iterator[dict[str, Any]]:
    """The matching entries in published-date order, each with its rumour; a claim retracted
    after `known_at` is shown as it stood then, not retracted."""
    names = names_in_force(conn, query.known_at)
    statement = (
        select(claims, rumours.c.label, rumours.c.role)
        .join(rumours, rumours.c.id == claims.c.rumour_id)
        .where(*conditions(query, names))
        .order_by(claims.c.published, claims.c.position)
        .limit(query.limit)
    )
    for row in conn.execute(statement):
        entry = event_dict(row, query.known_at, conn)
        yield {"rumour_id": str(uuid.UUID(row.rumour_id)), "rumour": row.label, **entry}


def ledger_summary(conn: Connection, known_at: datetime | None = None) -> dict[str, Any]:
    """How much the ledger holds: rumours, entries by type, sources, clubs, people, dates."""
    recorded = [] if known_at is None else [claims.c.recorded_at <= naive_utc(known_at)]
    by_kind = dict(
        conn.execute(
            select(claims.c.kind, func.count()).where(*recorded).group_by(claims.c.kind)
        ).all()
    )
    first, last = conn.execute(
        select(func.min(claims.c.published), func.max(claims.c.published)).where(
            is_claim(), *recorded
        )
    ).one()
    names = names_in_force(conn, known_at)
    moves = select(rumours).where(
        rumours.c.id.in_(select(claims.c.rumour_id).where(*recorded).scalar_subquery())
    )
    rows = conn.execute(moves).all()
    clubs = {names.club(k) for r in rows for k in (r.from_key, r.to_key) if k}
    people = {names.person(r.subject_key) for r in rows}
    sources = {
        names.source(k)
        for (k,) in conn.execute(
            select(claims.c.source_key)
            .where(claims.c.source_key.is_not(None), *recorded)
            .distinct()
        )
    }
    return {
        "rumours": len(rows),
        "entries": sum(by_kind.values()),
        **{f"{kind}s": int(by_kind.get(kind, 0)) for kind in CLAIM_TYPES},
        "sources": len(sources),
        "clubs": len(clubs),
        "people": len(people),
        "first_claim": None if first is None else first.isoformat(),
        "last_claim": None if last is None else last.isoformat(),
    }


def entities(
    conn: Connection,
    kind: AliasKind,
    known_at: datetime | None = None,
    as_of: date | None = None,
) -> list[dict[str, Any]]:
    """Every club or person the ledger's live claims name (aliases merged), with its rumour
    and claim counts, most spoken of first; retracted claims are left out, as `list` leaves
    them out. As of a day, only claims published by then count."""
    names = names_in_force(conn, known_at)
    recorded = [] if known_at is None else [claims.c.recorded_at <= naive_utc(known_at)]
    if as_of is not None:
        recorded.append(claims.c.published <= as_of)
    live = and_(is_claim(), _not_retracted(known_at), *recorded)
    counts: dict[str, dict[str, Any]] = {}

    def add(key: str | None, shown: str | None, rumour: str, claims_n: int) -> None:
        if not key or shown is None:
            return
        canonical = names.resolve(kind, key) or key
        entry = counts.setdefault(
            canonical,
            {"name": names.canonical_name(kind, canonical, shown), "rumours": set(), "claims": 0},
        )
        if rumour not in entry["rumours"]:  # a club on both ends of a move counts it once
            entry["rumours"].add(rumour)
            entry["claims"] += claims_n

    per_rumour = (
        select(claims.c.rumour_id, func.count().label("n"))
        .where(live)
        .group_by(claims.c.rumour_id)
        .subquery()
    )
    statement = select(rumours, per_rumour.c.n).join(
        per_rumour, per_rumour.c.rumour_id == rumours.c.id
    )
    for row in conn.execute(statement):
        if kind is AliasKind.PERSON:
            add(row.subject_key, row.subject, row.id, row.n)
        else:
            add(row.from_key, row.from_club, row.id, row.n)
            add(row.to_key, row.to_club, row.id, row.n)
    listed = [
        {"name": e["name"], "rumours": len(e["rumours"]), "claims": e["claims"]}
        for e in counts.values()
    ]
    return sorted(listed, key=lambda e: (-e["claims"], name_key(e["name"])))
