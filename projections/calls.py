"""The per-move read models: each move's standing, and its sources' calls by the days they held.

Both are worked out per move from its claims and its rivals' confirmations; standings are
for the board (projections/standings.py), calls for track records. A source's record as of
a day is made of the moves resolved by then, and a move's resolution can change as days
pass: a rival's confirmation ends it, a later report reopens it, its own confirmation
settles it for good. So each move's outcome is worked out as a series of *episodes*,
stretches of published days over which it held, and every call of an episode is stored
with that stretch (`valid_from` inclusive, `valid_to` exclusive). A record as of any day is
then one indexed row per source (record_days), whatever the size of the ledger.

The models follow the claims model (they read its tables), with their own position in the
same transaction as their rows. A claim can only change its own subject's moves and, for
coaches, the moves to the same club, so only those are worked out again; an alias changes
how every move is grouped, so one means working everything out again.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, and_, bindparam, delete, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from rumour_ledger.ledger.aliases import AliasKind
from rumour_ledger.ledger.application import RumourLedger
from rumour_ledger.ledger.domain import Rumour
from rumour_ledger.ledger.store import Store
from rumour_ledger.projections import bulk
from rumour_ledger.projections import claims as claims_model
from rumour_ledger.projections import records as track
from rumour_ledger.projections.aliases import Names, names_in_force
from rumour_ledger.projections.evidence import (
    Catalogue,
    Moment,
    Rivals,
    Rumoured,
    evidence_by_move,
    rivals,
)
from rumour_ledger.projections.likelihood import CONFIRMATION, REPORT, Evidence, Settings
from rumour_ledger.projections.reliability import (
    DEFAULT_HORIZON,
    RIGHT,
    RecordDay,
    Scored,
)
from rumour_ledger.projections.spread import spread
from rumour_ledger.projections.standings import STANDING_COLUMNS, standing_row
from rumour_ledger.projections.tables import (
    OUTCOMES_KEY,
    calls,
    chunked,
    outcomes,
    positions,
    record_days,
    rumours,
    standings,
)
from rumour_ledger.projections.tracking import advance, position, store_error

NAME = "calls"
ALIAS_TOPICS = "rumour-ledger:Alias"
RECAST = Rumour.Recast.TOPIC
# Past this many new events, working out every move once is cheaper than finding the few.
FULL_AFTER = 20_000
MOVES_PER_CHUNK = 2_000
# A slice's rows wait in memory for the writer: at 1M, 807 slices of about 340 moves and
# 6,000 calls each (a star's slice holds many more).
SUBJECTS_PER_SLICE = 100
# Slices below which a whole rewrite starts no worker (about a 60,000-event ledger).
SPREAD_FROM = 50
EVERYTHING = Moment(date.max)
# The tables a whole rewrite loads without their secondary indexes, made again at the end.
INDEXED = (calls, standings, outcomes)
# Calls are stored unscored; the settings only matter to `right`, worked out when read.
DEFAULTS = Settings()


@dataclass(frozen=True, slots=True)
class Episode:
    """An outcome of a move and the published days on which it held."""

    valid_from: date
    valid_to: date | None
    outcome: track.Outcome


def episodes(found: Rumoured, evidence: Sequence[Evidence], rival: Rivals) -> list[Episode]:
    """The move's outcomes through time, from its claims and its rivals' confirmations.

    The same outcome `records.outcome` gives as of each day, found in one sweep: an outcome
    only changes on a day something about the move is published.
    """
    claims = sorted(evidence, key=lambda e: (e.published, e.position))
    confirmations = [e for e in claims if e.kind == CONFIRMATION]
    settled = None
    if confirmations:
        first = confirmations[0]
        settled = track.Outcome(True, first.published, f"confirmed by {first.source}")
    found_episodes: list[Episode] = []
    current: track.Outcome | None = None
    since: date | None = None
    for day, result in _open_outcomes(found, claims, rival):
        if settled is not None and day >= settled.resolved_on:
            break
        if result != current:
            if current is not None and since is not None:
                found_episodes.append(Episode(since, day, current))
            current, since = result, day
    if settled is not None:
        if current is not None and since is not None:
            found_episodes.append(Episode(since, settled.resolved_on, current))
        current, since = settled, settled.resolved_on
    if current is not None and since is not None:
        found_episodes.append(Episode(since, None, current))
    return found_episodes


def _open_outcomes(
    found: Rumoured, claims: list[Evidence], rival: Rivals
) -> Iterator[tuple[date, track.Outcome | None]]:
    """Day by day, whether a rival's confirmation has ended the (unconfirmed) move: the
    latest such confirmation ends it unless an origin's counted word since is a report
    (its latest own claim, else the first relay of it), as the likelihood fold rules."""
    ends: dict[date, str] = {}
    for r in rival.resolutions(found.key, found.move.role):
        ends[r.published] = max(ends.get(r.published, r.reason), r.reason)
    if not ends:
        return
    published = [c.published for c in claims]
    ending: tuple[date, str] | None = None
    own: dict[str, str] = {}
    relayed: dict[str, str] = {}
    for day in sorted({*ends, *(d for d in published if d >= min(ends))}):
        if day in ends:
            ending = (day, ends[day])  # claims up to the ending count for nothing after it
            own.clear()
            relayed.clear()
        else:
            for claim in claims[bisect.bisect_left(published, day) :]:
                if claim.published != day:
                    break
                if claim.kind == CONFIRMATION:
                    continue
                if claim.is_relay:
                    relayed.setdefault(claim.origin_key, claim.kind)
                else:
                    own[claim.origin_key] = claim.kind
        if ending is None:
            continue
        counted = {**relayed, **own}
        reopened = REPORT in counted.values()
        yield day, None if reopened else track.Outcome(False, ending[0], ending[1])


class Span(NamedTuple):
    """A stretch of published days over which a move counts toward the ledger's base rate,
    and how: happened or not (`records.counted_outcome` on each of its days)."""

    valid_from: date
    valid_to: date | None
    happened: bool


def outcome_spans(said: date | None, found: Sequence[Episode]) -> list[Span]:
    """The spans over which a move first spoken of on a day counts, from its episodes:
    each of them from that day on."""
    if said is None:
        return []
    spans = [
        Span(max(episode.valid_from, said), episode.valid_to, episode.outcome.happened)
        for episode in found
        if episode.valid_to is None or said < episode.valid_to
    ]
    return _joined(spans)


def _joined(spans: list[Span]) -> list[Span]:
    """Neighbouring spans of the same outcome as one."""
    joined: list[Span] = []
    for span in spans:
        last = joined[-1] if joined else None
        if last is not None and last.valid_to == span.valid_from and last.happened == span.happened:
            joined[-1] = Span(last.valid_from, span.valid_to, span.happened)
        else:
            joined.append(span)
    return joined


class StoredCall(NamedTuple):
    """One row of the calls table."""

    move_id: str
    source_key: str
    source: str
    relayed: bool
    kind: str
    published: date
    claim_id: str
    happened: bool
    resolved_on: date
    lead_days: int
    valid_from: date
    valid_to: date | None

    def stored(self) -> tuple[Any, ...]:
        """As the database stores it: dates as ISO text."""
        return (
            *self[:5],
            self.published.isoformat(),
            self.claim_id,
            self.happened,
            self.resolved_on.isoformat(),
            self.lead_days,
            self.valid_from.isoformat(),
            None if self.valid_to is None else self.valid_to.isoformat(),
        )

    def scored(self) -> Scored:
        return Scored(
            self.source_key,
            self.kind,
            self.happened,
            self.lead_days,
            self.valid_from,
            self.valid_to,
        )


def _calls(
    found: Rumoured,
    evidence: Sequence[Evidence],
    rival: Rivals,
    found_episodes: Sequence[Episode] | None = None,
) -> Iterator[tuple[Episode, list[tuple[str, bool, Evidence]]]]:
    """Every episode of one move (worked out, unless given), with who made a call in it
    and on which claim."""
    in_order = sorted(evidence, key=lambda e: (e.published, e.position))
    if found_episodes is None:
        found_episodes = episodes(found, evidence, rival)
    for episode in found_episodes:
        latest = track.latest_stances(in_order, episode.outcome.resolved_on)
        yield episode, [(key, relayed, e) for (key, relayed), e in latest.items()]


def call_rows(found: Rumoured, evidence: Sequence[Evidence], rival: Rivals) -> list[StoredCall]:
    """The rows of every call of every episode of one move."""
    rows = []
    for episode, callers in _calls(found, evidence, rival):
        result = episode.outcome
        for key, relayed, e in callers:
            rows.append(
                StoredCall(
                    found.ref.id,
                    key,
                    track.caller(e, relayed),
                    relayed,
                    e.kind,
                    e.published,
                    e.claim_id,
                    result.happened,
                    result.resolved_on,
                    (result.resolved_on - e.published).days,
                    episode.valid_from,
                    episode.valid_to,
                )
            )
    return rows


def stored_call_rows(
    found: Rumoured,
    evidence: Sequence[Evidence],
    rival: Rivals,
    found_episodes: Sequence[Episode] | None = None,
) -> list[tuple[Any, ...]]:
    """As call_rows, as the database stores them (StoredCall.stored), made directly: a
    whole rewrite makes 4.8 million of them at 1M.

    A call's own fields are made once and shared by its rows in every episode: a star's
    move ended by rivals and reopened hundreds of times holds the same calls in each (one
    slice of a 1M ledger, 358,288 rows, held 119 MB, each row with its own strings)."""
    rows = []
    move_id = found.ref.id
    said: dict[tuple[str, bool, str], tuple[Any, ...]] = {}
    for episode, callers in _calls(found, evidence, rival, found_episodes):
        result = episode.outcome
        resolved_on = result.resolved_on
        valid_to = None if episode.valid_to is None else _iso(episode.valid_to)
        outcome = (result.happened, _iso(resolved_on))
        held = (_iso(episode.valid_from), valid_to)
        for key, relayed, e in callers:
            call = (key, relayed, e.claim_id)
            row = said.get(call)
            if row is None:
                caller = track.caller(e, relayed)
                row = (move_id, key, caller, relayed, e.kind, _iso(e.published), e.claim_id)
                said[call] = row
            lead_days = (resolved_on - e.published).days
            rows.append((*row, *outcome, lead_days, *held))
    return rows


@lru_cache(maxsize=8192)
def _iso(day: date) -> str:
    """A day as stored, one string for each day: a slice holds hundreds of thousands of
    episodes' days, from a few thousand distinct ones."""
    return day.isoformat()


