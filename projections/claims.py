"""The claims read model: every stored claim as a row, caught up from the notification log."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from itertools import groupby
from queue import Full, Queue
from typing import Any, TypeVar

from eventsourcing.persistence import Notification
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from rumour_ledger.ledger.application import RumourLedger
from rumour_ledger.projections import bulk, tracking
from rumour_ledger.projections.claim_rows import (
    ALIAS_COLUMNS,
    AMENDMENT_COLUMNS,
    CLAIM_COLUMNS,
    HIDING_COLUMNS,
    RUMOUR_COLUMNS,
    Batch,
    StateReader,
)
from rumour_ledger.projections.claim_rows import naive_utc as naive_utc
from rumour_ledger.projections.tables import (
    ADDED_INDEXES,
    aliases,
    amendments,
    claims,
    hidings,
    metadata,
    rumours,
    widen_positions,
)

NAME = "claims"
BATCH = 10_000
# A catch-up of at least this many events, onto a read model holding fewer, runs as one
# load: one transaction, secondary indexes dropped first and built again once at the end.
BULK_FROM = 20_000
# Slices decoded ahead of the one being written (each holds BATCH events' rows).
READ_AHEAD = 2
Progress = Callable[[int, int], None]
# Told the name of each stage as it starts (a count alone would sit at 100% while the
# indexes are built again).
Stage = Callable[[str], None]
T = TypeVar("T")
MODEL_TABLES = (rumours, claims, aliases, amendments, hidings)


def create_tables(engine: Engine, attempts: int = 5) -> None:
    """Make the read models' tables that are missing.

    Two processes opening a new ledger at once may both find a table missing; the one that
    loses the race to create it sees "already exists" (PostgreSQL: a duplicate catalogue
    key) and simply looks again.
    """
    for attempt in range(attempts):
        try:
            metadata.create_all(engine)
            with engine.begin() as conn:
                for index in ADDED_INDEXES:
                    index.create(conn, checkfirst=True)
            _widen_positions(engine)
            return
        except DBAPIError as error:
            text = str(error.orig)
            if attempt + 1 == attempts or not ("already exists" in text or "duplicate" in text):
                raise


def _widen_positions(engine: Engine) -> None:
    """32-bit positions of an older ledger made 64-bit, when this role owns the tables; a
    writer leaves it to the owner's next open (docs/trust.md: after each upgrade)."""
    try:
        with engine.begin() as conn:
            widen_positions(conn)
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) != "42501":  # insufficient privilege
            raise


def position(conn: Connection, name: str = NAME) -> int:
    return tracking.position(conn, name)


def catch_up(
    app: RumourLedger,
    engine: Engine,
    *,
    progress: Progress | None = None,
    batch: int = BATCH,
    stage: Stage | None = None,
) -> int:
    """Apply every event recorded since the saved position; returns how many."""
    return _catch_up(app, engine, Tally(progress, stage), batch, clear=False)


def rebuild(
    app: RumourLedger,
    engine: Engine,
    *,
    progress: Progress | None = None,
    batch: int = BATCH,
    stage: Stage | None = None,
) -> int:
    """Throw the read model away and apply every event again from the first.

    All in one transaction: a rebuild that fails or is killed leaves the old model as it was.
    """
    return _catch_up(app, engine, Tally(progress, stage), batch, clear=True)


class Tally:
    """Counts the events applied and tells the progress callback, if there is one, and
    the stage callback when a stage without a count begins."""

    def __init__(self, progress: Progress | None, stage: Stage | None = None) -> None:
        self.progress = progress
        self.stage = stage
        self.applied = 0
        self.total = 0

    def begin(self, name: str) -> None:
        if self.stage is not None:
            self.stage(name)

    def add(self, count: int) -> None:
        self.applied += count
        if self.progress is not None:
            self.progress(self.applied, max(self.total, self.applied))


def _catch_up(app: RumourLedger, engine: Engine, tally: Tally, batch: int, *, clear: bool) -> int:
    with bulk.no_cycle_collection():
        return _catch_up_all(app, engine, tally, batch, clear=clear)


def _catch_up_all(
    app: RumourLedger, engine: Engine, tally: Tally, batch: int, *, clear: bool
) -> int:
    read = StateReader(app.mapper)
    first = True
    while True:
        with engine.connect() as conn:
            start = position(conn)
        last = app.recorder.max_notification_id() or 0
        pending = last - start
        if first:
            tally.total, first = (last if clear else pending), False
        if clear or pending >= max(BULK_FROM, start):
            if _load(app, engine, read, start, batch, tally, clear=clear):
                return tally.applied
        elif pending <= 0 or _slice(app, engine, read, start, batch, tally) == 0:
            return tally.applied
        # Otherwise: a slice applied, or another process moved the position first; go on
        # from wherever the position is now.


def _slice(
    app: RumourLedger, engine: Engine, read: StateReader, start: int, batch: int, tally: Tally
) -> int | None:
    """Apply the next slice of the log in a transaction of its own: how many events, or None
    if another process applied it first."""
    notifications = app.recorder.select_notifications(start + 1, batch)
    if not notifications:
        return 0
    rows = _rows(notifications, read)
    end = notifications[-1].id
    try:
        with engine.begin() as conn:
            bulk.tune(conn)
            if not tracking.advance(conn, NAME, start, end):
                return None
            _write(conn, rows)
    except IntegrityError:
        return None  # another process created the position row first
    except DBAPIError as error:
        raise tracking.store_error(error) from None
    tally.add(len(notifications))
    return len(notifications)


