"""Confirmations that contradict each other; official claims from a source not party to a move.

A conflict is one subject (its name resolved through the aliases in force) confirmed to two
or more different destinations in overlapping time: two live confirmations of moves to
different clubs, published at most CONFLICT_WINDOW_DAYS apart. Confirmations linked by such
pairs make one conflict. A retracted confirmation no longer counts, so a retraction settles
a conflict. See docs/likelihood.md for why the window is what it is.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, String, select, text, type_coerce

from rumour_ledger.ledger.aliases import AliasKind
from rumour_ledger.ledger.claims import Claim, Kind
from rumour_ledger.ledger.names import name_key
from rumour_ledger.projections.aliases import Names
from rumour_ledger.projections.evidence import Moment, names_at, standing
from rumour_ledger.projections.tables import chunked, claims, rumours

# Two real moves of one subject are rarely confirmed within a season's half: a transfer
# window lasts four to twelve weeks and the next opens months later, so two destinations
# confirmed within 90 days of each other cannot both be true.
CONFLICT_WINDOW_DAYS = 90
# The predicate of the confirmations' partial index (projections/tables.py), word for word.
CONFIRMATION = text("claims.kind = 'confirmation'")


@dataclass(frozen=True, slots=True)
class Confirmation:
    """One live confirmation, as a conflict lists it."""

    claim_id: str
    rumour_id: str
    label: str
    destination: str  # the canonical key of the club confirmed
    source: str
    published: date

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(uuid.UUID(self.claim_id)),
            "rumour": str(uuid.UUID(self.rumour_id)),
            "move": self.label,
            "source": self.source,
            "date": self.published.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Conflict:
    """One subject confirmed to several destinations in overlapping time."""

    subject: str
    confirmations: tuple[Confirmation, ...]  # by published date, then claim id

    @property
    def moves(self) -> list[str]:
        """The labels of the moves in conflict, in the order first confirmed."""
        return list(dict.fromkeys(c.label for c in self.confirmations))

    @property
    def rumour_ids(self) -> set[str]:
        return {c.rumour_id for c in self.confirmations}

    def others(self, rumour_ids: set[str]) -> list[str]:
        """The moves in conflict with the move made of these rumours."""
        own = {c.destination for c in self.confirmations if c.rumour_id in rumour_ids}
        return list(dict.fromkeys(c.label for c in self.confirmations if c.destination not in own))

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "moves": self.moves,
            "confirmations": [c.to_dict() for c in self.confirmations],
        }


def conflicts(
    conn: Connection, moment: Moment, subjects: Iterable[str] | None = None
) -> list[Conflict]:
    """Every conflict as of the moment, by subject; or only those of some subjects (their
    name keys), read through their rumours, so the cost is theirs and not the ledger's."""
    names = names_at(conn, moment)
    query = (
        select(
            claims.c.id,
            claims.c.rumour_id,
            claims.c.source,
            type_coerce(claims.c.published, String).label("published"),
            rumours.c.subject,
            rumours.c.subject_key,
            rumours.c.to_key,
            rumours.c.label,
        )
        .join(rumours, rumours.c.id == claims.c.rumour_id)
        # Written out, so both stores read the confirmations' partial index (a published
        # day in the query led SQLite to walk every claim by day instead: 86 ms at 100,000
        # events); the day is kept below.
        .where(CONFIRMATION, standing(moment), rumours.c.to_key.is_not(None))
    )
    if subjects is None:
        rows = list(conn.execute(query))
    else:
        wanted = {names.person(key) or key for key in subjects}
        spellings = sorted({k for w in wanted for k in names.aliases_of(AliasKind.PERSON, w)})
        rows = [
            row
            for chunk in chunked(spellings)
            for row in conn.execute(query.where(rumours.c.subject_key.in_(chunk)))
        ]
    as_of = moment.as_of.isoformat()  # both stores give the day as ISO text, which sorts
    by_subject: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        if str(row.published)[:10] <= as_of:
            by_subject[str(names.person(row.subject_key))].append(row)
    found = []
    for subject_key, confirmed_rows in sorted(by_subject.items()):
        destinations = {names.club(r.to_key) for r in confirmed_rows}
        if len(destinations) < 2:
            continue  # most confirmed subjects went to one club: nothing to contradict
        confirmed = sorted(
            (
                Confirmation(
                    r.id,
                    r.rumour_id,
                    r.label,
                    str(names.club(r.to_key)),
                    r.source,
                    date.fromisoformat(str(r.published)[:10]),
                )
                for r in confirmed_rows
            ),
            key=lambda c: (c.published, c.claim_id),
        )
        shown = names.canonical_name(AliasKind.PERSON, subject_key, confirmed_rows[0].subject)
        found.extend(Conflict(shown, group) for group in _contradicting(confirmed))
    return found


def _contradicting(confirmed: list[Confirmation]) -> list[tuple[Confirmation, ...]]:
    """The groups of one subject's confirmations linked by pairs that contradict: different
    destinations, published within the window (a union of linked pairs, so the answer
    does not depend on the order they were read in)."""
    parent = list(range(len(confirmed)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    linked = set()
    for i, first in enumerate(confirmed):
        for j in range(i + 1, len(confirmed)):
            second = confirmed[j]
            if (second.published - first.published).days > CONFLICT_WINDOW_DAYS:
                break  # sorted by day: every later one is further away
            if second.destination != first.destination:
                parent[root(j)] = root(i)
                linked.update((i, j))
    groups: dict[int, list[Confirmation]] = defaultdict(list)
    for i in sorted(linked):
        groups[root(i)].append(confirmed[i])
    return [tuple(group) for _root, group in sorted(groups.items())]


def conflicts_of(
    conn: Connection, moment: Moment, subject_key: str, rumour_ids: set[str]
) -> list[Conflict]:
    """The conflicts a move (made of these rumours, of this subject) is part of."""
    keys = {uuid.UUID(i).hex for i in rumour_ids}
    return [c for c in conflicts(conn, moment, [subject_key]) if c.rumour_ids & keys]


def is_party(claim: Claim, names: Names) -> bool:
    """Whether the claim's source is a party to its move: the subject, the club left or the
    club joined, compared by name key, each side also under the name the aliases make it."""
    source = name_key(claim.source)
    spellings = {source, names.source(source)}
    move = claim.move
    parties = {name_key(move.subject), names.person(name_key(move.subject))}
    for club in (move.from_, move.to):
        if club is not None:
            parties.update((name_key(club), names.club(name_key(club))))
    return bool(spellings & parties)


def recording_warnings(conn: Connection, claim: Claim, claim_id: uuid.UUID) -> list[str]:
    """What a desk should hear on recording an official claim (every confirmation is one):
    that its source is not a party to the move, and that a confirmation contradicts
    another."""
    warnings = []
    names = names_at(conn, Moment(claim.published))
    if claim.official and not is_party(claim, names):
        warnings.append(
            f"warning: {claim.source!r} is not a party to {claim.move.label!r} "
            f"(not the subject, nor a club of the move): stored as an official "
            f"{claim.kind.value} all the same"
        )
    if claim.kind is not Kind.CONFIRMATION:
        return warnings
    for conflict in conflicts(conn, Moment(date.max), [name_key(claim.move.subject)]):
        if any(c.claim_id == claim_id.hex for c in conflict.confirmations):
            others = conflict.others({claim.move.rumour_id.hex})
            warnings.append(
                f"warning: {claim.move.label!r} conflicts with confirmed "
                + ", ".join(repr(o) for o in others)
                + ": see `rumour conflicts`"
            )
    return warnings