class Worked(NamedTuple):
    """Some moves' rows as stored: their standings, their calls and their outcome spans."""

    standings: list[tuple[Any, ...]]
    calls: list[tuple[Any, ...]]
    outcomes: list[tuple[Any, ...]]


def stored_outcome_rows(
    found: Rumoured, evidence: Sequence[Evidence], found_episodes: Sequence[Episode]
) -> list[tuple[Any, ...]]:
    """A move's outcome spans, as the database stores them."""
    spans = outcome_spans(track.first_said(evidence), found_episodes)
    return [
        (
            found.ref.id,
            _iso(span.valid_from),
            None if span.valid_to is None else _iso(span.valid_to),
            span.happened,
        )
        for span in spans
    ]


def _worked_out(conn: Connection, moves: Sequence[Rumoured], names: Names, rival: Rivals) -> Worked:
    """The standings and calls of these moves as their claims now stand."""
    member_ids = [i for move in moves for i in move.ids]
    found = Catalogue((m for move in moves for m in move.members), names)
    evidence = evidence_by_move(conn, found, EVERYTHING, member_ids)
    worked = Worked([], [], [])
    for move in moves:
        said = evidence.get(move.key)
        if not said:
            continue
        found_episodes = episodes(move, said, rival)
        worked.standings.append(standing_row(move, said, rival))
        worked.calls.extend(stored_call_rows(move, said, rival, found_episodes))
        worked.outcomes.extend(stored_outcome_rows(move, said, found_episodes))
    return worked


