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
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.exc import IntegrityError, OperationalError

from ledger.aliases import AliasKind
from ledger.application import RumourLedger
from projections import bulk
from projections import claims as claims_model
from projections import records as track
from projections.aliases import Names, names_in_force
from projections.evidence import (
    Catalogue,
    Moment,
    Rivals,
    Rumoured,
    evidence_by_move,
    rivals,
)
from projections.likelihood import CONFIRMATION, REPORT, Evidence, Settings
from projections.reliability import (
    DEFAULT_HORIZON,
    RecordChanges,
    RecordDay,
    Scored,
    record_days_of,
    scored_calls,
)
from projections.standings import STANDING_COLUMNS, standing_row
from projections.tables import calls, chunked, positions, record_days, rumours, standings
from projections.tracking import advance, position, store_error

NAME = "calls"
ALIAS_TOPICS = "rumour-ledger:Alias"
# Past this many new events, working out every move once is cheaper than finding the few.
FULL_AFTER = 20_000
MOVES_PER_CHUNK = 2_000
SUBJECTS_PER_SLICE = 5_000
EVERYTHING = Moment(date.max)
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


def call_rows(found: Rumoured, evidence: Sequence[Evidence], rival: Rivals) -> list[StoredCall]:
    """The rows of every call of every episode of one move."""
    rows = []
    for episode in episodes(found, evidence, rival):
        result = episode.outcome
        for call in track.calls_on(found, list(evidence), result, DEFAULTS):
            rows.append(
                StoredCall(
                    found.ref.id,
                    call.source_key,
                    call.source,
                    call.relayed,
                    call.kind,
                    call.published,
                    call.claim_id,
                    result.happened,
                    result.resolved_on,
                    (result.resolved_on - call.published).days,
                    episode.valid_from,
                    episode.valid_to,
                )
            )
    return rows


def _rewrite(
    conn: Connection,
    moves: Sequence[Rumoured],
    names: Names,
    rival: Rivals,
    whole: bool = False,
) -> set[str]:
    """Replace the standings and calls of these moves with theirs as the claims now stand
    (for a whole rewrite, into empty tables); returns the sources whose calls that may have
    changed."""
    sources: set[str] = set()
    for chunk in chunked(moves, MOVES_PER_CHUNK):
        member_ids = [i for move in chunk for i in move.ids]
        for ids in () if whole else chunked(member_ids):
            # Only a partial rewrite has rows to replace: a whole one starts from empty tables.
            were = select(calls.c.source_key).where(calls.c.move_id.in_(ids)).distinct()
            sources.update(conn.execute(were).scalars())
            conn.execute(delete(calls).where(calls.c.move_id.in_(ids)))
            conn.execute(delete(standings).where(standings.c.move_id.in_(ids)))
        found = Catalogue((m for move in chunk for m in move.members), names)
        evidence = evidence_by_move(conn, found, EVERYTHING, member_ids)
        spoken_of = [move for move in chunk if evidence.get(move.key)]
        if spoken_of:
            rows = [standing_row(move, evidence[move.key], rival) for move in spoken_of]
            bulk.insert_rows(conn, standings, STANDING_COLUMNS, rows)
        rows = [row for move in spoken_of for row in call_rows(move, evidence[move.key], rival)]
        if rows:
            bulk.insert_rows(conn, calls, StoredCall._fields, [row.stored() for row in rows])
            sources.update(row.source_key for row in rows)
    return sources


def _insert_days(conn: Connection, days: list[RecordDay]) -> None:
    rows = [(d.source_key, d.day.isoformat(), d.scored, d.right) for d in days]
    if rows:
        bulk.insert_rows(conn, record_days, ("source_key", "day", "scored", "right"), rows)


def _rewrite_days(conn: Connection, sources: Iterable[str]) -> None:
    """Work out again the record days of these sources from their calls."""
    for chunk in chunked(sorted(set(sources))):
        conn.execute(delete(record_days).where(record_days.c.source_key.in_(chunk)))
        _insert_days(conn, record_days_of(scored_calls(conn, chunk, date.max), DEFAULT_HORIZON))


