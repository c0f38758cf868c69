"""The spool: an import's stored events, encoded before the write lock, kept on disk until then.

Its one job: hold every row a lean import will insert (stream, version, topic, state, in the
order they are to be stored) and the entries they came from, in a temporary SQLite file, so
that a file of a million lines is parsed, checked and encoded with flat memory and without
the ledger's write lock. While the import parses, the recorder reads each stream as the
ledger holds it followed by what the spool holds of it, so aggregates forgotten and read
back see the lines already applied. Under the lock the rows are read back in order, a batch
at a time, and handed to the recorder's own insert; if the ledger changed meanwhile, the
entries are read back instead and applied again by the locked path.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import tempfile
import uuid
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from eventsourcing.persistence import StoredEvent

# Bound parameters per existence query: far below SQLite's limit on every version.
IDS_PER_QUERY = 500

# SQLite's page cache for the spool, in KiB: its stream index stays in memory at 1M rows.
CACHE_KIB = 32_768

_SCHEMA = (
    # The order of the rows is their rowid. Streams are looked up by id only (a stream's
    # spooled rows are few): a plain index is cheaper to keep than a unique one.
    "CREATE TABLE events (originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, "
    "topic TEXT NOT NULL, state BLOB NOT NULL)",
    "CREATE INDEX events_by_stream ON events (originator_id)",
    # One row a chunk: pickling a chunk's entries at once is no dearer than one by one, and
    # one row costs less to write than thousands.
    "CREATE TABLE entries (chunk BLOB NOT NULL)",
)


class Spool:
    """A temporary SQLite file of rows to store and the entries behind them; deleted on close."""

    def __init__(self, folder: str | None = None) -> None:
        handle, name = tempfile.mkstemp(prefix="rumour-import-", suffix=".spool", dir=folder)
        os.close(handle)
        self.path = Path(name)
        self.conn = sqlite3.connect(name, isolation_level=None, check_same_thread=False)
        # Nothing here outlives the process: no journal, no syncing to disk.
        self.conn.execute("PRAGMA journal_mode = OFF")
        self.conn.execute("PRAGMA synchronous = OFF")
        self.conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        for statement in _SCHEMA:
            self.conn.execute(statement)
        self.rows = 0

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()
        self.path.unlink(missing_ok=True)

    # while parsing ---------------------------------------------------------------------------

    def write_events(self, stored_events: Sequence[StoredEvent]) -> None:
        """Keep these rows, after those kept already (the order they will be stored in)."""
        self.conn.executemany(
            "INSERT INTO events VALUES (?, ?, ?, ?)",
            [
                (_hex(s.originator_id), s.originator_version, s.topic, s.state)
                for s in stored_events
            ],
        )
        self.rows += len(stored_events)

    def write_entries(self, entries: Sequence[Any]) -> None:
        """Keep a chunk of entries, after those kept already."""
        self.conn.execute(
            "INSERT INTO entries VALUES (?)",
            (pickle.dumps(list(entries), pickle.HIGHEST_PROTOCOL),),
        )

    def select_events(self, originator_id: uuid.UUID | str) -> list[StoredEvent]:
        """The rows kept of one stream, in version order."""
        cursor = self.conn.execute(
            "SELECT originator_version, topic, state FROM events WHERE originator_id = ? "
            "ORDER BY originator_version",
            (_hex(originator_id),),
        )
        return [
            StoredEvent(originator_id, version, topic, state) for version, topic, state in cursor
        ]

    def existing(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these streams the spool opens."""
        wanted = [i.hex for i in ids]
        found: set[uuid.UUID] = set()
        for start in range(0, len(wanted), IDS_PER_QUERY):
            part = wanted[start : start + IDS_PER_QUERY]
            marks = ",".join("?" * len(part))
            cursor = self.conn.execute(
                "SELECT originator_id FROM events "
                f"WHERE originator_version = 1 AND originator_id IN ({marks})",
                part,
            )
            found.update(uuid.UUID(row[0]) for row in cursor)
        return found

    # under the lock --------------------------------------------------------------------------

    def batches(self, size: int) -> Iterator[list[StoredEvent]]:
        """Every row kept, in the order written, `size` at a time."""
        cursor = self.conn.execute(
            "SELECT originator_id, originator_version, topic, state FROM events ORDER BY rowid"
        )
        while rows := cursor.fetchmany(size):
            yield [
                StoredEvent(uuid.UUID(stream), version, topic, state)
                for stream, version, topic, state in rows
            ]

    def entries(self) -> Iterator[Any]:
        """Every entry kept, in the order written (for the locked path to apply again)."""
        for (blob,) in self.conn.execute("SELECT chunk FROM entries ORDER BY rowid"):
            yield from pickle.loads(blob)


def _hex(originator_id: uuid.UUID | str) -> str:
    return originator_id.hex if isinstance(originator_id, uuid.UUID) else originator_id
