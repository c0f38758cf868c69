"""Append-only at the database level: triggers that refuse to change or remove stored events.

On SQLite, three triggers per table: UPDATE and DELETE are aborted, and so is an INSERT that
would replace an existing row (INSERT OR REPLACE deletes without firing DELETE triggers). On
PostgreSQL, a row trigger refuses UPDATE and DELETE and a statement trigger refuses TRUNCATE,
both calling one function. They guard the events table and the snapshots table.

`install` runs on every open: one catalogue query when the triggers are in place, so opening
stays fast; it (re)creates any that are missing or altered when the role may, and otherwise
leaves it to `rumour verify` to report. Connections here are plain DB-API ones.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

from rumour_ledger.ledger.errors import LedgerBusy, StoreError
from rumour_ledger.ledger.store import Store

PREFIX = "rumour_ledger"
REFUSAL = "rumour-ledger: stored events are append-only"
SQLITE_TABLES = ("stored_events", "stored_snapshots")
# eventsourcing's PostgreSQL factory names tables after the application ("rumour").
POSTGRES_TABLES = ("rumour_events", "rumour_snapshots")
PG_FUNCTION = f"{PREFIX}_append_only"
PG_FUNCTION_BODY = (
    "BEGIN RAISE EXCEPTION '" + REFUSAL + ": % on %.% refused', "
    "TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME; END"
)
# pg_trigger.tgtype bits: ROW 1, BEFORE 2, INSERT 4, DELETE 8, UPDATE 16, TRUNCATE 32.
PG_TRIGGERS = {
    f"{PREFIX}_no_change": ("BEFORE UPDATE OR DELETE", "FOR EACH ROW", 1 | 2 | 8 | 16),
    f"{PREFIX}_no_truncate": ("BEFORE TRUNCATE", "FOR EACH STATEMENT", 2 | 32),
}


@dataclass(frozen=True, slots=True)
class Table:
    """A table of stored events, as named in SQL."""

    schema: str | None
    name: str

    @property
    def sql(self) -> str:
        return (
            _ident(self.name)
            if self.schema is None
            else f"{_ident(self.schema)}.{_ident(self.name)}"
        )


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def event_tables(store: Store) -> tuple[Table, Table]:
    """The events table and the snapshots table of a store."""
    if store.dialect == "sqlite":
        return Table(None, SQLITE_TABLES[0]), Table(None, SQLITE_TABLES[1])
    schema = store.schema or "public"
    return Table(schema, POSTGRES_TABLES[0]), Table(schema, POSTGRES_TABLES[1])


# SQLite -------------------------------------------------------------------------------------


def _sqlite_triggers(table: str) -> dict[str, str]:
    """Trigger name -> the CREATE statement SQLite keeps for it in sqlite_master."""
    refuse = f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}: {{}} on {table} refused'); END"
    exists = (
        f"(SELECT 1 FROM {table} WHERE originator_id = NEW.originator_id "
        "AND originator_version = NEW.originator_version)"
    )
    return {
        f"{PREFIX}_{table}_no_update": (
            f"CREATE TRIGGER {PREFIX}_{table}_no_update BEFORE UPDATE ON {table} "
            + refuse.format("UPDATE")
        ),
        f"{PREFIX}_{table}_no_delete": (
            f"CREATE TRIGGER {PREFIX}_{table}_no_delete BEFORE DELETE ON {table} "
            + refuse.format("DELETE")
        ),
        f"{PREFIX}_{table}_no_replace": (
            f"CREATE TRIGGER {PREFIX}_{table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS {exists} " + refuse.format("REPLACE")
        ),
    }


def _normal(sql: str | None) -> str:
    return " ".join((sql or "").split())


def _sqlite_problems(conn: Any) -> list[str]:
    cursor = conn.cursor()
    cursor.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
    rows = cursor.fetchall()
    cursor.close()
    found = {name: (table, sql) for kind, name, table, sql in rows if kind == "trigger"}
    tables = {name for kind, name, _table, _sql in rows if kind == "table"}
    problems = []
    for table in SQLITE_TABLES:
        if table not in tables:
            problems.append(f"table {table} is missing")
            continue
        for name, statement in _sqlite_triggers(table).items():
            if name not in found:
                problems.append(f"trigger {name} on {table} is missing")
            elif found[name][0] != table or _normal(found[name][1]) != _normal(statement):
                problems.append(f"trigger {name} on {table} has been altered")
    return problems


def _sqlite_install(conn: Any) -> None:
    cursor = conn.cursor()
    cursor.execute("BEGIN IMMEDIATE")
    try:
        for table in SQLITE_TABLES:
            for name, statement in _sqlite_triggers(table).items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(statement)
        cursor.execute("COMMIT")
    except BaseException:
        cursor.execute("ROLLBACK")
        raise


# PostgreSQL ---------------------------------------------------------------------------------


_PG_CHECK = """
SELECT t.tgname AS name, t.tgtype AS type, t.tgenabled AS enabled,
       t.tgqual IS NULL AND cardinality(t.tgattr::int2[]) = 0 AS plain,
       n.nspname AS function_schema, p.proname AS function_name, p.prosrc AS body