def _load(
    app: RumourLedger,
    engine: Engine,
    read: StateReader,
    start: int,
    batch: int,
    tally: Tally,
    *,
    clear: bool,
) -> bool:
    """Apply everything after start (after nothing, if clear) in one transaction, building
    the secondary indexes once at the end; False if another process moved the position."""
    applied = 0
    try:
        with engine.begin() as conn:
            bulk.tune(conn)
            at = 0 if clear else start
            # Claims the position before anything else: on SQLite this first write is what
            # opens the transaction, so the DDL below is inside it and rolls back with it.
            if not tracking.advance(conn, NAME, start, at):
                return False
            if clear:
                for table in MODEL_TABLES:
                    conn.execute(table.delete())
            dropped = bulk.drop_indexes(conn, MODEL_TABLES)
            with closing(_read_ahead(_slices(app, read, at, batch))) as slices:
                for count, end, rows in slices:
                    tracking.advance(
                        conn, NAME, at, end
                    )  # ours since the first advance: cannot fail
                    _write(conn, rows)
                    at = end
                    applied += count
                    if tally.progress is not None:
                        done = tally.applied + applied
                        tally.progress(done, max(tally.total, done))
            tally.begin("claims read model: building its indexes")
            bulk.create_indexes(conn, dropped)
            bulk.analyze(conn, MODEL_TABLES)
    except IntegrityError:
        return False
    except DBAPIError as error:
        raise tracking.store_error(error) from None
    tally.applied += applied
    return True


def _slices(
    app: RumourLedger, read: StateReader, after: int, batch: int
) -> Iterator[tuple[int, int, Batch]]:
    """Each slice of the log after a position: its events' count, its last id, its rows."""
    while notifications := app.recorder.select_notifications(after + 1, batch):
        after = notifications[-1].id
        yield len(notifications), after, _rows(notifications, read)


def _read_ahead(items: Iterator[T], depth: int = READ_AHEAD) -> Iterator[T]:
    """The items, made a few ahead in a thread of its own: the next slice is read and decoded
    while the database writes this one (sqlite3 and psycopg let go of the GIL as they work).
    An error making them is raised here, in the consumer's thread."""
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[bool, Any]) -> None:
        while not stop.is_set():
            try:
                queue.put(entry, timeout=0.05)
                return
            except Full:
                continue  # the consumer is busy; look again whether it has given up

    def produce() -> None:
        try:
            for item in items:
                put((True, item))
        except BaseException as error:  # handed to the consumer, which raises it
            put((False, error))
        else:
            put((False, None))

    thread = threading.Thread(target=produce, name="rumour-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            more, item = queue.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        thread.join()


def _rows(notifications: Sequence[Notification], read: StateReader) -> Batch:
    rows = Batch()
    for notification in notifications:
        rows.add_notification(notification, read)
    return rows


def _write(conn: Connection, rows: Batch) -> None:
    """Insert the rows; a unique key they break is the ledger's problem, not a race."""
    try:
        _write_rows(conn, rows)
    except IntegrityError as error:
        raise tracking.store_error(error) from None


def _write_rows(conn: Connection, rows: Batch) -> None:
    if rows.rumours:
        bulk.insert_rows(conn, rumours, RUMOUR_COLUMNS, rows.rumours)
    if rows.claims:
        bulk.insert_rows(conn, claims, CLAIM_COLUMNS, rows.claims)
    if rows.amendments:
        bulk.insert_rows(conn, amendments, AMENDMENT_COLUMNS, rows.amendments)
    if rows.hidings:
        bulk.insert_rows(conn, hidings, HIDING_COLUMNS, rows.hidings)
    if rows.aliases:
        _fill_alias_names(conn, rows.aliases)
        named = [tuple(row[c] for c in ALIAS_COLUMNS) for row in rows.aliases]
        bulk.insert_rows(conn, aliases, ALIAS_COLUMNS, named)
    if rows.retractions:
        # Few (well under 1% of events), each marking a claim by its primary key, in log
        # order: runs of retractions, and of restorations, are written a run at a time.
        for restoring, run in groupby(rows.retractions, key=lambda r: r["target"] is None):
            _mark(conn, list(run), restoring)
    if rows.recasts:
        # Fewer still; in log order, so a rumour recast twice in one batch ends as the latest.
        marks = bulk.marks(conn.dialect, 2)
        conn.exec_driver_sql(
            f"UPDATE rumours SET role = {marks[0]} WHERE id = {marks[1]}",
            [(role, rumour_id) for rumour_id, role in rows.recasts],
        )


def _mark(conn: Connection, run: list[dict[str, Any]], restoring: bool) -> None:
    """Retractions mark their claim retracted; a restoration marks its retraction retracted
    (by it) and its claim standing again, keeping when that claim was last retracted."""
    marks = bulk.marks(conn.dialect, 3)
    if not restoring:
        conn.exec_driver_sql(
            f"UPDATE claims SET retracted_by = {marks[0]}, retracted_at = {marks[1]} "
            f"WHERE id = {marks[2]}",
            [(r["retracted_by"], r["retracted_at"], r["target"]) for r in run],
        )
        return
    conn.exec_driver_sql(
        f"UPDATE claims SET retracted_by = NULL WHERE id = "
        f"(SELECT retracts FROM claims WHERE id = {marks[0]})",
        [(r["restores"],) for r in run],
    )
    conn.exec_driver_sql(
        f"UPDATE claims SET retracted_by = {marks[0]}, retracted_at = {marks[1]} "
        f"WHERE id = {marks[2]}",
        [(r["retracted_by"], r["retracted_at"], r["restores"]) for r in run],
    )


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