OUTCOME_COLUMNS = ("move_id", "valid_from", "valid_to", "happened")


def _write(conn: Connection, worked: Worked) -> None:
    if worked.standings:
        bulk.insert_rows(conn, standings, STANDING_COLUMNS, worked.standings)
    if worked.calls:
        bulk.insert_rows(conn, calls, StoredCall._fields, worked.calls)
    if worked.outcomes:
        bulk.insert_rows(conn, outcomes, OUTCOME_COLUMNS, worked.outcomes)


def _rewrite(
    conn: Connection, moves: Sequence[Rumoured], names: Names, rival: Rivals
) -> DayChanges:
    """Replace the standings and calls of these moves with theirs as the claims now stand;
    returns how that changes each source's record, day by day."""
    changes = DayChanges()
    for chunk in chunked(moves, MOVES_PER_CHUNK):
        ids = [i for move in chunk for i in move.ids]
        for some in chunked(ids):
            changes.add(conn, some, -1)
            conn.execute(delete(calls).where(calls.c.move_id.in_(some)))
            conn.execute(delete(standings).where(standings.c.move_id.in_(some)))
            conn.execute(delete(outcomes).where(outcomes.c.move_id.in_(some)))
        _write(conn, _worked_out(conn, chunk, names, rival))
        for some in chunked(ids):
            changes.add(conn, some, +1)
    return changes