def _everything(conn: Connection, names: Names) -> None:
    """Work out every move, a slice of subjects at a time so memory stays flat."""
    conn.execute(delete(calls))
    conn.execute(delete(standings))
    conn.execute(delete(record_days))
    rival = rivals(conn, EVERYTHING, Catalogue((), names))
    for rows in _subject_slices(conn, names):
        found = Catalogue(rows, names)
        _rewrite(conn, list(found.moves.values()), names, rival, whole=True)
    _all_days(conn)


def _all_days(conn: Connection) -> None:
    """Every source's record days, from the calls read back one source after another, so
    memory holds one source's record at a time (all of them came to a gigabyte at 1M)."""
    columns = "source_key, kind, happened, lead_days, valid_from, valid_to"
    query = f"SELECT {columns} FROM calls WHERE NOT relayed ORDER BY source_key"
    changes = RecordChanges(DEFAULT_HORIZON)
    current = None
    for key, kind, happened, lead_days, valid_from, valid_to in bulk.streamed(conn, query):
        if key != current and changes.changes:
            _insert_days(conn, changes.days())
            changes = RecordChanges(DEFAULT_HORIZON)
        current = key
        changes.add(Scored(key, kind, bool(happened), lead_days, _day(valid_from), _day(valid_to)))
    _insert_days(conn, changes.days())


def _day(value: Any) -> Any:
    """A day as the driver returns it (SQLite: ISO text) as a date."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _subject_slices(conn: Connection, names: Names) -> Iterator[list[Any]]:
    """Every rumour, in slices that each hold all of a few thousand subjects' rumours (all
    at once if people have aliases: a person's rumours may then sit under any spelling)."""
    if names.maps.get(AliasKind.PERSON):
        yield list(conn.execute(select(rumours)))
        return
    subjects = conn.execute(
        select(rumours.c.subject_key).distinct().order_by(rumours.c.subject_key)
    )
    keys = list(subjects.scalars())
    for chunk in chunked(keys, SUBJECTS_PER_SLICE):
        between = rumours.c.subject_key.between(chunk[0], chunk[-1])
        yield list(conn.execute(select(rumours).where(between)))


def _around(conn: Connection, names: Names, rumour_ids: Iterable[str]) -> None:
    """Work out again the moves whose outcome these rumours' claims may have changed."""
    touched = []
    ids = sorted(set(rumour_ids))
    for chunk in chunked(ids):
        touched.extend(conn.execute(select(rumours).where(rumours.c.id.in_(chunk))))
    subjects = {names.person(row.subject_key) for row in touched}
    clubs = {names.club(row.to_key) for row in touched if row.role == "coach" and row.to_key}
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
        if move.key[0] in subjects or (move.move.role == "coach" and move.key[2] in clubs)
    ]
    if moves:
        _rewrite_days(conn, _rewrite(conn, moves, names, rivals(conn, EVERYTHING, found, moves)))


def catch_up(app: RumourLedger, engine: Engine) -> int:
    """Bring the calls up to the claims model's position; returns how many events that was."""
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
                _everything(conn, names)
            elif changed:
                _around(conn, names, changed)
    except IntegrityError:
        return 0  # another process created the position row first
    except OperationalError as error:
        raise store_error(error) from None
    return end - start


def _changed_rumours(app: RumourLedger, start: int, end: int) -> set[str] | None:
    """The rumours that events after start (up to end) belong to; None if everything may
    have changed: a first run, an alias, or too many events to look at one by one."""
    if start == 0 or end - start > FULL_AFTER:
        return None
    changed: set[str] = set()
    after = start
    while after < end:
        page = app.recorder.select_notifications(after + 1, 1_000, stop=end)
        if not page:
            break
        for notification in page:
            if notification.topic.startswith(ALIAS_TOPICS):
                return None
            changed.add(notification.originator_id.hex)
        after = page[-1].id
    return changed


def rebuild(engine: Engine) -> None:
    """Forget every call; the next catch-up works them all out again."""
    with engine.begin() as conn:
        conn.execute(delete(calls))
        conn.execute(delete(record_days))
        conn.execute(delete(standings))
        conn.execute(delete(positions).where(positions.c.name == NAME))


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
