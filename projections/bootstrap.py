"""Wiring in one place: a store, the ledger application on it, and its read models beside it."""

from __future__ import annotations

import getpass
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from ledger.aliases import AliasKind
from ledger.application import Clock, RumourLedger, utc_now
from ledger.errors import LedgerError, StoreError
from ledger.guards import install as install_guards
from ledger.store import SQLITE_LOCK_TIMEOUT_SECONDS, Store, open_store, prepare
from projections import calls as calls_model
from projections import claims as claims_model
from projections.aliases import alias_map
from projections.views import locate_claim


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
    engine: Engine
    closed: bool = False

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection to the read models, caught up with every recorded event first."""
        self.catch_up()
        with self.engine.connect() as conn:
            yield conn

    def catch_up(self, progress: claims_model.Progress | None = None) -> int:
        """Apply every event recorded since the read models' positions; returns how many."""
        applied = claims_model.catch_up(self.app, self.engine, progress=progress)
        calls_model.catch_up(self.app, self.engine)
        return applied

    def rebuild(self, progress: claims_model.Progress | None = None) -> int:
        """Throw every read model away and apply every event again from the first."""
        calls_model.rebuild(self.engine)
        applied = claims_model.rebuild(self.app, self.engine, progress=progress)
        calls_model.catch_up(self.app, self.engine)
        return applied

    def locate(self, claim_id: uuid.UUID) -> uuid.UUID | None:
        with self.reading() as conn:
            return locate_claim(conn, claim_id)

    def alias_map(self, kind: AliasKind) -> dict[str, str]:
        with self.reading() as conn:
            return alias_map(conn, kind)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.app.close()
            self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: Any) -> None:
        self.close()


def open_ledger(
    location: str | os.PathLike[str] | None = None,
    *,
    clock: Clock = utc_now,
    user: str | None = None,
) -> Ledger:
    """Open (creating on first use) the ledger at a URL or path; the default is SQLite."""
    store = open_store(location)
    prepare(store)
    engine = _engine(store)
    try:
        _prepare_schema(engine, store)
        claims_model.create_tables(engine)
    except SQLAlchemyError as error:
        engine.dispose()
        raise _unusable(store, error) from None
    ledger_box: list[Ledger] = []
    try:
        app = RumourLedger(
            env=store.event_env(),
            clock=clock,
            user=user or os_user(),
            locate=lambda claim_id: ledger_box[0].locate(claim_id),
            aliases=lambda kind: ledger_box[0].alias_map(kind),
        )
    except LedgerError:
        engine.dispose()
        raise
    except Exception as error:  # the recorders raise many kinds when a store is unusable
        engine.dispose()
        raise _unusable(store, error) from None
    ledger = Ledger(store=store, app=app, engine=engine)
    ledger_box.append(ledger)
    try:
        install_guards(engine, store)  # append-only triggers; one catalogue query when present
    except BaseException:
        ledger.close()
        raise
    return ledger


def _engine(store: Store) -> Engine:
    if store.dialect == "sqlite":
        return create_engine(
            store.sqlalchemy_url(),
            connect_args={"timeout": SQLITE_LOCK_TIMEOUT_SECONDS},
        )
    connect_args: dict[str, Any] = {"connect_timeout": 5}
    if store.schema:
        connect_args["options"] = f"-csearch_path={store.schema}"
    return create_engine(store.sqlalchemy_url(), connect_args=connect_args)


def _prepare_schema(engine: Engine, store: Store) -> None:
    if store.dialect == "postgresql" and store.schema:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{store.schema}"'))


def _unusable(store: Store, error: BaseException) -> StoreError:
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    detail = reason[0] if reason else type(error).__name__
    return StoreError(f"cannot use the ledger at {store.describe()}: {detail}")
