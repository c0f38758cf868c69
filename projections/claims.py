"""The claims read model: every stored claim as a row, caught up from the notification log."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from ledger.aliases import Alias
from ledger.application import RumourLedger
from ledger.claims import move_label
from ledger.domain import Rumour
from ledger.errors import LedgerBusy, StoreError
from ledger.names import name_key, optional_key
from projections.tables import aliases, claims, metadata, positions, rumours

NAME = "claims"
BATCH = 5_000
Progress = Callable[[int, int], None]


def naive_utc(stamp: datetime) -> datetime:
    """Timestamps are stored as naive UTC so SQLite and PostgreSQL compare them alike."""
    return stamp.astimezone(UTC).replace(tzinfo=None)


@dataclass
class Batch:
    """The rows that one slice of the notification log adds to the read model."""

    rumours: list[dict[str, Any]] = field(default_factory=list)
    claims: list[dict[str, Any]] = field(default_factory=list)
    retractions: list[dict[str, Any]] = field(default_factory=list)
    aliases: list[dict[str, Any]] = field(default_factory=list)

    def add(self, event: Any, position: int) -> None:
        if isinstance(event, Alias.Declared | Alias.Redeclared | Alias.Removed):
            self.aliases.append(alias_row(event, position))
        elif isinstance(event, Rumour.Opened):
            self.rumours.append(opened_row(event, position))
        elif isinstance(event, Rumour.Retracted):
            self.claims.append(retraction_row(event, position))
            self.retractions.append(
                {
                    "target": event.retracts.hex,
                    "retracted_by": event.claim_id.hex,
                    "retracted_at": naive_utc(event.timestamp),
                }
            )
        else:
            self.claims.append(claim_row(event, position))


def alias_row(event: Any, position: int) -> dict[str, Any]:
    """An alias event; a redeclaration or removal takes its kind and name from its stream."""
    canonical = None if isinstance(event, Alias.Removed) else event.canonical
    declared = isinstance(event, Alias.Declared)
    return {
        "id": event.event_id.hex,
        "alias_id": event.originator_id.hex,
        "kind": event.kind if declared else None,
        "name": event.name if declared else None,
        "name_key": name_key(event.name) if declared else None,
        "action": "unalias" if canonical is None else "alias",
        "canonical": canonical,
        "canonical_key": optional_key(canonical),
        "position": position,
        "recorded_by": event.recorded_by,
        "recorded_at": naive_utc(event.timestamp),
    }


def _fill_alias_names(conn: Connection, rows: list[dict[str, Any]]) -> None:
    known: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["kind"] is not None:
            known[row["alias_id"]] = row
            continue
        if row["alias_id"] not in known:
            first = conn.execute(
                select(aliases).where(aliases.c.alias_id == row["alias_id"]).limit(1)
            ).one()
            known[row["alias_id"]] = first._asdict()
        declared = known[row["alias_id"]]
        row.update(kind=declared["kind"], name=declared["name"], name_key=declared["name_key"])


def opened_row(event: Rumour.Opened, position: int) -> dict[str, Any]:
    return {
        "id": event.originator_id.hex,
        "subject": event.subject,
        "from_club": event.from_,
        "to_club": event.to,
        "role": event.role,
        "subject_key": name_key(event.subject),
        "from_key": optional_key(event.from_),
        "to_key": optional_key(event.to),
        "label": move_label(event.subject, event.from_, event.to),
        "opened_at": naive_utc(event.timestamp),
        "position": position,
    }


def claim_row(event: Rumour.Claimed, position: int) -> dict[str, Any]:
    return {
        "id": event.claim_id.hex,
        "rumour_id": event.originator_id.hex,
        "position": position,
        "kind": event.KIND.value,
        "source": event.source,
        "source_key": name_key(event.source),
        "cites": event.cites,
        "cites_key": optional_key(event.cites),
        "official": event.official,
        "published": event.published,
        "claim": event.claim,
        "url": event.url,
        "recorded_by": event.recorded_by,
        "recorded_at": naive_utc(event.timestamp),
        "retracts": None,
        "reason": None,
    }


def retraction_row(event: Rumour.Retracted, position: int) -> dict[str, Any]:
    return {
        "id": event.claim_id.hex,
        "rumour_id": event.originator_id.hex,
        "position": position,
        "kind": "retraction",
        "source": None,
        "source_key": None,
        "cites": None,
        "cites_key": None,
        "official": False,
        "published": event.published,
        "claim": None,
        "url": None,
        "recorded_by": event.recorded_by,
        "recorded_at": naive_utc(event.timestamp),
        "retracts": event.retracts.hex,
        "reason": event.reason,
    }


def create_tables(engine: Engine) -> None:
    metadata.create_all(engine)


def position(conn: Connection, name: str = NAME) -> int:
    found = conn.execute(select(positions.c.position).where(positions.c.name == name))
    return found.scalar() or 0


def catch_up(
    app: RumourLedger,
    engine: Engine,
    *,
    progress: Progress | None = None,
    batch: int = BATCH,
) -> int:
    """Apply every event recorded since the saved position; returns how many."""
    applied = 0
    total = None
    while True:
        with engine.connect() as conn:
            start = position(conn)
        notifications = app.recorder.select_notifications(start + 1, batch)
        if not notifications:
            return applied
        if progress is not None and total is None:
            total = max(app.recorder.max_notification_id() - start, len(notifications))
        if _commit(app, engine, start, notifications):
            applied += len(notifications)
            if progress is not None and total is not None:
                progress(applied, total)


def _commit(app: RumourLedger, engine: Engine, start: int, notifications: Sequence[Any]) -> bool:
    batch = Batch()
    for notification in notifications:
        batch.add(app.mapper.to_domain_event(notification), notification.id)
    end = notifications[-1].id
    try:
        with engine.begin() as conn:
            if not _advance(conn, start, end):
                return False  # another process applied this slice first
            if batch.rumours:
                conn.execute(insert(rumours), batch.rumours)
            if batch.claims:
                conn.execute(insert(claims), batch.claims)
            if batch.aliases:
                _fill_alias_names(conn, batch.aliases)
                conn.execute(insert(aliases), batch.aliases)
            for retraction in batch.retractions:
                conn.execute(
                    update(claims)
                    .where(claims.c.id == retraction["target"])
                    .values(
                        retracted_by=retraction["retracted_by"],
                        retracted_at=retraction["retracted_at"],
                    )
                )
    except IntegrityError:
        return False  # another process created the position row first
    except OperationalError as error:
        raise _store_error(error) from None
    return True


def rebuild(
    app: RumourLedger, engine: Engine, *, progress: Progress | None = None, batch: int = BATCH
) -> int:
    """Throw the read model away and apply every event again from the first."""
    with engine.begin() as conn:
        conn.execute(claims.delete())
        conn.execute(rumours.delete())
        conn.execute(aliases.delete())
        conn.execute(positions.delete().where(positions.c.name == NAME))
    return catch_up(app, engine, progress=progress, batch=batch)


def _advance(conn: Connection, start: int, end: int) -> bool:
    """Move the position from start to end, only if nobody else has moved it."""
    if start == 0:
        exists = conn.execute(select(positions.c.name).where(positions.c.name == NAME))
        if exists.first() is None:
            conn.execute(insert(positions), {"name": NAME, "position": end})
            return True
    moved = conn.execute(
        update(positions)
        .where(positions.c.name == NAME, positions.c.position == start)
        .values(position=end)
    )
    return moved.rowcount == 1


def _store_error(error: OperationalError) -> StoreError:
    text = str(error.orig)
    if "locked" in text:
        return LedgerBusy("the ledger is busy: another process held its lock too long")
    if "readonly" in text or "read-only" in text:
        return StoreError("the ledger is read-only here: cannot update its read models")
    return StoreError(f"database error: {text}")
