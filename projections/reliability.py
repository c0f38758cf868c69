"""Sources' learned reliabilities on any day, read from the calls model rather than replayed.

With the default horizon, a record on a day is one indexed row per source (`record_days`);
with another horizon the stored calls are scored again, which reads every call of the
sources asked about. A record is made of the calls that held on that day (see
projections/calls.py), so no day's answer uses an outcome from after it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date
from itertools import groupby
from typing import Any, NamedTuple

from sqlalchemy import Connection, Date, bindparam, func, select, text, union_all

from rumour_ledger.projections import bulk
from rumour_ledger.projections import records as track
from rumour_ledger.projections.evidence import (
    Moment,
    catalogue,
    evidence_by_move,
    names_at,
    rivals,
)
from rumour_ledger.projections.likelihood import REPORT, Settings
from rumour_ledger.projections.tables import OUTCOMES_KEY, calls, chunked, record_days

DEFAULT_HORIZON = Settings().horizon_days
Counts = dict[str, tuple[int, int]]  # source key -> (right, scored)


@dataclass(frozen=True, slots=True)
class Scored:
    """One stored call (a source's own, not relayed), as a record needs it."""

    source_key: str
    kind: str
    happened: bool
    lead_days: int
    valid_from: date
    valid_to: date | None

    def right(self, horizon_days: float) -> bool:
        return track.call_was_right(self.kind, self.happened, self.lead_days, horizon_days)


class RecordDay(NamedTuple):
    """A source's record from a day on: how many calls held, and how many were right."""

    source_key: str
    day: date
    scored: int
    right: int


class RecordChanges:
    """Each source's record changes by day, gathered call by call."""

    def __init__(self, horizon_days: float) -> None:
        self.horizon_days = horizon_days
        self.changes: dict[tuple[str, date], list[int]] = {}

    def add(self, call: Scored) -> None:
        right = int(call.right(self.horizon_days))
        start = self.changes.setdefault((call.source_key, call.valid_from), [0, 0])
        start[0] += 1
        start[1] += right
        if call.valid_to is not None:
            end = self.changes.setdefault((call.source_key, call.valid_to), [0, 0])
            end[0] -= 1
            end[1] -= right

    def days(self) -> list[RecordDay]:
        """Each source's record on every day it changed, in source then day order."""
        days = []
        for key, group in groupby(sorted(self.changes.items()), key=lambda item: item[0][0]):
            total = right_so_far = 0
            for (_key, day), (scored_delta, right_delta) in group:
                total += scored_delta
                right_so_far += right_delta
                days.append(RecordDay(key, day, total, right_so_far))
        return days


def record_days_of(scored: Iterable[Scored], horizon_days: float) -> list[RecordDay]:
    """Each source's record on every day it changed, in source then day order."""
    changes = RecordChanges(horizon_days)
    for call in scored:
        changes.add(call)
    return changes.days()


def learned_from_counts(settings: Settings, counts: Counts) -> Settings:
    """As records.learned, from each source's (right, scored) counts, and the ledger's
    outcomes, if among them, as (happened, resolved) under OUTCOMES_KEY: those first, as
    the prior in use is what an unrated source's reliability starts from."""
    if OUTCOMES_KEY in counts:
        settings = replace(settings, outcomes=counts[OUTCOMES_KEY])
    reliabilities = dict(settings.reliabilities)
    for key, (right, scored) in counts.items():
        if scored and key != OUTCOMES_KEY:
            reliabilities[key] = track.posterior(
                settings.reliability_for(key),
                settings.reliability_prior_strength,
                right,
                scored - right,
            )
    return replace(settings, reliabilities=reliabilities)


def reliability_from_counts(settings: Settings, counts: Counts, key: str) -> float:
    """One source's reliability as `learned_from_counts` would give it."""
    right, scored = counts.get(key, (0, 0))
    prior = settings.reliability_for(key)
    if not scored:
        return prior
    return track.posterior(prior, settings.reliability_prior_strength, right, scored - right)


def learned_on(
    conn: Connection, day: date, settings: Settings, source_keys: Iterable[str] | None = None
) -> Settings:
    """The settings with the ledger's outcomes and every scored source's reliability as
    they stood on a day (every source's, or only these)."""
    if settings.horizon_days != DEFAULT_HORIZON:
        keys = None if source_keys is None else sorted(set(source_keys))
        counts = _rescored_on(conn, day, settings, keys)
        counts[OUTCOMES_KEY] = outcomes_on(conn, Moment(day))
        return learned_from_counts(settings, counts)
    counts: Counts = {}
    if source_keys is None:
        queries = _all_latest(conn.dialect.name, day)
    else:
        queries = _latest(conn.dialect.name, dict.fromkeys([OUTCOMES_KEY, *source_keys], day))
    for query in queries:
        counts.update({row[0]: (row[2], row[1]) for row in conn.execute(query)})
    return learned_from_counts(settings, counts)


def with_outcomes(conn: Connection, moment: Moment, settings: Settings) -> Settings:
    """The settings with the ledger's outcomes as of a moment (see `outcomes_on`)."""
    return replace(settings, outcomes=outcomes_on(conn, moment))


def outcomes_on(conn: Connection, moment: Moment) -> tuple[int, int]:
    """The ledger's moves as they count toward its base rate as of a moment: (happened,
    resolved). As the ledger stands now, one indexed row."""
    if moment.known_at is not None:
        return outcomes_worked_out(conn, moment)
    for query in _latest(conn.dialect.name, {OUTCOMES_KEY: moment.as_of}):
        for _key, resolved, happened in conn.execute(query):
            return happened, resolved
    return 0, 0


def outcomes_worked_out(conn: Connection, moment: Moment) -> tuple[int, int]:
    """The ledger's outcomes as of a moment, worked out from every move's claims: what a
    past recording time needs, which the stored read model does not keep. It reads the
    whole ledger, as a board at a past recording time does."""
    names = names_at(conn, moment)
    found = catalogue(conn, names)
    evidence = evidence_by_move(conn, found, moment)
    rival = rivals(conn, moment, found)
    return track.outcomes_of(found.moves, evidence, rival, moment.as_of)


def _latest(dialect: str, days: Mapping[str, date]) -> Iterator[Any]:
    """Each source's last record day on or before its own day: one index probe per source,
    in one statement whatever the number of sources (built as a union of probes, a rumour
    with hundreds of sources spent 0.2 s putting the statement together)."""
    keys = sorted(days)
    if dialect == "sqlite":
        pairs = json.dumps([[key, days[key].isoformat()] for key in keys])
        yield text(_PROBES[dialect]).bindparams(bindparam("pairs", pairs))
        return
    if dialect == "postgresql":
        yield text(_PROBES[dialect]).bindparams(
            bindparam("keys", keys), bindparam("days", [days[key] for key in keys])
        )
        return
    for chunk in chunked(keys):
        probes = [
            select(record_days.c.source_key, record_days.c.scored, record_days.c.right)
            .where(record_days.c.source_key == key, record_days.c.day <= days[key])
            .order_by(record_days.c.day.desc())
            .limit(1)
            .subquery()
            .select()
            for key in chunk
        ]
        yield union_all(*probes) if len(probes) > 1 else probes[0]


# Sources and their days come as one JSON list of [key, day] pairs on SQLite and as two
# arrays on PostgreSQL.
_PROBES = {
    "sqlite": """
        SELECT r.source_key, r.scored, r."right" FROM json_each(:pairs) source
        JOIN record_days r ON r.rowid = (
            SELECT rowid FROM record_days
            WHERE source_key = json_extract(source.value, '$[0]')
                AND day <= json_extract(source.value, '$[1]')
            ORDER BY day DESC LIMIT 1
        )""",
    "postgresql": """
        SELECT latest.source_key, latest.scored, latest."right"
        FROM unnest(CAST(:keys AS text[]), CAST(:days AS date[])) AS source(key, day)
        CROSS JOIN LATERAL (
            SELECT source_key, scored, "right" FROM record_days
            WHERE source_key = source.key AND day <= source.day ORDER BY day DESC LIMIT 1
        ) latest""",
}


def _all_latest(dialect: str, day: date) -> Iterator[Any]:
    """Every source's last record day on or before a day. SQLite and PostgreSQL walk the
    primary key from one source to the next and probe each for its day (a "loose index
    scan", one probe per source): grouping or DISTINCT ON reads every record day, 0.6 s and
    1-3 s at 1M, against 0.08 s and 0.2 s this way. Elsewhere a window function."""
    if dialect in _SKIP_SCANS:
        yield text(_SKIP_SCANS[dialect]).bindparams(bindparam("day", day, type_=Date))
        return
    days = record_days.c
    ranked = select(
        days.source_key,
        days.scored,
        days.right,
        func.row_number()
        .over(partition_by=days.source_key, order_by=days.day.desc())
        .label("rank"),
    ).where(days.day <= day)
    latest = ranked.subquery()
    yield select(latest.c.source_key, latest.c.scored, latest.c.right).where(latest.c.rank == 1)


_SKIP_SCANS = {
    "sqlite": """
        WITH RECURSIVE source(key) AS (
            SELECT min(source_key) FROM record_days
            UNION ALL
            SELECT (SELECT min(source_key) FROM record_days WHERE source_key > source.key)
            FROM source WHERE source.key IS NOT NULL
        )
        SELECT r.source_key, r.scored, r."right" FROM source JOIN record_days r ON r.rowid = (
            SELECT rowid FROM record_days
            WHERE source_key = source.key AND day <= :day ORDER BY day DESC LIMIT 1
        )""",
    "postgresql": """
        WITH RECURSIVE source(key) AS (
            (SELECT source_key FROM record_days ORDER BY source_key LIMIT 1)
            UNION ALL
            SELECT (
                SELECT r.source_key FROM record_days r
                WHERE r.source_key > source.key ORDER BY r.source_key LIMIT 1
            )
            FROM source WHERE source.key IS NOT NULL
        )
        SELECT latest.source_key, latest.scored, latest."right" FROM source CROSS JOIN LATERAL (
            SELECT source_key, scored, "right" FROM record_days
            WHERE source_key = source.key AND day <= :day ORDER BY day DESC LIMIT 1
        ) latest""",
}


def _by_keys(query: Any, column: Any, keys: Iterable[str] | None) -> Iterator[Any]:
    if keys is None:
        yield query
        return
    for chunk in chunked(sorted(set(keys))):
        yield query.where(column.in_(chunk))


def _rescored_on(conn: Connection, day: date, settings: Settings, keys: Any) -> Counts:
    counts: Counts = {}
    for call in scored_calls(conn, keys, day):
        if call.valid_to is None or day < call.valid_to:
            right, scored = counts.get(call.source_key, (0, 0))
            counts[call.source_key] = (right + call.right(settings.horizon_days), scored + 1)
    return counts


def scored_calls(conn: Connection, source_keys: Iterable[str] | None, until: date) -> list[Scored]:
    """The stored own calls of some sources (or all) that began to hold by a day."""
    query = select(
        calls.c.source_key,
        calls.c.kind,
        calls.c.happened,
        calls.c.lead_days,
        calls.c.valid_from,
        calls.c.valid_to,
    ).where(calls.c.relayed.is_(False), calls.c.valid_from <= until)
    return [
        Scored(*row)
        for chunk in _by_keys(query, calls.c.source_key, source_keys)
        for row in conn.execute(chunk)
    ]


# Each day a record changed: by source key, its (right, scored) from that day on.
Changes = dict[date, dict[str, tuple[int, int]]]


def stored_days(conn: Connection, needed: Mapping[str, date], until: date) -> Changes:
    """Some sources' records as each stood on the first day it is needed, and every change
    after that up to a day."""
    changes = _changes(conn, needed, until)
    for query in _latest(conn.dialect.name, needed):
        for key, scored, right in conn.execute(query):
            changes.setdefault(needed[key], {})[key] = (right, scored)
    return changes


_CHANGES = {
    "sqlite": """
        SELECT r.source_key, r.day, r."right", r.scored FROM json_each(?) source
        JOIN record_days r ON r.source_key = json_extract(source.value, '$[0]')
            AND r.day > json_extract(source.value, '$[1]') AND r.day <= ?""",
    "postgresql": """
        SELECT r.source_key, r.day, r."right", r.scored
        FROM unnest(%s::text[], %s::date[]) AS source(key, day)
        JOIN record_days r ON r.source_key = source.key AND r.day > source.day
        WHERE r.day <= %s""",
}


def _changes(conn: Connection, needed: Mapping[str, date], until: date) -> Changes:
    """Every change of some sources' records after the first day each is needed, up to a
    day. A busy rumour's big outlets change theirs nearly every day: the hottest rumour of a
    million events reads 209,068 (352,623 when every source was read from the first day),
    so they come from the driver's own cursor, in one statement, gathered by day as they
    come (a tuple and a date for each took a fifth of its timeline)."""
    dialect = conn.dialect.name
    keys = sorted(needed)
    by_day: dict[Any, dict[str, tuple[int, int]]] = {}
    if dialect in _CHANGES:
        if dialect == "sqlite":
            pairs = json.dumps([[key, needed[key].isoformat()] for key in keys])
            params: tuple[Any, ...] = (pairs, until.isoformat())
        else:
            params = (keys, [needed[key] for key in keys], until)
        for key, day, right, scored in bulk.streamed(conn, _CHANGES[dialect], params):
            found = by_day.get(day)
            if found is None:
                found = by_day[day] = {}
            found[key] = (right, scored)
    else:
        days = record_days.c
        for chunk in chunked(keys):
            since = min(needed[key] for key in chunk)
            query = select(record_days).where(
                days.source_key.in_(chunk), days.day > since, days.day <= until
            )
            for key, day, scored, right in conn.execute(query):
                if day > needed[key]:
                    by_day.setdefault(day, {})[key] = (right, scored)
    # SQLite gives the days as ISO text: each distinct one is read once.
    return {_as_date(day): changed for day, changed in by_day.items()}


def _as_date(day: date | str) -> date:
    return date.fromisoformat(day) if isinstance(day, str) else day


class RecordsThroughTime:
    """Sources' records as the days go by: asked day after day, never back."""

    def __init__(self, changes: Changes) -> None:
        self.changes = changes
        self.days = sorted(changes)
        self.next = 0
        self.counts: Counts = {}

    @classmethod
    def of(cls, days: Iterable[RecordDay]) -> RecordsThroughTime:
        """From record days in any order (grouped by day here, the days sorted by the
        constructor); of two for one source on one day, the later."""
        changes: Changes = {}
        for found in days:
            changes.setdefault(found.day, {})[found.source_key] = (found.right, found.scored)
        return cls(changes)

    def on(self, day: date) -> set[str]:
        """Move on to a day; the sources whose records changed since the day before."""
        moved: set[str] = set()
        while self.next < len(self.days) and self.days[self.next] <= day:
            changed = self.changes[self.days[self.next]]
            self.counts.update(changed)
            moved.update(changed)
            self.next += 1
        return moved


def records_through_time(
    conn: Connection, needed: Mapping[str, date], until: date, settings: Settings
) -> RecordsThroughTime:
    """The records of some sources from the calls model, day by day from the first day each
    is needed (by source key) up to another."""
    if settings.horizon_days == DEFAULT_HORIZON:
        return RecordsThroughTime(stored_days(conn, needed, until))
    # The ledger's outcomes do not depend on the horizon: those are stored whatever it is.
    outcomes = {key: day for key, day in needed.items() if key == OUTCOMES_KEY}
    changes = stored_days(conn, outcomes, until) if outcomes else {}
    for found in record_days_of(scored_calls(conn, needed, until), settings.horizon_days):
        changes.setdefault(found.day, {})[found.source_key] = (found.right, found.scored)
    return RecordsThroughTime(changes)


# A stored call's being right, in SQL (as `records.call_was_right` says it), with the
# horizon and the report kind as parameters: in time if it happened within the horizon of
# the claim; a report is right in time, a denial otherwise.
RIGHT = """CASE WHEN happened AND lead_days <= :horizon
    THEN CASE WHEN kind = :report THEN 1 ELSE 0 END
    ELSE CASE WHEN kind = :report THEN 0 ELSE 1 END END"""
# Each source's own and relayed calls that held on a day: how many, how many right, and
# how many agreed with what happened (a report of a move that happened, a denial of one
# that did not, whatever the horizon).
_TALLIES = f"""
SELECT source_key, relayed, COUNT(*), SUM({RIGHT}),
    SUM(CASE WHEN happened THEN CASE WHEN kind = :report THEN 1 ELSE 0 END
        ELSE CASE WHEN kind = :report THEN 0 ELSE 1 END END)
FROM calls WHERE valid_from <= :day AND (valid_to IS NULL OR valid_to > :day)
GROUP BY {{source}}, relayed"""


def tallies_on(conn: Connection, day: date, settings: Settings) -> dict[str, track.Tally]:
    """Every source's track record as counts on a day, from the calls that held then: one
    grouped pass over the calls model instead of working every rumour's outcome out again
    (which took `rumour sources` 33 s and 1 GB at a million events)."""
    # Grouped by the key itself, SQLite walks the (source_key, valid_from) index and
    # fetches every call from the table in that order: 7 s at 1M. Behind the unary plus
    # (a no-op) it reads the table in one pass and sorts: 1.1 s.
    source = "+source_key" if conn.dialect.name == "sqlite" else "source_key"
    query = text(_TALLIES.format(source=source)).bindparams(bindparam("day", type_=Date))
    params = {"day": day, "horizon": settings.horizon_days, "report": REPORT}
    own: dict[str, tuple[int, int, int]] = {}
    relayed: dict[str, tuple[int, int]] = {}
    for key, was_relayed, scored, right_ones, agreeing in conn.execute(query, params):
        if was_relayed:
            relayed[key] = (scored, right_ones)
        else:
            own[key] = (scored, right_ones, agreeing)
    tallies = {}
    for key in own.keys() | relayed.keys():
        scored, right_ones, agreeing = own.get(key, (0, 0, 0))
        prior = settings.reliability_for(key)
        strength = settings.reliability_prior_strength
        tallies[key] = track.Tally(
            scored=scored,
            right=right_ones,
            agreed=agreeing,
            relayed_scored=relayed.get(key, (0, 0))[0],
            relayed_right=relayed.get(key, (0, 0))[1],
            prior=prior,
            reliability=track.posterior(prior, strength, right_ones, scored - right_ones),
        )
    return tallies
