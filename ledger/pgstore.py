"""eventsourcing's PostgreSQL recorders, made usable by a writer role that may only INSERT.

Four changes to the built-in recorders, nothing else:

- Opening skips the library's DDL (CREATE TABLE/TYPE/INDEX/FUNCTION) when every object it
  would create already exists: one catalogue query instead of six statements, and a role
  without CREATE on the schema can open a ledger its owner created.
- The write lock that keeps notification ids in commit order (`LOCK TABLE ... IN EXCLUSIVE
  MODE`, which PostgreSQL grants only to roles with UPDATE, DELETE or TRUNCATE) is taken
  through `rumour_ledger_lock_events()`, a SECURITY DEFINER function owned by the table's
  owner. The lock and its mode are the same; the writer needs only EXECUTE on the function.
- Events are inserted in a plain transaction rather than in psycopg's pipeline mode, which
  deadlocks now and then on very large batches (an import of 20,000 lines hung 1 run in 3:
  client waiting in Pipeline.sync, server in ClientRead; psycopg issue 685 is of the kind).
- While a lean import parses (ledger/spool.py), `insert_events` and `select_events` of its
  thread go to its spool (ledger/bulk.py), with no transaction of the ledger's held.
- `bulk()` (ledger/bulk.py): one transaction that takes the write lock first, into which every
  `insert_events` of the importing thread writes, a COPY per chunk (one statement for a whole
  large import would pass PostgreSQL's 1 GB message limit, and building the library's array
  of composite values took 4 of 12 s of a 100k-event import), until it commits; its
  `select_events` read through it too, so they see what the import has written so far.

Selected with PERSISTENCE_MODULE=ledger.pgstore:LedgerPostgresFactory (ledger/store.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.errors import LockNotAvailable
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier, Literal

from rumour_ledger.ledger.bulk import BulkSession, SessionRouting, spooled_after
from rumour_ledger.ledger.errors import LedgerBusy

LOCK_FUNCTION = "rumour_ledger_lock_events"
BUSY = "the ledger is busy: another process held its write lock too long; try again"


def _ddl_lock(schema: str) -> Composed:
    """Serialises concurrent first opens, so two creators never race on the catalogue."""
    return SQL("SELECT pg_advisory_xact_lock(hashtext({}))").format(
        Literal(f"rumour-ledger ddl {schema}")
    )


def _exists(datastore: PostgresDatastore, checks: list[tuple[str, str]]) -> bool:
    """True if every (kind, qualified name) exists; kind is regclass, regtype or regprocedure."""
    parts = [SQL("to_{}({}) IS NOT NULL").format(SQL(kind), Literal(name)) for kind, name in checks]
    query = SQL("SELECT ") + SQL(" AND ").join(parts) + SQL(" AS found")
    with datastore.transaction(commit=False) as curs:
        curs.execute(query, prepare=False)
        row = curs.fetchone()
    return bool(row and row["found"])


def _quoted(*names: str) -> str:
    return ".".join('"' + name.replace('"', '""') + '"' for name in names)


class LedgerAggregateRecorder(PostgresAggregateRecorder):
    """The snapshots recorder: creates its table only if it is missing."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.sql_create_statements.insert(0, _ddl_lock(datastore.schema))

    def ledger_objects(self) -> list[tuple[str, str]]:
        schema = self.datastore.schema
        return [
            ("regclass", _quoted(schema, self.events_table_name)),
            ("regtype", _quoted(schema, self.stored_event_type_name)),
        ]

    def create_table(self) -> None:
        if _exists(self.datastore, self.ledger_objects()):
            self.datastore.register_type_adapters()
            return
        super().create_table()


