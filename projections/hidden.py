"""Which rumours are hidden: left out of the lists by their latest hide (not undone by an
unhide), as recorded by a time, while they have no live claim (a claim recorded since, or
a retraction undone, shows the rumour again without another event)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select

from rumour_ledger.projections.claim_rows import naive_utc
from rumour_ledger.projections.retracted import is_claim, not_retracted_then
from rumour_ledger.projections.tables import claims, hidings


def hidden_rumours(conn: Connection, known_at: datetime | None = None) -> set[str]:
    """The ids (32 hex digits) of the rumours hidden now, or as the ledger stood at known_at."""
    query = select(hidings.c.rumour_id, hidings.c.hidden).order_by(hidings.c.position)
    if known_at is not None:
        query = query.where(hidings.c.recorded_at <= naive_utc(known_at))
    latest: dict[str, bool] = {}
    for rumour_id, hidden in conn.execute(query):
        latest[rumour_id] = bool(hidden)
    wanted = [rumour_id for rumour_id, hidden in latest.items() if hidden]
    if not wanted:
        return set()
    recorded = [] if known_at is None else [claims.c.recorded_at <= naive_utc(known_at)]
    with_live = select(claims.c.rumour_id).where(
        claims.c.rumour_id.in_(wanted), is_claim(), not_retracted_then(known_at), *recorded
    )
    return set(wanted) - set(conn.execute(with_live.distinct()).scalars())
