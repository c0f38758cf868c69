"""Evidence as the likelihood fold needs it: claims filtered by the two clocks, names resolved.

`as_of` keeps claims published by that day; `known_at` keeps only what the ledger had
recorded by then (retractions included). Names go through the aliases in force, so two
spellings of one move are one move, and a rumour's rivals are found by canonical names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Connection, String, and_, or_, select, type_coerce

from rumour_ledger.ledger.aliases import AliasKind
from rumour_ledger.projections.aliases import Names, names_in_force
from rumour_ledger.projections.claims import naive_utc
from rumour_ledger.projections.likelihood import Evidence, Move, Resolution
from rumour_ledger.projections.retracted import not_retracted_then
from rumour_ledger.projections.tables import IN_LIST, chunked, claims, rumours

CLAIM_KINDS = ("report", "denial", "confirmation")
MoveKey = tuple[str, str | None, str | None]


@dataclass(frozen=True, slots=True)
class Moment:
    """The two clocks of a question: the published day asked about, and the recording time."""

    as_of: date
    known_at: datetime | None = None


def parse_moment(as_of: str | None, known_at: str | None, today: date) -> Moment:
    """The user's --as-of (a day; default today) and --known-at (a timestamp, or a day
    meaning the end of that day, UTC)."""
    from rumour_ledger.ledger.claims import check_date
    from rumour_ledger.ledger.errors import InvalidClaim

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
    try:
        stamp.astimezone(UTC)  # the read models compare in UTC: it must exist there
    except OverflowError:
        raise InvalidClaim(
            "known-at", f"{known_at!r} lies outside the years 1 to 9999 in UTC"
        ) from None
    return Moment(day, stamp)


def live(moment: Moment) -> Any:
    """Claims that count at this moment: published by as_of, recorded by known_at, and
    not retracted (as the ledger stood at known_at)."""
    return and_(
        claims.c.kind.in_(CLAIM_KINDS), claims.c.published <= moment.as_of, standing(moment)
    )


def ending_claim(moment: Moment) -> Any:
    """Collapses that count at this moment, on the same two clocks as `live` claims."""
    return and_(claims.c.published <= moment.as_of, standing(moment))


def standing(moment: Moment) -> Any:
    """Claims recorded by known_at and not retracted (as the ledger stood then), whatever
    their published day."""
    if moment.known_at is None:
        return claims.c.retracted_by.is_(None)
    return and_(
        claims.c.recorded_at <= naive_utc(moment.known_at),
        not_retracted_then(moment.known_at),
    )


@dataclass(frozen=True)
class Rumoured:
    """One move as the board shows it: every stored rumour whose names resolve to it."""

    key: MoveKey
    move: Move
    members: tuple[Any, ...]  # rumours rows, earliest opened first

    @property
    def ref(self) -> Any:
        return self.members[0]

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.members]


class Catalogue:
    """The rumoured moves as the aliases in force group them."""

    def __init__(self, rows: Iterable[Any], names: Names) -> None:
        self.names = names
        grouped: dict[MoveKey, list[Any]] = defaultdict(list)
        self.key_of: dict[str, MoveKey] = {}
        for row in rows:
            key = move_key(row, names)
            grouped[key].append(row)
            self.key_of[row.id] = key
        self.moves = {
            key: Rumoured(key, Move(*key, members[0].role), tuple(members))
            for key, members in (
                (k, sorted(v, key=lambda r: r.position)) for k, v in grouped.items()
            )
        }

    def of(self, rumour_id: str) -> Rumoured:
        return self.moves[self.key_of[rumour_id]]


def move_key(row: Any, names: Names) -> MoveKey:
    return (
        names.person(row.subject_key),
        names.club(row.from_key),
        names.club(row.to_key),
    )


def catalogue(conn: Connection, names: Names, related_to: Any | None = None) -> Catalogue:
    """Every rumour, or (given a rumours row) those that share its canonical move: its
    subject's under any spelling, from and to the same clubs under any spelling (reading
    every rumour of the subject made up a third of a star's `why`)."""
    query = select(rumours)
    if related_to is not None:
        subject = names.person(related_to.subject_key)
        query = query.where(
            rumours.c.subject_key.in_(names.aliases_of(AliasKind.PERSON, subject)),
            _same_club(rumours.c.from_key, related_to.from_key, names),
            _same_club(rumours.c.to_key, related_to.to_key, names),
        )
    return Catalogue(conn.execute(query), names)


def _same_club(column: Any, key: str | None, names: Names) -> Any:
    if key is None:
        return column.is_(None)
    return column.in_(names.aliases_of(AliasKind.CLUB, names.club(key)))


def evidence_of(row: Any, names: Names) -> Evidence:
    if names.maps.get(AliasKind.SOURCE):
        source_key, cites_key = names.source(row.source_key), names.source(row.cites_key)
    else:
        source_key, cites_key = row.source_key, row.cites_key
    relayed = cites_key is not None and cites_key != source_key
    published = row.published
    if type(published) is str:  # SQLite's stored text, read without SQLAlchemy's regex
        published = date.fromisoformat(published)
    # Positional: this runs once for every claim of the ledger on a board.
    return Evidence(
        row.id,
        row.kind,
        row.source,
        source_key,
        row.cites if relayed else None,
        cites_key if relayed else None,
        bool(row.official),
        published,
        row.position,
    )


# What the likelihood needs of a claim; the rest (its text, link, recorder) stays on disk.
EVIDENCE_COLUMNS = (
    claims.c.id,
    claims.c.rumour_id,
    claims.c.kind,
    claims.c.source,
    claims.c.source_key,
    claims.c.cites,
    claims.c.cites_key,
    claims.c.official,
    type_coerce(claims.c.published, String).label("published"),
    claims.c.position,
)