class PostgresBulkSession:
    """An import transaction on PostgreSQL: answers existence checks inside it."""

    def __init__(
        self, cursor: Cursor[DictRow], query: Composed, last: Composed | None = None
    ) -> None:
        self.cursor = cursor
        self.query = query
        self.last = last

    def existing(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        if not ids:
            return set()
        self.cursor.execute(self.query, (list(ids),))
        return {row["originator_id"] for row in self.cursor.fetchall()}

    def last_notification_id(self) -> int:
        assert self.last is not None
        self.cursor.execute(self.last)
        row = self.cursor.fetchone()
        return int(row["max"] or 0) if row else 0


class LedgerApplicationRecorder(SessionRouting, PostgresApplicationRecorder):
    """The events recorder: creates only what is missing, locks through a function."""

    # Yes: teams write concurrently, and the lean path keeps the lock for the insert alone
    # (another writer waits ~2 s instead of ~15 s at 100k) for ~10% more import time.
    parses_before_locking = True

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(datastore.schema)
        table = Identifier(self.events_table_name)
        function = Identifier(LOCK_FUNCTION)
        self.sql_create_statements.insert(0, _ddl_lock(datastore.schema))
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}() RETURNS void "
                "LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS "
                "$$BEGIN LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; END$$"
            ).format(schema=schema, function=function, table=table)
        )
        # Only roles the owner grants EXECUTE to may take the lock (and so hold up writers).
        self.sql_create_statements.append(
            SQL("REVOKE ALL ON FUNCTION {schema}.{function}() FROM PUBLIC").format(
                schema=schema, function=function
            )
        )
        self.lock_table_statements = [
            self.lock_table_statements[0],  # SET LOCAL lock_timeout = ...
            SQL("SELECT {schema}.{function}()").format(schema=schema, function=function),
        ]

        self.copy_statement = SQL(
            "COPY {schema}.{table} (originator_id, originator_version, topic, state) FROM STDIN"
        ).format(schema=schema, table=table)
        # Every stream starts at version 1: one primary-key probe per id.
        self.existing_statement = SQL(
            "SELECT originator_id FROM {schema}.{table} "
            "WHERE originator_version = 1 AND originator_id = ANY(%s)"
        ).format(schema=schema, table=table)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        spool = self.session_spool()
        if spool is not None:
            spool.write_events(stored_events)
            return None
        cursor = self.session_cursor()
        if cursor is None:
            return self._insert_in_own_transaction(stored_events, **kwargs)
        if not stored_events:
            return None
        self._insert_events(cursor, stored_events, **kwargs)
        self._notify_channel(cursor)
        self._copy_stored_events(cursor, stored_events)
        return None  # an import has no use for notification ids: no Recording objects made

    def _copy_stored_events(
        self, cursor: Cursor[DictRow], stored_events: Sequence[StoredEvent]
    ) -> None:
        # Rows get their notification ids from the table's sequence in the order copied,
        # and the write lock held since bulk() began keeps them in commit order.
        with cursor.copy(self.copy_statement) as copy:
            for s in stored_events:
                copy.write_row((s.originator_id, s.originator_version, s.topic, s.state))

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
        query = self.select_events_statement
        params: list[Any] = [originator_id]
        if gt is not None:
            query += SQL(" AND originator_version > %s")
            params.append(gt)
        if lte is not None:
            query += SQL(" AND originator_version <= %s")
            params.append(lte)
        query += SQL(
            " ORDER BY originator_version DESC" if desc else " ORDER BY originator_version"
        )
        if limit is not None:
            query += SQL(" LIMIT %s")
            params.append(limit)
        cursor.execute(query, params)
        return [
            StoredEvent(
                row["originator_id"], row["originator_version"], row["topic"], bytes(row["state"])
            )
            for row in cursor.fetchall()
        ]

    @contextmanager
    def bulk(self) -> Iterator[BulkSession]:
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            self._lock_table(curs)
            with self.routed(curs):
                yield PostgresBulkSession(
                    curs, self.existing_statement, self.max_notification_id_statement
                )

    def existing_streams(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        with self.datastore.transaction(commit=False) as curs:
            found = PostgresBulkSession(curs, self.existing_statement).existing(ids)
        spool = self.session_spool()
        return found if spool is None else found | spool.existing(ids)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_in_own_transaction(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """As the library does it (lock, notify, insert, notification ids), minus the pipeline."""
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            self._insert_events(curs, stored_events, **kwargs)
            if not stored_events:
                return None
            try:
                self._insert_stored_events(curs, stored_events, **kwargs)  # takes the lock
            except LockNotAvailable:
                # lock_timeout passed: busy now, as SQLite says after its busy timeout. Not
                # an OperationalError, which the retry above would wait out 10 times over.
                raise LedgerBusy(BUSY) from None
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)

    def ledger_objects(self) -> list[tuple[str, str]]:
        schema = self.datastore.schema
        event_type = _quoted(schema, self.stored_event_type_name)
        return [
            ("regclass", _quoted(schema, self.events_table_name)),
            ("regclass", _quoted(schema, self.notification_id_index_name)),
            ("regtype", event_type),
            (
                "regprocedure",
                f"{_quoted(schema, self.pg_function_name_insert_events)}({event_type}[])",
            ),
            ("regprocedure", f"{_quoted(schema, LOCK_FUNCTION)}()"),
        ]

    def create_table(self) -> None:
        if _exists(self.datastore, self.ledger_objects()):
            self.datastore.register_type_adapters()
            return
        super().create_table()


class LedgerPostgresFactory(PostgresFactory):
    aggregate_recorder_class = LedgerAggregateRecorder
    application_recorder_class = LedgerApplicationRecorder
