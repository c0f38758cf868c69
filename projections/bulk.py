"""Many read-model rows at once, straight to the driver: executemany, or COPY on PostgreSQL."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Dialect, Index, Table, text

from rumour_ledger.projections import tracking

Row = tuple[Any, ...]
# SQLite's page cache for a bulk pass, in KiB (its default is 2 MB): random primary keys
# touch pages all over the tables. A bigger one bought no time and cost memory: with 64 MB
# here and for the import's events, a 1M rebuild took 160 s and peaked at 545-583 MB, the
# import 292 s and 653 MB; with 8 MB, 132-152 s and 499-504 MB, 272 s and 594 MB (SQLite
# also sizes its sorter, which builds the indexes, by this cache).
SQLITE_CACHE_KIB = 8_192


def tune(conn: Connection) -> None:
    """Settings for a bulk pass on this connection."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")


def owns(conn: Connection, tables: Iterable[Table]) -> bool:
    """True if this role may drop and make the tables' indexes: on PostgreSQL only their
    owner may (docs/trust.md's writer has SELECT, INSERT, UPDATE and DELETE on the read
    models, not ownership); on SQLite whoever may write the file."""
    if conn.dialect.name != "postgresql":
        return True
    names = [table.name for table in tables]
    found = conn.execute(_OWNED, {"names": names}).one()
    return bool(found.owned) and found.tables == len(names)


_OWNED = text(
    "SELECT count(*) AS tables, coalesce(bool_and(pg_has_role(relowner, 'USAGE')), false) "
    "AS owned FROM pg_class WHERE relnamespace = current_schema()::regnamespace "
    "AND relkind = 'r' AND relname = ANY(:names)"
)


def drop_indexes(conn: Connection, tables: Iterable[Table]) -> list[Index]:
    """Before a bulk load: building an index once at the end beats keeping it up row by row.
    In the load's transaction, so a failed load puts them back as it rolls back. A role that
    does not own the tables keeps the indexes (and the load keeps them up row by row):
    returns the indexes dropped, for create_indexes."""
    tables = list(tables)
    if not owns(conn, tables):
        return []
    dropped = [index for table in tables for index in table.indexes]
    for index in dropped:
        index.drop(conn, checkfirst=True)
    return dropped


def create_indexes(conn: Connection, dropped: Iterable[Index]) -> None:
    """The indexes drop_indexes dropped, made again once over the loaded rows."""
    for index in dropped:
        index.create(conn)


def analyze(conn: Connection, tables: Iterable[Table]) -> None:
    """After a bulk load on PostgreSQL: the planner's statistics for the tables, in the
    load's transaction. Without them it guessed a claim-per-rumour query matched a third of
    the table and scanned the published-date index for all of it (0.45 s a query instead
    of 0.05 s at 1M), and a server with autovacuum off never gathers them. SQLite plans
    by its schema rules alone; its queries are written for those (see standings.py)."""
    tables = list(tables)
    if conn.dialect.name != "postgresql" or not owns(conn, tables):
        return  # only the owner may; autovacuum gathers them for everyone else
    quote = conn.dialect.identifier_preparer.quote
    for table in tables:
        conn.exec_driver_sql(f"ANALYZE {quote(table.name)}")


def hand_back_freed_memory() -> None:
    """Return the C heap's free pages to the system (glibc's malloc_trim; elsewhere nothing).

    Before a whole rewrite of the per-move models, which peaks with a worker process beside
    this one: an import's chunks, or the claims model's slices, leave tens of megabytes
    freed but still held by the process (after a 1M import's chunks, 184 MB held; 136 MB
    after this, and the import's peak with its worker 534 -> 499 MB)."""
    import ctypes

    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library this process already uses
    except (OSError, AttributeError, TypeError):  # TypeError: Windows loads no "None"
        return  # not glibc: nothing to ask
    trim(0)


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """A bulk pass makes millions of short-lived tuples, dicts and strings, none in a cycle:
    the cyclic collector's passes over them free nothing and took a fifth of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def streamed(conn: Connection, query: str, params: tuple[Any, ...] = ()) -> Iterator[Row]:
    """The rows of a query read a batch at a time from the driver's own cursor: on
    PostgreSQL a server-side one, since psycopg's default cursor holds the whole result."""
    driver = conn.connection.dbapi_connection
    assert driver is not None
    if conn.dialect.name == "postgresql":
        cursor = driver.cursor(name="rumour_ledger_stream")  # type: ignore[call-arg]
    else:
        cursor = driver.cursor()
    try:
        cursor.execute(query, params)
        while batch := cursor.fetchmany(10_000):
            yield from batch
    finally:
        cursor.close()


def marks(dialect: Dialect, count: int) -> list[str]:
    """Positional parameter markers in the driver's own style."""
    return ["?" if dialect.paramstyle == "qmark" else "%s"] * count


def insert_rows(conn: Connection, table: Table, columns: tuple[str, ...], rows: list[Row]) -> None:
    """Rows already in the form the database stores, straight to the driver."""
    if conn.dialect.name == "postgresql":
        _copy(conn, table, columns, rows)
    else:
        conn.exec_driver_sql(_insert_sql(conn.dialect, table, columns), rows)


@lru_cache(maxsize=32)
def _column_list(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> str:
    quote = dialect.identifier_preparer.quote
    return f"{quote(table.name)} ({', '.join(quote(c) for c in columns)})"


def _insert_sql(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> str:
    values = ", ".join(marks(dialect, len(columns)))
    return f"INSERT INTO {_column_list(dialect, table, columns)} VALUES ({values})"


def _copy(conn: Connection, table: Table, columns: tuple[str, ...], rows: list[Row]) -> None:
    """PostgreSQL's COPY, on the connection's own transaction: the fastest way in."""
    import psycopg

    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    statement = f"COPY {_column_list(conn.dialect, table, columns)} FROM STDIN"
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as error:
        raise tracking.store_error(error) from None
