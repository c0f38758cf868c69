"""Rumours close to a move about to be opened: a typed "Arsneal" should hear of "Arsenal".

A new rumour is often a typo of an existing one. A move is close to a stored rumour when
every name both of them give is alike (the same subject, or nearly; the same clubs, or
nearly) and they go the same way (both name a destination, or neither does). A club only
one of them names is no evidence either way: "Declan Rice -> Arsneal" is close to
"Declan Rice: West Ham -> Arsenal".
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from rumour_ledger.ledger.claims import Move
from rumour_ledger.projections.tables import rumours

# fuzz.ratio of "arsneal" and "arsenal" is 86, of "real madird" and "real madrid" 91, of
# "liverpool" and "real madrid" 20: a typo passes, another club does not.
ALIKE = 80.0
LIMIT = 3


def part_likeness(typed: str | None, stored: str | None) -> float | None:
    """How alike two name keys are, 0 to 100; None when only one side names anything."""
    from rapidfuzz import fuzz

    if typed is None and stored is None:
        return 100.0
    if typed is None or stored is None:
        return None
    return float(fuzz.ratio(typed, stored))


def move_likeness(move: Move, key: tuple[str, str | None, str | None]) -> float:
    """The least alike of the parts both moves name (0 when they go different ways)."""
    subject, from_, to = move.key
    if (to is None) != (key[2] is None):
        return 0.0
    scores = [part_likeness(subject, key[0]), part_likeness(from_, key[1])]
    scores.append(part_likeness(to, key[2]))
    return min(score for score in scores if score is not None)


def close_rumours(conn: Connection, move: Move, limit: int = LIMIT) -> list[str]:
    """The labels of the stored rumours closest to this move (itself and hidden ones left
    out), closest first: candidates whose subject is alike, then every part compared."""
    from rapidfuzz import fuzz, process

    subject = move.key[0]
    subjects = conn.execute(select(rumours.c.subject_key).distinct()).scalars().all()
    alike = [
        found
        for found, _score, _index in process.extract(
            subject, subjects, scorer=fuzz.ratio, score_cutoff=ALIKE, limit=50
        )
    ]
    if not alike:
        return []
    rows = conn.execute(
        select(rumours.c.id, rumours.c.subject_key, rumours.c.from_key, rumours.c.to_key)
        .add_columns(rumours.c.label, rumours.c.position)
        .where(rumours.c.subject_key.in_(alike))
    ).all()
    from rumour_ledger.projections.hidden import hidden_rumours

    left_out = {move.rumour_id.hex, *hidden_rumours(conn)}
    scored = []
    for row in rows:
        if row.id in left_out:
            continue
        score = move_likeness(move, (row.subject_key, row.from_key, row.to_key))
        if score >= ALIKE:
            scored.append((-score, row.position, row.label))
    return [label for _score, _position, label in sorted(scored)[:limit]]
