"""Wiring in one place: a store, the ledger application on it, and its read models beside it."""

from __future__ import annotations

import getpass
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rumour_ledger.ledger.application import Clock, RumourLedger, utc_now
from rumour_ledger.ledger.errors import LedgerError, StoreError
from rumour_ledger.ledger.guards import event_tables
from rumour_ledger.ledger.guards import install as install_guards
from rumour_ledger.ledger.store import (
    Store,
    connection_failure,
    no_ledger,
    open_store,
    prepare,
    sqlite_has_ledger,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from rumour_ledger.ledger.aliases import AliasKind
    from rumour_ledger.projections.claims import Progress, Stage

# SQLAlchemy and the read-model modules are imported where the read models are first used:
# recording a claim never reads them, and importing SQLAlchemy is most of such a command's time.


def os_user() -> str:
    """Who records by default: $RUMOUR_USER, else the operating-system user."""
    try:
        return os.environ.get("RUMOUR_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass
class Ledger:
    """An open ledger: the application that writes events and the read models that answer."""

    store: Store
    app: RumourLedger
    closed: bool = False
    _engine: Engine | None = field(default=None, repr=False)
    # Claim ids of events past the claims read model's position, and the last event read.
    _unprojected: tuple[int, dict[uuid.UUID, uuid.UUID]] = field(
        default_factory=lambda: (0, {}), repr=False
    )

    @property
    def engine(self) -> Engine:
        """The read models' database, opened (and their tables made) on first use."""
        if self._engine is None:
            self._engine = open_read_models(self.store)
        return self._engine

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection to the read models, caught up with every recorded event first."""
        self.catch_up()
        with self.engine.connect() as conn:
            yield conn

    def catch_up(self, progress: Progress | None = None, stage: Stage | None = None) -> int:
        """Apply every event recorded since the read models' positions; returns how many.
        stage, if given, is told each stage's name as it begins."""
        from rumour_ledger.projections import calls as calls_model
        from rumour_ledger.projections import claims as claims_model

        _begin(stage, "claims read model")
        applied = claims_model.catch_up(self.app, self.engine, progress=progress, stage=stage)
        _begin(stage, "calls read model: scoring the sources' calls")
        calls_model.catch_up(self.app, self.engine, self.store)
        return applied

    def rebuild(self, progress: Progress | None = None, stage: Stage | None = None) -> int:
        """Throw every read model away and apply every event again from the first."""
        from rumour_ledger.projections import calls as calls_model
        from rumour_ledger.projections import claims as claims_model

        _begin(stage, "calls read model: clearing it")
        calls_model.rebuild(self.engine)
        _begin(stage, "claims read model")
        applied = claims_model.rebuild(self.app, self.engine, progress=progress, stage=stage)
        _begin(stage, "calls read model: scoring the sources' calls")
        calls_model.catch_up(self.app, self.engine, self.store)
        return applied

    def locate(self, claim_id: uuid.UUID) -> uuid.UUID | None:
        from rumour_ledger.projections.views import locate_claim

        with self.reading() as conn:
            return locate_claim(conn, claim_id)

    def claim_holders(self, claim_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        """Which of these ids the ledger holds, and in which rumour: the claims read model,
        as it stands, and the events recorded after its position. Nothing is written, so an
        import may ask while it holds the write lock (on SQLite a catch-up would wait for it)."""
        from rumour_ledger.projections import claims as claims_model
        from rumour_ledger.projections.views import claim_holders

        with self.engine.connect() as conn:
            found = claim_holders(conn, claim_ids)
            position = claims_model.position(conn)
        if self._unprojected[0] < position:  # the read model moved on: start afresh
            self._unprojected = (position, {})
        seen_to, held = self._unprojected
        # Read once, kept for the next chunk's question: an import asks once per chunk.
        start = seen_to + 1
        while notifications := self.app.recorder.select_notifications(start, 1_000):
            for notification in notifications:
                event = self.app.mapper.to_domain_event(notification)
                claim_id = getattr(event, "claim_id", None)
                if claim_id is not None:
                    held[claim_id] = event.originator_id
            start = notifications[-1].id + 1
        self._unprojected = (start - 1, held)
        found.update((claim_id, held[claim_id]) for claim_id in claim_ids if claim_id in held)
        return found

    def alias_map(self, kind: AliasKind) -> dict[str, str]:
        from rumour_ledger.projections.aliases import alias_map

        with self.reading() as conn:
            return alias_map(conn, kind)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.app.close()
            if self._engine is not None:
                self._engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


def _begin(stage: Stage | None, name: str) -> None:
    if stage is not None:
        stage(name)


def open_ledger(
    location: str | os.PathLike[str] | None = None,
    *,
    clock: Clock = utc_now,
    user: str | None = None,
    create: bool = True,
) -> Ledger:
    """Open the ledger at a URL or path; the default is SQLite.

    With create (the writing commands), a ledger that does not exist yet is created: file,
    folder, schema and tables. Without it (the reading commands), a place with no ledger is
    an error and nothing is made there: a mistyped path must not become an empty ledger.
    The read models open on first use (Ledger.engine), so a command that only appends
    neither loads SQLAlchemy nor touches them."""
    store = open_store(location)
    raw = RawConnections(store)
    if create:
        prepare(store)
        _prepare_schema(raw, store)
    else:
        _require_ledger(raw, store)
    ledger_box: list[Ledger] = []
    try:
        app = RumourLedger(
            env=store.event_env(),
            clock=clock,
            user=user or os_user(),
            locate=lambda claim_id: ledger_box[0].locate(claim_id),
            holders=lambda claim_ids: ledger_box[0].claim_holders(claim_ids),
            aliases=lambda kind: ledger_box[0].alias_map(kind),
        )
    except LedgerError:
        raise
    except Exception as error:  # the recorders raise many kinds when a store is unusable
        if store.dialect == "postgresql":
            # The library's pool says only "couldn't get a connection": one connection of our
            # own finds out why (and raises that), on this failure path alone.
            raw.raw_connection().close()
        raise _unusable(store, error) from None
    ledger = Ledger(store=store, app=app)
    ledger_box.append(ledger)
    try:
        install_guards(raw, store)  # append-only triggers; one catalogue query when present
    except BaseException:
        ledger.close()
        raise
    return ledger


@contextmanager
def rehearsal_ledger(
    location: str | os.PathLike[str] | None = None,
    *,
    clock: Clock = utc_now,
    user: str | None = None,
) -> Iterator[Ledger]:
    """A ledger to try writes on (a dry run), creating nothing where there is none: the
    ledger at location if it holds one, else an empty one in a temporary directory, thrown
    away at the end. A dry run at a mistyped path must not leave a ledger there."""
    store = open_store(location)
    if _holds_ledger(RawConnections(store), store):
        with open_ledger(location, clock=clock, user=user, create=False) as ledger:
            yield ledger
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="rumour-dry-run-") as folder:
        empty = os.path.join(folder, "ledger.db")
        with open_ledger(empty, clock=clock, user=user, create=True) as ledger:
            yield ledger


def open_read_models(store: Store) -> Engine:
    """An engine on the read models' tables, made if missing; beside the events, same store."""
    from sqlalchemy.exc import SQLAlchemyError

    from rumour_ledger.projections import claims as claims_model
    from rumour_ledger.projections import tracking

    engine = read_models_engine(store)
    try:
        older = _before_outcomes(engine)
        claims_model.create_tables(engine)
        if older:
            # Its per-move models were worked out without the ledger's outcomes: the next
            # catch-up works them out again, once.
            from rumour_ledger.projections import calls as calls_model

            calls_model.rebuild(engine)
    except SQLAlchemyError as error:
        engine.dispose()
        if any(word in str(error) for word in ("readonly", "read-only", "locked", "lock timeout")):
            # Their tables are missing (a ledger only ever appended to, or made by an older
            # version) and cannot be made here, or not now.
            raise tracking.store_error(error) from None
        raise _unusable(store, error) from None
    return engine


def _before_outcomes(engine: Engine) -> bool:
    """The ledger's per-move models were made by a version without the outcomes table."""
    from sqlalchemy import inspect

    from rumour_ledger.projections.tables import calls, outcomes

    found = inspect(engine)
    return found.has_table(calls.name) and not found.has_table(outcomes.name)


class RawConnections:
    """Plain DB-API connections to the store, for the steps of opening that precede any read
    model (the schema, the append-only triggers): the same settings the read models' engine
    uses, without loading SQLAlchemy. Has the one method of an engine that ledger.guards uses.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def raw_connection(self) -> Any:
        try:
            if self.store.dialect == "sqlite":
                return sqlite3.connect(
                    self.store.sqlite_uri(), uri=True, timeout=self.store.lock_timeout
                )
            import psycopg

            return psycopg.connect(**self.store.connect_params())
        except Exception as error:
            if self.store.dialect == "postgresql":
                raise connection_failure(self.store, error) from None
            raise _unusable(self.store, error) from None


def read_models_engine(store: Store) -> Engine:
    """An engine on the store's read models, as every process that reads them opens it."""
    from sqlalchemy import create_engine

    if store.dialect == "sqlite":
        return create_engine(
            store.sqlalchemy_url(),
            connect_args={"timeout": store.lock_timeout},
        )
    # The URL's host, port, database, user and password, and the same connect options as
    # every other connection to this store (timeout, search_path).
    params = store.connect_params()
    connect_args = {k: params[k] for k in ("connect_timeout", "options") if k in params}
    return create_engine(store.postgres_address().sqlalchemy_url(), connect_args=connect_args)


def _require_ledger(raw: RawConnections, store: Store) -> None:
    """Refuse, creating nothing, a store that holds no ledger yet."""
    if not _holds_ledger(raw, store):
        raise no_ledger(store)


def _holds_ledger(raw: RawConnections, store: Store) -> bool:
    """Whether the store holds a ledger already; creates nothing."""
    if store.dialect == "sqlite":
        assert store.path is not None
        return sqlite_has_ledger(store.path)
    events = event_tables(store)[0]
    conn = raw.raw_connection()
    try:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (events.sql,)).fetchone()
    except Exception as error:
        raise _unusable(store, error) from None
    finally:
        conn.close()
    return bool(row and row[0])


def _prepare_schema(raw: RawConnections, store: Store) -> None:
    """A PostgreSQL ledger in its own schema: make the schema before anything is put in it."""
    if store.dialect != "postgresql" or not store.schema:
        return
    from psycopg import sql

    conn = raw.raw_connection()
    try:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(store.schema)))
        conn.commit()
    except Exception as error:
        raise _unusable(store, error) from None
    finally:
        conn.close()


def _unusable(store: Store, error: BaseException) -> StoreError:
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    detail = reason[0] if reason else type(error).__name__
    return StoreError(f"cannot use the ledger at {store.describe()}: {detail}")
