"""The stored rows as they are in the database, read without the application or read models.

`rumour verify` and `rumour digest` read through here: a read-only connection (SQLite opened
with mode=ro, PostgreSQL in a READ ONLY, REPEATABLE READ transaction), one consistent
snapshot, rows exactly as stored (nothing decoded, nothing trusted), in log order.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rumour_ledger.ledger import guards
from rumour_ledger.ledger.errors import StoreError
from rumour_ledger.ledger.store import (
    Store,
    connection_failure,
    no_ledger,
    sqlite_open_error,
    sqlite_uri,
)

BATCH = 2_000


@dataclass(frozen=True, slots=True)
class Row:
    """One stored event or snapshot, as stored: the types are whatever the database holds."""

    position: int  # the notification id (SQLite rowid), i.e. its place in the log
    stream: object  # the originator id: 32 hex digits when sound
    version: object
    topic: object
    state: object


class RawLedger:
    """A read-only view of one ledger's stored rows, inside one snapshot."""

    def __init__(self, store: Store, conn: Any) -> None:
        self.store = store
        self.conn = conn
        self.events_table, self.snapshots_table = guards.event_tables(store)

    def guard_problems(self) -> list[str]:
        return guards.problems(self.conn, self.store)

    def has_events_table(self) -> bool:
        return self._has(self.events_table)

    def events(self) -> Iterator[Row]:
        """Every stored event in log order."""
        if not self.has_events_table():
            return iter(())
        order = "rowid" if self.store.dialect == "sqlite" else "notification_id"
        return self._rows(self.events_table, order)

    def snapshots(self) -> Iterator[Row]:
        if not self._has(self.snapshots_table):
            return iter(())
        return self._rows(self.snapshots_table, None)

    def _has(self, table: guards.Table) -> bool:
        if self.store.dialect == "sqlite":
            cursor = self.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table.name,)
            )
            return cursor.fetchone() is not None
        with self.conn.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (table.sql,))
            row = cursor.fetchone()
        return bool(row and row[0])

    def _rows(self, table: guards.Table, order: str | None) -> Iterator[Row]:
        position = order or "0"
        sort = f" ORDER BY {order}" if order else " ORDER BY originator_id, originator_version"
        query = (
            f"SELECT {position}, originator_id, originator_version, topic, state "
            f"FROM {table.sql}{sort}"
        )
        if self.store.dialect == "sqlite":
            cursor = self.conn.execute(query)
            while batch := cursor.fetchmany(BATCH):
                for row in batch:
                    yield Row(*row)
            return
        with self.conn.cursor(name=f"rumour_raw_{table.name}") as cursor:
            cursor.itersize = BATCH
            cursor.execute(query)
            for position_, stream, version, topic, state in cursor:
                if isinstance(stream, uuid.UUID):
                    stream = stream.hex
                if isinstance(state, memoryview):
                    state = bytes(state)
                yield Row(position_, stream, version, topic, state)


@contextmanager
def open_raw(store: Store) -> Iterator[RawLedger]:
    """A read-only snapshot of the ledger at a store; it must exist already."""
    if store.dialect == "sqlite":
        with _sqlite(store) as conn:
            yield RawLedger(store, conn)
    else:
        with _postgres(store) as conn:
            yield RawLedger(store, conn)


@contextmanager
def _sqlite(store: Store) -> Iterator[sqlite3.Connection]:
    assert store.path is not None
    if not store.path.exists():
        raise no_ledger(store)
    try:
        conn = sqlite3.connect(
            sqlite_uri(store.path, read_only=True),
            uri=True,
            isolation_level=None,
            timeout=store.lock_timeout,
        )
    except sqlite3.Error as error:
        raise sqlite_open_error(store.path, error) from None
    try:
        conn.execute("BEGIN")  # one read snapshot for everything read below
        yield conn
    except sqlite3.OperationalError as error:
        raise sqlite_open_error(store.path, error) from None
    except sqlite3.Error as error:
        raise StoreError(f"cannot read the ledger at {store.path}: {error}") from None
    finally:
        conn.close()


@contextmanager
def _postgres(store: Store) -> Iterator[Any]:
    import psycopg

    params = store.connect_params()
    # Tables are named with their schema here: no search_path, only the lock timeout.
    params["options"] = f"-clock_timeout={store.lock_timeout}s"
    try:
        conn = psycopg.connect(**params)
    except psycopg.Error as error:
        raise connection_failure(store, error) from None
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        yield conn
    except psycopg.Error as error:
        raise StoreError(f"cannot read the ledger at {store.describe()}: {_first(error)}") from None
    finally:
        conn.close()


def _first(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
