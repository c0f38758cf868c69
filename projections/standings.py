"""Standings: each move as its claims leave it, so the board weighs one row per move.

After a move's last claim, its explanation keeps the same counted claims, status and
counts on every later day: only decay, its sources' records and rivals confirmed since
move it. A standing stores that explanation's shape and those later confirmations; the
board ages it to the day asked, by the same arithmetic as `likelihood.explain`, and folds
claims afresh only for moves with claims on both sides of that day.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Connection

from rumour_ledger.projections import bulk
from rumour_ledger.projections.evidence import Rivals, Rumoured
from rumour_ledger.projections.likelihood import (
    CONFIRMED,
    DENIED,
    NOT_HAPPENED,
    OPEN,
    Ageing,
    Evidence,
    Settings,
    discounted,
    explain,
)
from rumour_ledger.projections.tables import chunked

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
    "first_end",
    "last_end",
    "last_end_reason",
    "ended_after",
)


class Standing(NamedTuple):
    """What the board reads of a standing; days as ISO text, as SQLite returns them."""

    id: str
    subject: str
    from_club: str | None
    to_club: str | None
    role: str
    label: str
    merged: str
    last_day: str
    status: str
    resolved_by: str | None
    reports: int
    denials: int
    confirmations: int
    origins: int
    relays: int
    last_claim: str | None
    parts: str
    first_end: str | None
    last_end: str | None
    last_end_reason: str | None
    ended_after: str


class Rank(NamedTuple):
    """What the board ranks a standing by: read first, so that a board cut to its top
    moves reads the rest of only the standings it shows."""

    id: str
    label: str
    last_day: str
    status: str
    parts: str
    first_end: str | None


def standings_by(conn: Connection, day: date) -> Iterator[Standing]:
    """The standings of moves spoken of on or before a day, from the driver's own cursor
    (the board reads hundreds of thousands of them; a result wrapper per row would double
    the cost)."""
    return _read(conn, Standing, _on_or_before(conn), (day.isoformat(),))


def ranks_by(conn: Connection, day: date) -> Iterator[Rank]:
    """The ranking columns of the standings `standings_by` reads."""
    return _read(conn, Rank, _on_or_before(conn), (day.isoformat(),))


def standings_of(conn: Connection, ids: Sequence[str]) -> Iterator[Standing]:
    """The standings of some moves, by their ids as the board shows them."""
    for chunk in chunked([i.replace("-", "") for i in ids]):
        marks = ", ".join(bulk.marks(conn.dialect, len(chunk)))
        yield from _read(conn, Standing, f"move_id IN ({marks})", tuple(chunk))


def confirmed_by(conn: Connection, day: date, limit: int) -> list[tuple[str, str]]:
    """The label and id of the first `limit` moves, by label then id, confirmed by a day
    whose news had all come by then: each stands at 1.0 on that day, whatever came after."""
    marks = bulk.marks(conn.dialect, 2)
    # Ordered as Python orders strings: by code point, which is UTF-8's byte order, so
    # SQLite's binary collation and PostgreSQL's "C" one.
    collate = ' COLLATE "C"' if conn.dialect.name == "postgresql" else ""
    # A plain pass over the table: a tenth of the standings are confirmations, and the
    # last_day index would lead to nearly all of them one by one.
    last_day = "+last_day" if conn.dialect.name == "sqlite" else "last_day"
    query = (
        f"SELECT label, id FROM standings WHERE status = 'confirmed' AND {last_day} <= {marks[0]} "
        f"ORDER BY label{collate}, id{collate} LIMIT {marks[1]}"
    )
    return [tuple(row) for row in bulk.streamed(conn, query, (day.isoformat(), limit))]


def most_origins(conn: Connection) -> int:
    """The most origins any standing counts (through its index: a pass over the table
    took a third of a board cut to its top moves)."""
    found = conn.exec_driver_sql("SELECT max(origins) FROM standings").scalar()
    return found or 0


def unfolding_on(conn: Connection, day: date) -> list[str]:
    """The ids of moves with news both on or before a day and after it."""
    return [row[0] for row in bulk.streamed(conn, unfolding_query(conn), (day.isoformat(),) * 2)]


def unfolding_query(conn: Connection) -> str:
    mark = bulk.marks(conn.dialect, 1)[0]
    # Through the last_day index: as of today no move has news after the day, so it finds
    # none at once. SQLite, keeping no statistics, otherwise took whichever of the two
    # indexes the schema listed first, and the first_day one walked every standing (0.9 s
    # of a 1.1 s board cut to its top 50 at 1M).
    first_day = "+first_day" if conn.dialect.name == "sqlite" else "first_day"
    return f"SELECT id FROM standings WHERE last_day > {mark} AND {first_day} <= {mark}"


def hopefuls(
    conn: Connection, day: date, since: date, before: date | None = None
) -> Iterator[tuple[Rank, int]]:
    """The open and denied standings last spoken of from one day to the day asked (and
    before another, if given), not ended by a rival by the day asked, with how many
    origins each counts."""
    marks = bulk.marks(conn.dialect, 4)
    columns = ", ".join(Rank._fields)
    query = (
        f"SELECT {columns}, origins FROM standings WHERE last_day >= {marks[0]} "
        f"AND last_day <= {marks[1]} AND status IN ('open', 'denied') "
        f"AND (first_end IS NULL OR first_end > {marks[2]})"
    )
    params: tuple[str, ...] = (since.isoformat(), day.isoformat(), day.isoformat())
    if before is not None:
        query += f" AND last_day < {marks[3]}"
        params += (before.isoformat(),)
    text_days = conn.dialect.name == "sqlite"
    for row in bulk.streamed(conn, query, params):
        values = row if text_days else tuple(map(_as_text, row))
        yield Rank._make(values[:-1]), values[-1]


def _on_or_before(conn: Connection) -> str:
    mark = bulk.marks(conn.dialect, 1)[0]
    if conn.dialect.name == "sqlite":
        # The unary plus keeps SQLite off the first_day index, which it otherwise takes
        # (it keeps no statistics): for a recent day that index leads to nearly every row
        # in a random order, and reading 272,515 standings took 3.1 s that way against
        # 1.1 s in one pass over the table.
        return f"+first_day <= {mark}"
    return f"first_day <= {mark}"


ShapeT = TypeVar("ShapeT", Standing, Rank)


def _read(
    conn: Connection, shape: type[ShapeT], where: str, params: tuple[Any, ...]
) -> Iterator[ShapeT]:
    columns = ", ".join(shape._fields)
    query = f"SELECT {columns} FROM standings WHERE {where}"
    make = shape._make
    if conn.dialect.name == "sqlite":
        for row in bulk.streamed(conn, query, params):
            yield make(row)
    else:
        for row in bulk.streamed(conn, query, params):
            yield make(map(_as_text, row))


def _as_text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def standing_row(found: Rumoured, evidence: Sequence[Evidence], rival: Rivals) -> tuple[Any, ...]:
    """The standing of one move with at least one claim, as stored (STANDING_COLUMNS)."""
    resolutions = rival.resolutions(found.key, found.move.role)
    published = [e.published for e in evidence]
    last_day = max(published)
    explained = explain(found.move, evidence, last_day, UNWEIGHED, resolutions)
    # A rival confirmed after the move's last claim ends it from that day (a move confirmed
    # itself stays confirmed, weighing no claim): kept apart, so the standing holds from
    # the last claim on.
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
        *_ends(sorted(ended_after.items())),
    )


def _ends(ended: list[tuple[int, str]]) -> tuple[Any, ...]:
    if not ended:
        return None, None, None, "[]"
    first, last = date.fromordinal(ended[0][0]), date.fromordinal(ended[-1][0])
    return first.isoformat(), last.isoformat(), ended[-1][1], json.dumps(ended)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


class Aged(NamedTuple):
    """A standing aged to a day: what the board shows of it, before it is made a row."""

    likelihood: float  # rounded, as shown
    status: str
    origins: int
    relays: int
    resolved_by: str | None
    standing: Standing

    @property
    def label(self) -> str:
        return self.standing.label

    @property
    def id(self) -> str:
        return self.standing.id

    def row(self) -> dict[str, Any]:
        s = self.standing
        return {
            "id": s.id,
            "subject": s.subject,
            "from": s.from_club,
            "to": s.to_club,
            "role": s.role,
            "label": s.label,
            "likelihood": self.likelihood,
            "status": self.status,
            "reports": s.reports,
            "denials": s.denials,
            "confirmations": s.confirmations,
            "origins": self.origins,
            "relays": self.relays,
            "last_claim": s.last_claim,
            "resolved_by": self.resolved_by,
            "merged": json.loads(s.merged) if s.merged != "[]" else [],
        }


WeightFor = Callable[[str, str, bool], float]


def ranked_on(
    row: Rank | Standing, as_of: str, ageing: Ageing, weight_for: WeightFor
) -> tuple[float, str]:
    """A standing's likelihood (rounded, as shown) and status on a day (ISO text, as
    `ageing`'s) on or after its last day."""
    if row.first_end is not None and row.first_end <= as_of:
        # Ended by a rival confirmed after its last claim: every claim came before the
        # ending, so none is weighed (as in explain); a move confirmed itself stays so.
        return (1.0, CONFIRMED) if row.status == CONFIRMED else (0.0, NOT_HAPPENED)
    if row.status in (OPEN, DENIED):
        # Parts are stored in claim order, which breaks ties between concurring outlets.
        parts = json.loads(row.parts)
        said = [(weight_for(o, kind, party), party, day) for o, kind, day, party in parts]
        weights = discounted(said, ageing.concurring_discount, ageing.half_life)
        counted = [(weight, part[2]) for weight, part in zip(weights, parts, strict=True)]
        return round(ageing.likelihood(counted), 6), row.status
    return (1.0 if row.status == CONFIRMED else 0.0), row.status


def aged_on(row: Standing, as_of: str, ageing: Ageing, weight_for: WeightFor) -> Aged:
    """A standing aged to a day (ISO text, as `ageing`'s) on or after its last day."""
    likelihood, status = ranked_on(row, as_of, ageing, weight_for)
    ended = _ended_by(row, as_of)
    if ended is None:
        return Aged(likelihood, status, row.origins, row.relays, row.resolved_by, row)
    return Aged(likelihood, status, 0, 0, row.resolved_by if status == CONFIRMED else ended, row)


def _ended_by(row: Standing, as_of: str) -> str | None:
    """The rival confirmation after the move's last claim that ended it by a day, if any."""
    if row.first_end is None or row.first_end > as_of:
        return None
    if row.last_end is not None and row.last_end <= as_of:
        return row.last_end_reason
    day = date.fromisoformat(as_of).toordinal()
    ended = [reason for on, reason in json.loads(row.ended_after) if on <= day]
    return ended[-1] if ended else None