FROM pg_trigger t
JOIN pg_proc p ON p.oid = t.tgfoid
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE t.tgrelid = to_regclass(%s) AND NOT t.tgisinternal
"""


def _pg_problems(conn: Any, schema: str) -> list[str]:
    problems = []
    with conn.cursor() as cursor:
        for table in POSTGRES_TABLES:
            qualified = Table(schema, table).sql
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (qualified,))
            row = cursor.fetchone()
            if not row or not row[0]:
                problems.append(f"table {schema}.{table} is missing")
                continue
            cursor.execute(_PG_CHECK, (qualified,))
            found = {r[0]: r[1:] for r in cursor.fetchall()}
            for name, (_when, _each, tgtype) in PG_TRIGGERS.items():
                if name not in found:
                    problems.append(f"trigger {name} on {schema}.{table} is missing")
                    continue
                kind, enabled, plain, fn_schema, fn_name, body = found[name]
                if enabled not in ("O", "A"):
                    problems.append(f"trigger {name} on {schema}.{table} is disabled")
                elif (
                    kind != tgtype
                    or not plain
                    or (fn_schema, fn_name) != (schema, PG_FUNCTION)
                    or _normal(body) != _normal(PG_FUNCTION_BODY)
                ):
                    problems.append(f"trigger {name} on {schema}.{table} has been altered")
    return problems


def _pg_install(conn: Any, schema: str) -> None:
    function = f"{_ident(schema)}.{_ident(PG_FUNCTION)}"
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"rumour-ledger ddl {schema}",)
        )
        if not _pg_problems(conn, schema):
            return  # another process installed them while we waited
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ {PG_FUNCTION_BODY} $$"
        )
        for table in POSTGRES_TABLES:
            qualified = Table(schema, table).sql
            for name, (when, each, _tgtype) in PG_TRIGGERS.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {_ident(name)} ON {qualified}")
                cursor.execute(
                    f"CREATE TRIGGER {_ident(name)} {when} ON {qualified} {each} "
                    f"EXECUTE FUNCTION {function}()"
                )


# Both ---------------------------------------------------------------------------------------


def problems(conn: Any, store: Store) -> list[str]:
    """What is wrong with the append-only triggers; empty when every one is in place."""
    if store.dialect == "sqlite":
        return _sqlite_problems(conn)
    return _pg_problems(conn, store.schema or "public")


def install(engine: Any, store: Store) -> None:
    """Make sure the triggers are in place (an SQLAlchemy engine is given; a raw connection
    of it is used). A role or file that may not create them is left as it is."""
    conn = engine.raw_connection()
    try:
        if store.dialect == "sqlite":
            if _sqlite_problems(conn):
                _sqlite_install(conn)
        else:
            schema = store.schema or "public"
            found = _pg_problems(conn, schema)
            conn.rollback()
            if found:
                _pg_install(conn, schema)
                conn.commit()
    except Exception as error:
        _rollback(conn)
        if not _not_allowed(error):
            raise _store_error(store, error) from None
    finally:
        conn.close()


def _rollback(conn: Any) -> None:
    with contextlib.suppress(Exception):  # the connection may already be gone
        conn.rollback()


def _not_allowed(error: Exception) -> bool:
    """A read-only file, a read-only transaction or a role without the privilege."""
    sqlstate = getattr(error, "sqlstate", None)
    if sqlstate in ("42501", "25006"):
        return True
    return "readonly" in str(error) or "read-only" in str(error)


def _store_error(store: Store, error: Exception) -> StoreError:
    text = str(error).strip().splitlines()
    detail = text[0] if text else type(error).__name__
    if re.search(r"database is locked|lock timeout", detail):
        return LedgerBusy("the ledger is busy: another process held its lock too long; try again")
    return StoreError(f"cannot install the append-only triggers at {store.describe()}: {detail}")
