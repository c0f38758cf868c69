"""eventsourcing's SQLite recorder, able to write a whole import as one streamed transaction.

Three changes to the built-in application recorder, nothing else:

- Events are inserted with one `executemany` rather than one `execute` per event. The library
  loops only to collect each row's `lastrowid` as its notification id; inside the write
  transaction no other writer can insert, and SQLite gives a new row the largest rowid plus
  one, so the batch's ids are the last `len(batch)` rowids, read once after the insert.
- While a lean import parses (ledger/spool.py), `insert_events` and `select_events` of its
  thread go to its spool (ledger/bulk.py), with no transaction of the ledger's held.
- `bulk()` (ledger/bulk.py): one transaction, begun IMMEDIATE so the write lock is held before
  the importer's first existence check, into which every `insert_events` of the importing
  thread writes until it commits, and through which its `select_events` read, so they see
  what the import has written so far. The session's connection gets a larger page cache:
  a big import inserts into the primary-key index at random places, and with SQLite's
  default 2 MB the transaction spills and rewrites pages over and over (20 GB written for a
  1M-event import; 2.1 GB with 64 MB, 2.2 GB with the 8 MB it now has).

Selected with PERSISTENCE_MODULE=ledger.sqlitestore:LedgerSQLiteFactory (ledger/store.py).
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing import persistence
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteFactory

from rumour_ledger.ledger.bulk import BulkSession, SessionRouting, spooled_after

# sqlite3's errors as eventsourcing's, most specific first, as the library's own
# transactions translate them (eventsourcing.sqlite.SQLiteTransaction).
ERRORS: tuple[tuple[type[sqlite3.Error], type[persistence.PersistenceError]], ...] = (
    (sqlite3.InterfaceError, persistence.InterfaceError),
    (sqlite3.DataError, persistence.DataError),
    (sqlite3.OperationalError, persistence.OperationalError),
    (sqlite3.IntegrityError, persistence.IntegrityError),
    (sqlite3.InternalError, persistence.InternalError),
    (sqlite3.ProgrammingError, persistence.ProgrammingError),
    (sqlite3.NotSupportedError, persistence.NotSupportedError),
    (sqlite3.DatabaseError, persistence.DatabaseError),
    (sqlite3.Error, persistence.PersistenceError),
)
# Bound parameters per existence query: far below SQLite's limit on every version.
IDS_PER_QUERY = 500
# SQLite's page cache while an import writes, in KiB. With 64 MB a 1M import's step took
# 107 s and handed 1.6 GB to write(); with 8 MB 115 s and 4.8 GB, of which the disk saw
# 2.2 GB either way (2.1 with 64 MB). But the bigger cache stayed with the process into
# the read models' per-move pass, beside a worker: the whole import peaked at 523 MB
# against 499 (sampled every 20 ms), over the 500 MB the benchmark asks at 1M.
BULK_CACHE_KIB = 8_192


@contextmanager
def translated() -> Iterator[None]:
    """sqlite3 errors raised inside, re-raised as eventsourcing's persistence errors."""
    try:
        yield
    except sqlite3.Error as error:
        for raw, ours in ERRORS:
            if isinstance(error, raw):
                raise ours(error) from error
        raise


class SQLiteBulkSession:
    """An import transaction on SQLite: answers existence checks inside it."""

    def __init__(self, cursor: SQLiteCursor, table: str) -> None:
        self.cursor = cursor
        self.table = table

    def existing(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        wanted = [i.hex for i in ids]
        found: set[uuid.UUID] = set()
        for start in range(0, len(wanted), IDS_PER_QUERY):
            part = wanted[start : start + IDS_PER_QUERY]
            marks = ",".join("?" * len(part))
            # Every stream starts at version 1: one primary-key probe per id.
            self.cursor.execute(
                f"SELECT originator_id FROM {self.table} "
                f"WHERE originator_version = 1 AND originator_id IN ({marks})",
                part,
            )
            found.update(uuid.UUID(row[0]) for row in self.cursor.fetchall())
        return found

    def last_notification_id(self) -> int:
        self.cursor.execute(f"SELECT MAX(rowid) FROM {self.table}")
        return int(self.cursor.fetchone()[0] or 0)


class LedgerSQLiteApplicationRecorder(SessionRouting, SQLiteApplicationRecorder):
    """The events recorder: inserts with executemany, and writes imports in one session."""

    # No: the lean path costs a SQLite import ~40% more time, and the read models hold the
    # one file's write lock after the events anyway, so other writers gain little.
    parses_before_locking = False

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **_: Any
    ) -> Sequence[int] | None:
        if not stored_events:
            return []
        c.executemany(
            self.insert_events_statement,
            [
                (
                    s.originator_id.hex
                    if isinstance(s.originator_id, uuid.UUID)
                    else s.originator_id,
                    s.originator_version,
                    s.topic,
                    s.state,
                )
                for s in stored_events
            ],
        )
        last = self._max_notification_id(c)
        return list(range(last - len(stored_events) + 1, last + 1))

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        spool = self.session_spool()
        if spool is not None:
            spool.write_events(stored_events)
            return None
        cursor = self.session_cursor()
        if cursor is None:
            return super().insert_events(stored_events, **kwargs)
        with translated():
            self._insert_events(cursor, stored_events, **kwargs)
        return None  # an import has no use for notification ids: no Recording objects made

    def select_events(
        self,
        originator_id: uuid.UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        spool = self.session_spool()
        if spool is not None:
            stored = super().select_events(originator_id)
            spooled = spool.select_events(originator_id)
            return spooled_after(stored, spooled, gt=gt, lte=lte, desc=desc, limit=limit)
        cursor = self.session_cursor()
        if cursor is None:
            return super().select_events(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
        stream = originator_id.hex if isinstance(originator_id, uuid.UUID) else originator_id
        where, params = ["originator_id = ?"], [stream]
        if gt is not None:
            where.append("originator_version > ?")
            params.append(gt)
        if lte is not None:
            where.append("originator_version <= ?")
            params.append(lte)
        query = (
            f"SELECT originator_version, topic, state FROM {self.events_table_name} "
            f"WHERE {' AND '.join(where)} ORDER BY originator_version {'DESC' if desc else 'ASC'}"
        )
        if limit is not None:
            query += " LIMIT ?"
            params.append(limit)
        with translated():
            cursor.execute(query, params)
            rows = cursor.fetchall()
        return [StoredEvent(originator_id, version, topic, state) for version, topic, state in rows]

    def existing_streams(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        with self.datastore.transaction(commit=False) as cursor, translated():
            found = SQLiteBulkSession(cursor, self.events_table_name).existing(ids)
        spool = self.session_spool()
        return found if spool is None else found | spool.existing(ids)

    @contextmanager
    def bulk(self) -> Iterator[BulkSession]:
        with self.datastore.get_connection(commit=True) as conn, translated():
            cursor = conn.cursor()
            cursor.execute("PRAGMA cache_size")
            cache_size = int(cursor.fetchone()[0])
            try:
                cursor.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    with self.routed(cursor):
                        yield SQLiteBulkSession(cursor, self.events_table_name)
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
            finally:
                with contextlib.suppress(sqlite3.Error):  # never hide the error that ended it
                    cursor.execute(f"PRAGMA cache_size = {cache_size}")
                cursor.sqlite_cursor.close()


class LedgerSQLiteFactory(SQLiteFactory):
    application_recorder_class = LedgerSQLiteApplicationRecorder