# A move's outcome span as a record's change: +1 resolved (and +1 happened if it did) on
# the day it starts counting toward the base rate, -1 on the day it stops.
HAPPENED = "CASE WHEN happened THEN 1 ELSE 0 END"
# The record changes some moves' own calls make: +1 scored (and +1 right if right) on the
# day a call starts counting, -1 on the day it stops, as _RECORD_DAYS sums them; and the
# changes their outcome spans make to the ledger's outcomes.
_BOUNDARIES = f"""
SELECT source_key, valid_from, 1, {RIGHT} FROM calls
WHERE NOT relayed AND move_id IN :ids
UNION ALL
SELECT source_key, valid_to, -1, -({RIGHT}) FROM calls
WHERE NOT relayed AND valid_to IS NOT NULL AND move_id IN :ids
UNION ALL
SELECT '{OUTCOMES_KEY}', valid_from, 1, {HAPPENED} FROM outcomes WHERE move_id IN :ids
UNION ALL
SELECT '{OUTCOMES_KEY}', valid_to, -1, -({HAPPENED}) FROM outcomes
WHERE valid_to IS NOT NULL AND move_id IN :ids"""


class DayChanges:
    """How rewriting some moves changes each source's record: the net change of (scored,
    right) on each day, and every day a call of theirs started or stopped counting, before
    or after."""

    def __init__(self) -> None:
        self.delta: dict[tuple[str, date], list[int]] = {}

    def add(self, conn: Connection, move_ids: Sequence[str], sign: int) -> None:
        query = text(_BOUNDARIES).bindparams(bindparam("ids", expanding=True))
        params = {"ids": list(move_ids), "horizon": DEFAULT_HORIZON, "report": REPORT}
        for source_key, day, scored, right in conn.execute(query, params):
            change = self.delta.setdefault((source_key, _as_day(day)), [0, 0])
            change[0] += sign * scored
            change[1] += sign * right

    def by_source(self) -> dict[str, list[tuple[date, int, int]]]:
        found: dict[str, list[tuple[date, int, int]]] = {}
        for (source_key, day), (scored, right) in sorted(self.delta.items()):
            found.setdefault(source_key, []).append((day, scored, right))
        return found


