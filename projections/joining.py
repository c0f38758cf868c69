"""Which stored rumour a claim typed without --from belongs to.

`rumour deny "Xabi Alonso" --to "Bayern Munich"` names no club Alonso leaves. Opening a second
rumour beside "Xabi Alonso: Bayer Leverkusen -> Bayern Munich" would split one move's record
in two, so such a claim joins the one stored rumour of its subject and destination, whatever
club it leaves, with the aliases in force applied. Several such rumours: the claim cannot say
which, and the user is asked for --from. None: it opens a rumour without a from club.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from rumour_ledger.ledger.aliases import AliasKind
from rumour_ledger.ledger.claims import Move
from rumour_ledger.ledger.errors import AmbiguousMove
from rumour_ledger.projections.aliases import names_in_force
from rumour_ledger.projections.tables import rumours


def move_to_record(conn: Connection, move: Move) -> Move:
    """The move a claim is recorded on: the one it was typed as, unless it names no from
    club, in which case that of the single stored rumour of its subject and destination."""
    if move.from_ is not None or move.to is None:
        return move
    subject, _from, to = move.key
    assert to is not None
    names = names_in_force(conn)
    person = AliasKind.PERSON
    club = AliasKind.CLUB
    rows = conn.execute(
        select(rumours)
        .where(
            rumours.c.subject_key.in_(names.aliases_of(person, names.resolve(person, subject))),
            rumours.c.to_key.in_(names.aliases_of(club, names.resolve(club, to))),
        )
        .order_by(rumours.c.position)
    ).all()
    # Stored rumours that the aliases make one move are one candidate, named by the first.
    candidates: dict[tuple[Any, ...], Any] = {}
    for row in rows:
        key = (names.person(row.subject_key), names.club(row.from_key), names.club(row.to_key))
        candidates.setdefault(key, row)
    if not candidates:
        return move
    if len(candidates) > 1:
        raise AmbiguousMove(move.label, [row.label for row in candidates.values()])
    [row] = candidates.values()
    return Move(row.subject, row.from_club, row.to_club, move.role)
