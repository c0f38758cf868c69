"""Where each read model has got to in the notification log, moved with the rows it covers."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from rumour_ledger.ledger.errors import LedgerBusy, StoreError
from rumour_ledger.projections.tables import positions


def position(conn: Connection, name: str) -> int:
    found = conn.execute(select(positions.c.position).where(positions.c.name == name))
    return found.scalar() or 0


def advance(conn: Connection, name: str, start: int, end: int) -> bool:
    """Move a read model's position from start to end, only if nobody else has moved it.

    Run in the transaction that writes the rows, so a crash never applies an event twice or
    skips one; two processes catching up at once find that one of them lost, and stop.
    """
    if start == 0:
        exists = conn.execute(select(positions.c.name).where(positions.c.name == name))
        if exists.first() is None:
            conn.execute(insert(positions), {"name": name, "position": end})
            return True
    moved = conn.execute(
        update(positions)
        .where(positions.c.name == name, positions.c.position == start)
        .values(position=end)
    )
    return moved.rowcount == 1


def store_error(error: BaseException) -> StoreError:
    """What a failed read-model write means to the user, in one line."""
    text = str(getattr(error, "orig", None) or error).strip()
    if "locked" in text or "lock timeout" in text:
        return LedgerBusy("the ledger is busy: another process held its lock too long")
    if "readonly" in text or "read-only" in text:
        return StoreError("the ledger is read-only here: cannot update its read models")
    lines = text.splitlines()
    return StoreError(f"database error: {lines[0] if lines else type(error).__name__}")