def _as_day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _shift_days(conn: Connection, changes: DayChanges) -> None:
    """Bring the record days of the sources these changes touch to what _store_days would
    work out from their calls now, touching only the days from the first change on.

    A record day is the running sum of every change up to it, stored on each day a call
    starts or stops counting; so a change on day d adds to every stored day from d on, a
    day that gains its first boundary gets a row (the sum before it, then shifted), and a
    day that lost its last boundary loses its row. Working the whole history of a busy
    source out again instead was what made the read after an append wait."""
    rows = record_days.c
    for source_key, days in changes.by_source().items():
        touched = [day for day, _scored, _right in days]
        bounded = _boundary_days(conn, source_key, touched)
        held = select(rows.day).where(rows.source_key == source_key, rows.day.in_(touched))
        stored = {_as_day(d) for d in conn.execute(held).scalars()}
        for day in touched:
            if day in bounded and day not in stored:
                before = conn.execute(
                    select(rows.scored, rows.right)
                    .where(rows.source_key == source_key, rows.day < day)
                    .order_by(rows.day.desc())
                    .limit(1)
                ).first()
                scored, right = before if before is not None else (0, 0)
                conn.execute(
                    record_days.insert().values(
                        source_key=source_key, day=day, scored=scored, right=right
                    )
                )
        for day, scored, right in days:
            if scored or right:
                conn.execute(
                    record_days.update()
                    .where(rows.source_key == source_key, rows.day >= day)
                    .values(scored=rows.scored + scored, right=rows.right + right)
                )
        gone = [day for day in touched if day not in bounded]
        if gone:
            conn.execute(
                delete(record_days).where(rows.source_key == source_key, rows.day.in_(gone))
            )


def _boundary_days(conn: Connection, source_key: str, days: Sequence[date]) -> set[date]:
    """Which of these days some own call of the source (or, for the ledger's outcomes,
    some move's outcome span) still starts or stops counting on."""
    if source_key == OUTCOMES_KEY:
        starts = select(outcomes.c.valid_from).where(outcomes.c.valid_from.in_(days))
        stops = select(outcomes.c.valid_to).where(outcomes.c.valid_to.in_(days))
    else:
        own = and_(calls.c.source_key == source_key, ~calls.c.relayed)
        starts = select(calls.c.valid_from).where(own, calls.c.valid_from.in_(days))
        stops = select(calls.c.valid_to).where(own, calls.c.valid_to.in_(days))
    return {_as_day(d) for d in conn.execute(starts.union(stops)).scalars()}


# Each source's record on every day it changed, worked out by the database from the calls
# (as reliability.record_days_of does in Python for other horizons): a call counts from
# its valid_from day and stops counting on its valid_to day; a day's record is the running
# sum of those changes. Set-based: a sweep in Python over 4.3 million calls took 40 s at 1M.
# The ledger's outcomes are summed the same way from the outcome spans.
_RECORD_DAYS = f"""
INSERT INTO record_days (source_key, day, scored, "right")
SELECT source_key, day,
    SUM(scored) OVER (PARTITION BY source_key ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
    SUM(hits) OVER (PARTITION BY source_key ORDER BY day
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
FROM (
    SELECT source_key, day, SUM(scored) AS scored, SUM(hits) AS hits
    FROM (
        SELECT source_key, valid_from AS day, 1 AS scored, {RIGHT} AS hits
        FROM calls WHERE NOT relayed {{among}}
        UNION ALL
        SELECT source_key, valid_to, -1, -({RIGHT})
        FROM calls WHERE NOT relayed AND valid_to IS NOT NULL {{among}}
        {{outcomes}}
    ) AS changes
    GROUP BY source_key, day
) AS by_day"""


_OUTCOME_CHANGES = f"""
        UNION ALL
        SELECT '{OUTCOMES_KEY}', valid_from, 1, {HAPPENED} FROM outcomes
        UNION ALL
        SELECT '{OUTCOMES_KEY}', valid_to, -1, -({HAPPENED}) FROM outcomes
        WHERE valid_to IS NOT NULL"""


def _store_days(conn: Connection, sources: Sequence[str] | None = None) -> None:
    """Work out the record days of these sources (None: of every source, and the ledger's
    outcomes) from their calls."""
    among = "" if sources is None else "AND source_key IN :sources"
    with_outcomes = _OUTCOME_CHANGES if sources is None else ""
    query = text(_RECORD_DAYS.format(among=among, outcomes=with_outcomes))
    params: dict[str, Any] = {"horizon": DEFAULT_HORIZON, "report": REPORT}
    if sources is not None:
        query = query.bindparams(bindparam("sources", expanding=True))
        params["sources"] = list(sources)
    conn.execute(query, params)


