"""Whether an entry stood retracted at a recording time: one rule for every read model.

A claim row keeps the retraction standing now (retracted_by, NULL once it is undone) and
when it was last retracted (retracted_at, kept after an undo); a retraction row undone by a
restoration is itself marked retracted, by the restoration, at the time it was recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, or_, select

from rumour_ledger.projections.claim_rows import naive_utc
from rumour_ledger.projections.tables import chunked, claims


def retracted_then(known_at: datetime | None) -> Any:
    """SQL: the claim row (of `claims`) was retracted now, or as the ledger stood at known_at."""
    if known_at is None:
        return claims.c.retracted_by.is_not(None)
    then = naive_utc(known_at)
    earlier = claims.alias("earlier")
    # Only a claim ever retracted can have stood retracted by a retraction undone since.
    undone_since = and_(
        claims.c.retracted_at.is_not(None),
        exists().where(
            earlier.c.kind == "retraction",
            earlier.c.retracts == claims.c.id,
            earlier.c.recorded_at <= then,
            earlier.c.retracted_at > then,
        ),
    )
    standing = and_(claims.c.retracted_by.is_not(None), claims.c.retracted_at <= then)
    return or_(standing, undone_since)


def retracted_ids(conn: Connection, rows: Iterable[Any], known_at: datetime | None) -> set[str]:
    """Of these claim rows, the ids of those retracted at known_at (now, if None): asks the
    store only about rows once retracted and known at a past time, a handful at most."""
    rows = list(rows)
    if known_at is None:
        return {row.id for row in rows if row.retracted_by is not None}
    wanted = [row.id for row in rows if row.retracted_at is not None]
    found: set[str] = set()
    for ids in chunked(wanted):
        query = select(claims.c.id).where(claims.c.id.in_(ids), retracted_then(known_at))
        found.update(conn.execute(query).scalars())
    return found


def not_retracted_then(known_at: datetime | None) -> Any:
    return ~retracted_then(known_at) if known_at is not None else claims.c.retracted_by.is_(None)


# The entries that are no claim: each withdraws another (a claim, a retraction).
WITHDRAWALS = ("retraction", "restoration")


def is_claim() -> Any:
    """SQL: the row is a claim (report, denial, confirmation, collapse)."""
    return claims.c.kind.not_in(WITHDRAWALS)