def claim_rows(conn: Connection, rumour_ids: list[str] | None, moment: Moment) -> Iterator[Any]:
    """The live claims of some rumours (or all), by rumour, then published date."""
    query = select(*EVIDENCE_COLUMNS).where(live(moment))
    if rumour_ids is not None:
        query = query.where(claims.c.rumour_id.in_(rumour_ids))
    yield from conn.execute(
        query.order_by(claims.c.rumour_id, claims.c.published, claims.c.position)
    )


def evidence_by_move(
    conn: Connection, found: Catalogue, moment: Moment, rumour_ids: list[str] | None = None
) -> dict[MoveKey, list[Evidence]]:
    grouped: dict[MoveKey, list[Evidence]] = defaultdict(list)
    slices = [None] if rumour_ids is None else list(chunked(rumour_ids))
    for ids in slices:
        for row in claim_rows(conn, None if ids is None else list(ids), moment):
            grouped[found.key_of[row.rumour_id]].append(evidence_of(row, found.names))
    return grouped


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A confirmed move, as it bears on its rivals."""

    key: MoveKey
    role: str
    label: str
    published: date


@dataclass(frozen=True, slots=True)
class Collapse:
    """A move called off on the record (a `collapse` claim), as it bears on the move itself."""

    key: MoveKey
    source: str
    published: date


class Rivals:
    """What ends a rumour short of its own confirmation: a rival's confirmation (the subject
    went elsewhere, or the club appointed another head coach), or its own collapse."""

    def __init__(self, confirmed: Iterable[Confirmed], collapses: Iterable[Collapse] = ()) -> None:
        self.by_subject: dict[str, list[Confirmed]] = defaultdict(list)
        self.coaches_by_club: dict[str, list[Confirmed]] = defaultdict(list)
        self.collapses: dict[MoveKey, list[Collapse]] = defaultdict(list)
        for c in confirmed:
            self.by_subject[c.key[0]].append(c)
            if c.role == "coach" and c.key[2]:
                self.coaches_by_club[c.key[2]].append(c)
        for off in collapses:
            self.collapses[off.key].append(off)

    def resolutions(self, key: MoveKey, role: str) -> list[Resolution]:
        # A collapse ends the move it is about, whatever its shape; a later report reopens
        # it, as after a rival's confirmation (the fold's rule), and a retraction undoes it.
        called_off = [
            Resolution(off.published, f"called off, per {off.source}")
            for off in self.collapses.get(key, ())
        ]
        subject, _from, to = key
        if to is None:
            return called_off  # a departure is not ended by where the subject went
        ended = [c for c in self.by_subject.get(subject, []) if c.key[2] not in (None, to)]
        if role == "coach":
            ended += [c for c in self.coaches_by_club.get(to, []) if c.key[0] != subject]
        return [*called_off, *(Resolution(c.published, f"{c.label} confirmed") for c in ended)]


def rivals(
    conn: Connection, moment: Moment, found: Catalogue, scope: Iterable[Rumoured] | None = None
) -> Rivals:
    """The live confirmations that may end rumours (all, or those of some moves' rivals),
    and the live collapses of the same moves."""
    query = (
        select(rumours, claims.c.published.label("confirmed_on"))
        .join(claims, claims.c.rumour_id == rumours.c.id)
        .where(live(moment), claims.c.kind == "confirmation")
    )
    called_off = (
        select(rumours, claims.c.source, claims.c.published.label("called_off_on"))
        .join(claims, claims.c.rumour_id == rumours.c.id)
        .where(ending_claim(moment), claims.c.kind == "collapse")
    )
    scoped = None if scope is None else _rival_scope(list(scope), found.names)
    if scope is None:
        offs = list(conn.execute(called_off))
    else:
        own = [rumour_id for move in scope for rumour_id in move.ids]
        offs = [
            row
            for chunk in chunked(own)
            for row in conn.execute(called_off.where(claims.c.rumour_id.in_(chunk)))
        ]
    if scoped is None:
        rows = list(conn.execute(query))
    else:
        # The rumours first, then their claims by rumour id: both by index, so the cost is
        # the scope's, not the ledger's (PostgreSQL's planner would otherwise scan every
        # claim for the confirmations).
        ids = list(conn.execute(select(rumours.c.id).where(scoped)).scalars())
        rows = [
            row
            for chunk in chunked(ids)
            for row in conn.execute(query.where(claims.c.rumour_id.in_(chunk)))
        ]
    confirmed = []
    for row in rows:
        key = move_key(row, found.names)
        confirmed.append(Confirmed(key, row.role, row.label, row.confirmed_on))
    collapses = [Collapse(move_key(r, found.names), r.source, r.called_off_on) for r in offs]
    return Rivals(confirmed, collapses)


def _rival_scope(scope: list[Rumoured], names: Names) -> Any:
    """Confirmations of the same subjects, and of coaches at the clubs of coach rumours."""
    subjects = {k for m in scope for k in names.aliases_of(AliasKind.PERSON, m.key[0])}
    clubs = {
        k
        for m in scope
        if m.key[2] is not None and m.move.role == "coach"
        for k in names.aliases_of(AliasKind.CLUB, m.key[2])
    }
    if len(subjects) + len(clubs) > IN_LIST:
        return None  # confirmations are few: reading them all beats a huge IN list
    related = [rumours.c.subject_key.in_(sorted(subjects))]
    if clubs:
        related.append(and_(rumours.c.to_key.in_(sorted(clubs)), rumours.c.role == "coach"))
    return or_(*related)


def names_at(conn: Connection, moment: Moment) -> Names:
    return names_in_force(conn, moment.known_at)


def rumours_row(conn: Connection, rumour_id: str) -> Any:
    return conn.execute(select(rumours).where(rumours.c.id == rumour_id)).one()