def _everything(conn: Connection, names: Names, store: Store | None = None) -> None:
    """Work out every move, a slice of subjects at a time so memory stays flat, the slices
    spread over the machine's cores when the store can be opened from other processes."""
    bulk.hand_back_freed_memory()
    bulk.tune(conn)
    for table in (calls, standings, outcomes, record_days):
        conn.execute(delete(table))
    dropped = bulk.drop_indexes(conn, INDEXED)
    rival = rivals(conn, EVERYTHING, Catalogue((), names))
    slices = _subjects(conn, names)
    # Starting a worker costs about half a second: a small ledger is done sooner without.
    helped = store if len(slices) >= SPREAD_FROM else None
    for worked in spread(conn, helped, _slice_worked_out, (names, rival), slices):
        _write(conn, worked)
    # Before the indexes are back: the statement sorts the calls by source either way
    # (reading 4.3 million in an index's order, a random walk over the table, was slower).
    _store_days(conn)
    bulk.create_indexes(conn, dropped)
    bulk.analyze(conn, (*INDEXED, record_days))


def _slice_worked_out(
    conn: Connection, shared: tuple[Names, Rivals], subjects: tuple[str, str] | None
) -> Worked:
    """The rows of every move of the subjects in this range (None: every subject). It reads
    only the claims model, which a whole rewrite leaves alone, so any process may do it."""
    names, rival = shared
    query = select(rumours)
    if subjects is not None:
        query = query.where(rumours.c.subject_key.between(*subjects))
    moves = list(Catalogue(conn.execute(query), names).moves.values())
    worked = Worked([], [], [])
    for chunk in chunked(moves, MOVES_PER_CHUNK):
        part = _worked_out(conn, chunk, names, rival)
        worked.standings.extend(part.standings)
        worked.calls.extend(part.calls)
        worked.outcomes.extend(part.outcomes)
    return worked


def _subjects(conn: Connection, names: Names) -> list[tuple[str, str] | None]:
    """Every subject, as ranges of a few hundred subjects' keys (one range of everything if
    people have aliases: a person's rumours may then sit under any spelling)."""
    if names.maps.get(AliasKind.PERSON):
        return [None]
    subjects = conn.execute(
        select(rumours.c.subject_key).distinct().order_by(rumours.c.subject_key)
    )
    keys = list(subjects.scalars())
    return [(chunk[0], chunk[-1]) for chunk in chunked(keys, SUBJECTS_PER_SLICE)]


def _around(conn: Connection, names: Names, changed: Changed) -> None:
    """Work out again the moves whose outcome these rumours' claims may have changed: their
    own moves, and, where a confirmation came or went, every move it may end."""
    touched = []
    ids = sorted(changed.rumours)
    for chunk in chunked(ids):
        touched.extend(conn.execute(select(rumours).where(rumours.c.id.in_(chunk))))
    subjects = {names.person(row.subject_key) for row in touched}
    wide = [row for row in touched if row.id in changed.rivals]
    clubs = {names.club(row.to_key) for row in wide if row.role == "coach" and row.to_key}
    ended = {names.person(row.subject_key) for row in wide}
    person_keys = sorted({k for s in subjects if s for k in names.aliases_of(AliasKind.PERSON, s)})
    club_keys = sorted({k for c in clubs if c for k in names.aliases_of(AliasKind.CLUB, c)})
    rows: dict[str, Any] = {}
    for chunk in chunked(person_keys):
        for row in conn.execute(select(rumours).where(rumours.c.subject_key.in_(chunk))):
            rows[row.id] = row
    for chunk in chunked(club_keys):
        for row in conn.execute(select(rumours).where(rumours.c.to_key.in_(chunk))):
            rows[row.id] = row
    found = Catalogue(rows.values(), names)
    moves = [
        move
        for move in found.moves.values()
        if move.key[0] in ended
        or (move.move.role == "coach" and move.key[2] in clubs)
        or changed.rumours.intersection(move.ids)
    ]
    if moves:
        rival = rivals(conn, EVERYTHING, found, moves)
        _shift_days(conn, _rewrite(conn, moves, names, rival))


