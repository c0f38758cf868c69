"""Questions about likelihood: the board of every move, why one stands where it does, its timeline.

Each answer is the likelihood fold (projections/likelihood.py) over evidence read for one
moment (projections/evidence.py), with source reliabilities learned from the track records
known at that moment (projections/records.py): nothing dated after the asked day counts.
As the ledger stands now, the records and the board's moves are read from the per-move
read models (projections/calls.py, standings.py); as it stood at a past recording time
(`known_at`), they are worked out from the claims recorded by then.
"""

from __future__ import annotations

import heapq
import json
import math
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, NamedTuple, Protocol, TypeVar

from sqlalchemy import Connection, func, or_, select

from rumour_ledger.ledger.aliases import AliasKind
from rumour_ledger.ledger.errors import InvalidClaim
from rumour_ledger.ledger.names import name_key
from rumour_ledger.projections import calls as calls_model
from rumour_ledger.projections import records as track
from rumour_ledger.projections import reliability
from rumour_ledger.projections.bulk import no_cycle_collection
from rumour_ledger.projections.conflicts import Conflict, conflicts, conflicts_of
from rumour_ledger.projections.evidence import (
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
from rumour_ledger.projections.likelihood import (
    CONFIRMED,
    NOT_HAPPENED,
    STATUSES,
    Ageing,
    Ceiling,
    DayByDay,
    Evidence,
    Explanation,
    Settings,
    explain,
    logit,
    weight_of,
)
from rumour_ledger.projections.standings import (
    Aged,
    Rank,
    WeightFor,
    aged_on,
    confirmed_by,
    hopefuls,
    most_origins,
    ranked_on,
    ranks_by,
    standings_by,
    standings_of,
    unfolding_on,
)
from rumour_ledger.projections.tables import (
    IN_LIST,
    OUTCOMES_KEY,
    chunked,
    claims,
    rumours,
    standings,
)
from rumour_ledger.projections.views import RumourRef

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
    if origins_of is None:
        read = weigh_every_move(conn, moment, settings)
    else:
        names = names_at(conn, moment)
        found = _catalogue_around(conn, names, moment, origins_of)
        scope_ids = [r.id for move in found.moves.values() for r in move.members]
        evidence = evidence_by_move(conn, found, moment, scope_ids)
        rival = rivals(conn, moment, found, found.moves.values())
        read = Weighing(moment, found, evidence, rival, {}, settings)
    if origins_of is None:
        # Every move is read already: the ledger's outcomes come from what was read.
        happened = track.outcomes_of(read.found.moves, read.evidence, read.rivals, moment.as_of)
        settings = replace(settings, outcomes=happened)
    else:
        settings = reliability.with_outcomes(conn, moment, settings)
    calls = track.all_calls(read.found.moves, read.evidence, read.rivals, moment.as_of, settings)
    known = track.records(calls, settings)
    return replace(read, records=known, settings=track.learned(settings, known))


def weigh_every_move(conn: Connection, moment: Moment, settings: Settings) -> Weighing:
    """Every move, its claims and the rivals' confirmations as of a moment, without any
    source's track record (the settings as given)."""
    names = names_at(conn, moment)
    found = catalogue(conn, names)
    evidence = evidence_by_move(conn, found, moment)
    return Weighing(moment, found, evidence, rivals(conn, moment, found), {}, settings)


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
    return _catalogue_of(conn, names, subjects)


def _catalogue_of(conn: Connection, names: Any, subject_keys: set[str]) -> Catalogue:
    """Every move of these subjects (their keys, every spelling)."""
    rows = [
        row
        for chunk in chunked(sorted(subject_keys))
        for row in conn.execute(select(rumours).where(rumours.c.subject_key.in_(chunk)))
    ]
    return Catalogue(rows, names)


def explain_rumour(
    conn: Connection, ref: RumourRef, moment: Moment, settings: Settings
) -> Explanation:
    """Why one rumour stands where it does."""
    weighing = weigh_one(conn, ref, moment, settings)
    return weighing.explain(weighing.found.of(ref.id))


def weigh_one(conn: Connection, ref: RumourRef, moment: Moment, settings: Settings) -> Weighing:
    """What one rumour's answers need. As the ledger stands now, track records come from the
    calls model, so the cost is the rumour's own and its sources' few rows, whatever the
    size of the ledger; as it stood at a past recording time, they are worked out again."""
    if moment.known_at is not None:
        return weigh(conn, moment, settings, origins_of=ref)
    weighing = weigh_move(conn, ref, moment, settings)
    move = weighing.found.of(ref.id)
    origins = {e.origin_key for e in weighing.evidence.get(move.key, [])}
    learned = reliability.learned_on(conn, moment.as_of, settings, origins)
    return replace(weighing, settings=learned)


def weigh_moves(
    conn: Connection, moment: Moment, settings: Settings, rumour_ids: Iterable[str]
) -> Weighing:
    """The moves of some rumours, their claims and their rivals' confirmations as of a
    moment, without any source's track record (the settings as given): what those moves'
    outcomes and the calls on them need, whatever the size of the rest of the ledger."""
    names = names_at(conn, moment)
    ids = sorted(set(rumour_ids))
    subjects = {
        key
        for chunk in chunked(ids)
        for row in conn.execute(select(rumours.c.subject_key).where(rumours.c.id.in_(chunk)))
        for key in names.aliases_of(AliasKind.PERSON, names.person(row.subject_key))
    }
    found = _catalogue_of(conn, names, subjects)
    moves = {found.key_of[i]: found.moves[found.key_of[i]] for i in ids}.values()
    members = [r.id for move in moves for r in move.members]
    evidence = evidence_by_move(conn, found, moment, members)
    return Weighing(moment, found, evidence, rivals(conn, moment, found, moves), {}, settings)


def weigh_move(conn: Connection, ref: RumourRef, moment: Moment, settings: Settings) -> Weighing:
    """One rumour's move, its claims and its rivals' confirmations as of a moment, without
    its sources' track records (the settings as given): what its outcome and the calls on
    it need, read in a few indexed queries at any recording time."""
    names = names_at(conn, moment)
    found = catalogue(conn, names, related_to=rumours_row(conn, ref.id))
    move = found.of(ref.id)
    evidence = evidence_by_move(conn, found, moment, move.ids)
    rival = rivals(conn, moment, found, [move])
    return Weighing(moment, found, evidence, rival, {}, settings)


LONGEST_BOARD = 2**63 - 1


def board(
    conn: Connection,
    moment: Moment,
    settings: Settings,
    status: str = "all",
    minimum: float = 0.0,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Every rumoured move with its likelihood as of the moment, most likely first (only
    the `limit` most likely, if given)."""
    if status not in (*STATUSES, "all"):
        raise InvalidClaim("status", f"unknown status {status!r}")
    if limit is not None and limit < 0:
        raise InvalidClaim("limit", f"must be 0 or more, got {limit}")
    if not 0.0 <= minimum <= 1.0:  # (false for NaN too)
        raise InvalidClaim("min", f"must be a number from 0 to 1, got {minimum}")
    if limit is not None:
        # The databases bind 64-bit integers only; no board is longer than that anyway.
        limit = min(limit, LONGEST_BOARD)
    # At a million events a board holds ~270,000 moves, none in a reference cycle.
    with no_cycle_collection():
        if moment.known_at is not None:
            folded = _board_worked_out(weigh(conn, moment, settings), None)
            rows = [entry.row() for entry in _top(folded, status, minimum, limit)]
        else:
            rows = _board_from_standings(conn, moment.as_of, settings, status, minimum, limit)
    return _marked(conn, moment, rows)


def _marked(conn: Connection, moment: Moment, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row with the moves it is in conflict with (see projections/conflicts.py): an
    empty list for a move no contradicting confirmation touches."""
    # The whole board asks about every subject; a board cut to its top moves only about
    # the subjects it shows (reading every confirmation cost 50 ms at 100,000 events).
    subjects = None if len(rows) > IN_LIST else {name_key(row["subject"]) for row in rows}
    by_rumour: dict[str, list[Conflict]] = {}
    for conflict in conflicts(conn, moment, subjects) if rows else []:
        for rumour_id in conflict.rumour_ids:
            by_rumour.setdefault(rumour_id, []).append(conflict)
    for row in rows:
        ids = {row["id"].replace("-", "")}
        ids.update(m.replace("-", "") for m in row["merged"])
        if by_rumour.keys().isdisjoint(ids):
            row["conflict"] = []  # nearly every row, so this costs a set per row and no more
            continue
        touching = {id(c): c for i in ids for c in by_rumour.get(i, [])}
        row["conflict"] = [other for c in touching.values() for other in c.others(ids)]
    return rows


def conflicts_of_rumour(
    conn: Connection, ref: RumourRef, moment: Moment
) -> list[tuple[Conflict, list[str]]]:
    """The conflicts one rumour's move (every spelling of it) is part of, each with the
    moves it is in conflict with."""
    found = catalogue(conn, names_at(conn, moment), related_to=rumours_row(conn, ref.id))
    move = found.of(ref.id)
    ids = set(move.ids)
    return [(c, c.others(ids)) for c in conflicts_of(conn, moment, move.key[0], ids)]


class _Entry(Protocol):
    """What the board ranks an entry by, whatever it was made from."""

    @property
    def likelihood(self) -> float: ...
    @property
    def status(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def id(self) -> str: ...


EntryT = TypeVar("EntryT", bound=_Entry)


def _top(entries: list[EntryT], status: str, minimum: float, limit: int | None) -> list[EntryT]:
    """The entries shown, most likely first: sorted as small keys, since a row is a
    sixteen-key dict made only for the entries shown. Ties go by label, then by id, so
    the order never depends on the order the entries were read in."""
    keyed = [
        (-entry.likelihood, entry.label, entry.id, index)
        for index, entry in enumerate(entries)
        if status in ("all", entry.status) and entry.likelihood >= minimum
    ]
    chosen = sorted(keyed) if limit is None else heapq.nsmallest(limit, keyed)
    return [entries[key[3]] for key in chosen]


class _Folded(NamedTuple):
    """A board row folded from claims, keyed as an aged standing is."""

    likelihood: float
    status: str
    label: str
    id: str
    shown: dict[str, Any]

    def row(self) -> dict[str, Any]:
        return self.shown


class _Ranked(NamedTuple):
    """A standing as ranked on a day, before the rest of it is read."""

    likelihood: float
    status: str
    label: str
    id: str


def _folded(move: Rumoured, explained: Explanation) -> _Folded:
    shown = board_row(move, explained)
    return _Folded(shown["likelihood"], shown["status"], shown["label"], shown["id"], shown)


def _board_worked_out(weighing: Weighing, only: set[MoveKey] | None) -> list[_Folded]:
    """Board rows folded from the claims (of every move, or only some)."""
    rows = []
    for key, move in weighing.found.moves.items():
        if not weighing.evidence.get(key) or (only is not None and key not in only):
            continue  # nothing published (or known) about it yet
        rows.append(_folded(move, weighing.explain(move)))
    return rows


def _board_from_standings(
    conn: Connection, day: date, settings: Settings, status: str, minimum: float, limit: int | None
) -> list[dict[str, Any]]:
    """Moves whose last news is on or before the day: their standings, aged to it; moves
    still unfolding on that day: folded from their claims published by then.

    The whole board ages every standing as it reads it. A board cut to its top moves
    reads and ages only the moves that can reach a cut (see `_top_by_ceiling`), or else
    ranks every standing by its few ranking columns; either way it reads the rest of only
    the standings it shows."""
    learned = reliability.learned_on(conn, day, settings)
    ageing = Ageing(day, learned)
    weight_for = _weights_for(learned)
    as_of = day.isoformat()  # standings hold days as ISO text, which sorts as dates do
    if limit is None:
        unfolding: list[str] = []
        aged: list[Aged | _Folded] = []
        for row in standings_by(conn, day):
            if row.last_day <= as_of:
                aged.append(aged_on(row, as_of, ageing, weight_for))
            else:
                unfolding.append(row.id)
        aged.extend(_unfolding(conn, day, learned, unfolding))
        return [entry.row() for entry in _top(aged, status, minimum, None)]
    if limit == 0:
        return []
    unfolding = _Unfolding(conn, day, learned)
    ranked: dict[str, _Ranked] = {}  # each standing aged once, however many cuts it is tried at

    def ranking(rank: Rank) -> _Ranked:
        entry = ranked.get(rank.id)
        if entry is None:
            likelihood, status_then = ranked_on(rank, as_of, ageing, weight_for)
            entry = ranked[rank.id] = _Ranked(likelihood, status_then, rank.label, rank.id)
        return entry

    chosen = None
    if status != NOT_HAPPENED:  # those stand at 0.0: no cut above it holds any
        chosen = _top_by_ceiling(conn, day, ranking, unfolding, status, minimum, limit)
    if chosen is None:
        every = [ranking(rank) for rank in ranks_by(conn, day) if rank.last_day <= as_of]
        chosen = _top([*every, *unfolding.every()], status, minimum, limit)
    ids = [entry.id for entry in chosen if isinstance(entry, _Ranked)]
    shown = {row.id: aged_on(row, as_of, ageing, weight_for) for row in standings_of(conn, ids)}
    if len(shown) < len(ids):
        # A standing ranked a moment ago is gone: another process is working the
        # standings out again (after an alias, or a rebuild). The whole board reads them
        # in one statement.
        whole = _board_from_standings(conn, day, settings, status, minimum, None)
        return whole[:limit]
    return [(shown[e.id] if isinstance(e, _Ranked) else e).row() for e in chosen]


# The likelihoods a board cut to its top moves tries as its cut, highest first: most
# boards' top moves are confirmed (1.0) or nearly sure, and few moves can reach them.
CUTS = (1.0, 0.9, 0.5)


def _top_by_ceiling(
    conn: Connection,
    day: date,
    ranking: Callable[[Rank], _Ranked],
    unfolding: _Unfolding,
    status: str,
    minimum: float,
    limit: int,
) -> list[_Ranked | _Folded] | None:
    """The top `limit` moves, found by trying cuts: if at least `limit` moves stand at a
    cut or above, the top `limit` of them are the board's, and only moves whose ceiling
    (see likelihood.Ceiling) reaches the cut need reading and ageing. None if no cut holds
    enough moves (the caller then ranks every standing)."""
    ceiling = Ceiling(day, unfolding.learned)
    # Every confirmed move stands at 1.0; only the first `limit` by label and id can show.
    confirmed = []
    if status in ("all", CONFIRMED):
        confirmed = confirmed_by(conn, day, limit)
    cuts = sorted({max(cut, minimum) for cut in CUTS}, reverse=True)
    # A likelihood that rounds to a cut may be this much below it.
    floors = [logit(cut - 1e-6) for cut in cuts]
    # Moves still unfolding on the day are folded together (their rivals read once):
    # all that may reach the lowest cut.
    folded = unfolding.reaching(ceiling, floors[-1])
    most = most_origins(conn)
    pool: list[tuple[Rank, float]] = []  # standings read so far, with their ceilings
    read_since: date | None = None
    for cut, floor in zip(cuts, floors, strict=True):
        first = ceiling.earliest(most, floor)
        if first <= day.toordinal():
            since = date.fromordinal(first)
            if read_since is None or since < read_since:  # each standing read once
                for rank, origins in hopefuls(conn, day, since, read_since):
                    last = date.fromisoformat(rank.last_day).toordinal()
                    pool.append((rank, ceiling.log_odds(origins, last)))
                read_since = since
        found: list[_Ranked | _Folded] = [_Ranked(1.0, CONFIRMED, *pair) for pair in confirmed]
        found.extend(folded)
        found.extend(ranking(rank) for rank, highest in pool if highest >= floor - 1e-9)
        # Every move not read stands below the cut, so those at it or above are the top.
        at_cut = [e for e in found if e.likelihood >= cut]
        top = _top(at_cut, status, minimum, limit)
        if len(top) == limit or cut <= minimum:
            return top
    return None


def _weights_for(learned: Settings) -> WeightFor:
    """Each origin's weight on the day, worked out once per origin, kind and party."""
    weights: dict[tuple[str, str, bool], float] = {}

    def weight_for(origin: str, kind: str, first_party: bool) -> float:
        key = (origin, kind, first_party)
        weight = weights.get(key)
        if weight is None:
            reliability_now = learned.reliability_for(origin)
            weight = weights[key] = weight_of(kind, reliability_now, first_party, learned)
        return weight

    return weight_for


def _unfolding(conn: Connection, day: date, learned: Settings, ids: list[str]) -> list[_Folded]:
    """Board rows of moves with news after the day, folded from what was published by then."""
    return _fold(conn, day, learned, _members(conn, ids))


def _members(conn: Connection, ids: list[str]) -> list[list[str]]:
    """Each move's rumours: its standing's own and those merged into it, as the aliases in
    force group them (reading every rumour of their subjects instead, and stars have
    thousands, took half of a board as of a past day)."""
    moves = []
    for chunk in chunked([i.replace("-", "") for i in ids]):
        query = select(standings.c.move_id, standings.c.merged).where(
            standings.c.move_id.in_(chunk)
        )
        for move_id, merged in conn.execute(query):
            moves.append([move_id, *(m.replace("-", "") for m in json.loads(merged))])
    return moves


def _fold(conn: Connection, day: date, learned: Settings, moves: list[list[str]]) -> list[_Folded]:
    """Board rows of some moves, folded from the claims published by the day."""
    members = [rumour for move in moves for rumour in move]
    if not members:
        return []
    rows = [
        row
        for chunk in chunked(members)
        for row in conn.execute(select(rumours).where(rumours.c.id.in_(chunk)))
    ]
    found = Catalogue(rows, names_at(conn, Moment(day)))
    evidence = evidence_by_move(conn, found, Moment(day), members)
    rival = rivals(conn, Moment(day), found, found.moves.values())
    weighing = Weighing(Moment(day), found, evidence, rival, {}, learned)
    return _board_worked_out(weighing, None)


class _Unfolding:
    """Moves with news both by the day and after it, folded only when asked: a board cut
    to its top moves folds only those whose ceiling reaches its cut."""

    def __init__(self, conn: Connection, day: date, learned: Settings) -> None:
        self.conn, self.day, self.learned = conn, day, learned
        self.moves = _members(conn, unfolding_on(conn, day))
        self.counts = _claim_counts(conn, day, self.moves)
        self.done: set[int] = set()
        self.rows: list[_Folded] = []

    def reaching(self, ceiling: Ceiling, floor: float) -> list[_Folded]:
        """Every move folded so far, after folding those that may reach the log-odds."""
        pending = [
            i
            for i, (reports, last, confirmed) in enumerate(self.counts)
            if i not in self.done and (confirmed or ceiling.log_odds(reports, last) >= floor - 1e-9)
        ]
        self.rows.extend(_fold(self.conn, self.day, self.learned, [self.moves[i] for i in pending]))
        self.done.update(pending)
        return self.rows

    def every(self) -> list[_Folded]:
        """Every move unfolding on the day, folded."""
        return self.reaching(Ceiling(self.day, self.learned), -math.inf)


def _claim_counts(
    conn: Connection, day: date, moves: list[list[str]]
) -> list[tuple[int, int, bool]]:
    """For each move, from the claims published by the day (retracted or not, so never
    too few): its reports, the day of its last report (an ordinal) and whether any
    confirms it."""
    kind = claims.c.kind
    query = (
        select(claims.c.rumour_id, kind, func.count(), func.max(claims.c.published))
        .where(claims.c.published <= day, kind.in_(["report", "confirmation"]))
        .group_by(claims.c.rumour_id, kind)
    )
    found: dict[str, dict[str, tuple[int, date]]] = {}
    members = [rumour for move in moves for rumour in move]
    for chunk in chunked(members):
        for rumour_id, what, count, last in conn.execute(
            query.where(claims.c.rumour_id.in_(chunk))
        ):
            found.setdefault(rumour_id, {})[what] = (count, last)
    counts = []
    for move in moves:
        reports, last, confirmed = 0, 1, False
        for rumour in move:
            by_kind = found.get(rumour, {})
            if "confirmation" in by_kind:
                confirmed = True
            if "report" in by_kind:
                count, day_of_last = by_kind["report"]
                reports += count
                last = max(last, day_of_last.toordinal())
        counts.append((reports, last, confirmed))
    return counts


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

    Each day is answered as `why --as-of` that day would answer it: its sources' records are
    made of the outcomes that held on that day, so no day sees anything from after it.
    """
    weighing = weigh_one(conn, ref, Moment(end, known_at), settings)
    move = weighing.found.of(ref.id)
    evidence = weighing.evidence.get(move.key, [])
    if start is None:
        # A merged move's evidence comes rumour by rumour: its first claim may be anywhere.
        start = min((e.published for e in evidence), default=end)
    if (end - start).days > MAX_TIMELINE_DAYS:
        from rumour_ledger.ledger.errors import LedgerError

        raise LedgerError(f"a timeline covers at most {MAX_TIMELINE_DAYS} days: narrow --from/--to")
    records = _records_through_time(conn, weighing, _first_needed(evidence, start), start, end)
    resolutions = weighing.rivals.resolutions(move.key, move.move.role)
    unfolding = DayByDay(move.move, evidence, settings, resolutions)
    by_day: dict[date, list[Evidence]] = {}
    for e in evidence:
        by_day.setdefault(e.published, []).append(e)
    points = []
    outcomes: tuple[int, int] | None = None
    reliability_for: Callable[[str], float] = settings.reliability_for
    for day in _days(start, end):
        moved = records.on(day)
        found = records.counts.get(OUTCOMES_KEY, (0, 0))
        if found != outcomes:
            # The ledger's outcomes moved the prior in use, and with it every weight.
            outcomes = found
            then = replace(settings, outcomes=found)
            unfolding.rebase(then)
            reliability_for = partial(reliability.reliability_from_counts, then, records.counts)
        else:
            unfolding.reweigh(moved)
        unfolding.take(day)
        points.append(
            {
                "date": day.isoformat(),
                "likelihood": round(unfolding.likelihood(day, reliability_for), 6),
                "status": unfolding.status,
                "events": [
                    {
                        "id": str(uuid.UUID(e.claim_id)),
                        "type": e.kind,
                        "source": e.source,
                        "cites": e.cites,
                    }
                    for e in by_day.get(day, [])
                ],
                "resolved_by": unfolding.resolved_by if unfolding.resolved_on == day else None,
            }
        )
    return points


def _first_needed(evidence: Iterable[Evidence], start: date) -> dict[str, date]:
    """The first day of a timeline each origin's record is needed: the day of its first
    claim (no day before counts it), or the timeline's first day. The hottest rumour of a
    million events read 352,623 record changes from its first day; from each origin's
    first claim, 209,068."""
    needed: dict[str, date] = {}
    for e in evidence:
        day = max(e.published, start)
        if day < needed.get(e.origin_key, date.max):
            needed[e.origin_key] = day
    return needed


def _records_through_time(
    conn: Connection, weighing: Weighing, needed: dict[str, date], start: date, end: date
) -> reliability.RecordsThroughTime:
    """The origins' records and the ledger's outcomes day by day: from the calls model as
    the ledger stands now, or worked out from the evidence read for a past recording time
    (the outcomes from the whole ledger's)."""
    settings = weighing.settings
    if weighing.moment.known_at is None:
        wanted = {**needed, OUTCOMES_KEY: start}
        return reliability.records_through_time(conn, wanted, end, settings)
    moves = weighing.found.moves.values()
    every = calls_model.scored_on_the_fly(moves, weighing.evidence, weighing.rivals)
    scored = [c for c in every if c.source_key in needed]
    ledger = weigh_every_move(conn, weighing.moment, settings)
    outcome_days = calls_model.outcome_days_on_the_fly(
        ledger.found.moves.values(), ledger.evidence, ledger.rivals
    )
    return reliability.RecordsThroughTime.of(
        [*reliability.record_days_of(scored, settings.horizon_days), *outcome_days]
    )


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)