def catch_up(app: RumourLedger, engine: Engine, store: Store | None = None) -> int:
    """Bring the calls up to the claims model's position; returns how many events that was.
    Given the store, a whole rewrite spreads its work over worker processes."""
    with engine.connect() as conn:
        start = position(conn, NAME)
        end = position(conn, claims_model.NAME)
    if end <= start:
        return 0
    changed = _changed_rumours(app, start, end)
    try:
        with bulk.no_cycle_collection(), engine.begin() as conn:
            if not advance(conn, NAME, start, end):
                return 0  # another process got there first
            names = names_in_force(conn)
            if changed is None:
                _everything(conn, names, store)
            elif changed.rumours:
                _around(conn, names, changed)
    except IntegrityError:
        return 0  # another process created the position row first
    except OperationalError as error:
        raise store_error(error) from None
    return end - start


@dataclass(frozen=True)
class Changed:
    """The rumours that new events belong to, and those among them whose rivals may change
    too: a confirmation ends other moves, and a retraction may take one back. A report,
    denial or collapse changes only its own move."""

    rumours: set[str]
    rivals: set[str]


WIDENING = {Rumour.Confirmed.TOPIC, Rumour.Retracted.TOPIC, Rumour.Restored.TOPIC}


def _changed_rumours(app: RumourLedger, start: int, end: int) -> Changed | None:
    """The rumours that events after start (up to end) belong to; None if everything may
    have changed: a first run, an alias, a recast, or too many events to look at one by one."""
    if start == 0 or end - start > FULL_AFTER:
        return None
    changed = Changed(set(), set())
    after = start
    while after < end:
        page = app.recorder.select_notifications(after + 1, 1_000, stop=end)
        if not page:
            break
        for notification in page:
            # A recast may take a coach off a club's bench as well as put one on: the rivals
            # of its old role change too, so, as rare as aliases, it is worked out in full.
            if notification.topic.startswith(ALIAS_TOPICS) or notification.topic == RECAST:
                return None
            changed.rumours.add(notification.originator_id.hex)
            if notification.topic in WIDENING:
                changed.rivals.add(notification.originator_id.hex)
        after = page[-1].id
    return changed


def rebuild(engine: Engine) -> None:
    """Forget every call; the next catch-up works them all out again."""
    try:
        with engine.begin() as conn:
            conn.execute(delete(calls))
            conn.execute(delete(record_days))
            conn.execute(delete(standings))
            conn.execute(delete(outcomes))
            conn.execute(delete(positions).where(positions.c.name == NAME))
    except DBAPIError as error:  # a read-only ledger, a full disk, a held lock
        raise store_error(error) from None


def scored_on_the_fly(
    moves: Iterable[Rumoured], evidence: dict[Any, list[Evidence]], rival: Rivals
) -> list[Scored]:
    """The calls the model would store, worked out from evidence read for one question
    (when the ledger is asked as it stood at a past recording time)."""
    return [
        row.scored()
        for move in moves
        if evidence.get(move.key)
        for row in call_rows(move, evidence[move.key], rival)
        if not row.relayed
    ]


def outcome_days_on_the_fly(
    moves: Iterable[Rumoured], evidence: dict[Any, list[Evidence]], rival: Rivals
) -> list[RecordDay]:
    """The ledger's outcomes on every day they changed, as the model would store them (as
    record days under OUTCOMES_KEY, resolved and happened as scored and right), worked out
    from evidence read for one question (when the ledger is asked as it stood at a past
    recording time)."""
    changes: dict[date, list[int]] = {}
    for move in moves:
        said = evidence.get(move.key)
        if not said:
            continue
        found = episodes(move, said, rival)
        for span in outcome_spans(track.first_said(said), found):
            start = changes.setdefault(span.valid_from, [0, 0])
            start[0] += 1
            start[1] += span.happened
            if span.valid_to is not None:
                end = changes.setdefault(span.valid_to, [0, 0])
                end[0] -= 1
                end[1] -= span.happened
    days = []
    resolved = happened = 0
    for day, (resolved_delta, happened_delta) in sorted(changes.items()):
        if resolved_delta or happened_delta:
            resolved += resolved_delta
            happened += happened_delta
            days.append(RecordDay(OUTCOMES_KEY, day, resolved, happened))
    return days
