"""The recorder side of a streamed import: one transaction, write lock first, chunked inserts.

A recorder that offers `bulk()` opens one transaction on one connection and takes the
ledger's write lock at once, before the importer asks which streams already exist, so the
answer stays true until commit. While the session is open, `insert_events` and
`select_events` called from the thread that opened it go through that transaction instead of
opening their own: the application keeps calling eventsourcing's `EventStore.put`, chunk after
chunk, and its repository reads back streams the import has written but not committed, while
nothing is visible to anyone else until the session commits. Any error inside rolls
everything back. Notifications are still read through the recorder's other connections, so
read models never see events that might yet be rolled back.

A lean import (ledger/spool.py) first routes the same two calls to a spool instead, with no
transaction open and no lock taken: `insert_events` keeps the encoded rows in the spool, and
`select_events` reads a stream as stored followed by what the spool holds of it. Then it
opens `bulk()` and hands the spooled rows to the recorder's own `insert_events`.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from eventsourcing.persistence import StoredEvent

if TYPE_CHECKING:
    from rumour_ledger.ledger.spool import Spool


class LedgerMoved(Exception):
    """Events were stored since a lean import began its checks: its spool is stale."""


class BulkSession(Protocol):
    """An open import transaction, holding the ledger's write lock."""

    def existing(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these streams have events, as this transaction sees them."""
        ...

    def last_notification_id(self) -> int:
        """The log's last notification id, as this transaction sees it (0 if empty)."""
        ...


@runtime_checkable
class BulkRecorder(Protocol):
    # Whether an import parses, checks and encodes its lines before taking the write lock
    # (the lean path) unless told otherwise: chosen per store by measurement
    # (docs/performance.md, "The lean import").
    parses_before_locking: bool

    def bulk(self) -> AbstractContextManager[BulkSession]:
        """One transaction for a whole import, committed when the block ends without error."""
        ...

    def spooling(self, spool: Spool) -> AbstractContextManager[None]:
        """Until the block ends, this thread's inserts go to the spool and its reads of a
        stream see the spool's rows after the stored ones; nothing is locked."""
        ...

    def existing_streams(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these streams have events (stored or spooled), outside any import
        transaction."""
        ...

    def max_notification_id(self) -> int | None: ...


class SessionRouting:
    """Remembers the open session's cursor, for the thread that opened it only."""

    _bulk_cursor: Any = None
    _bulk_thread: int | None = None
    _spool: Spool | None = None
    _spool_thread: int | None = None

    def session_cursor(self) -> Any:
        """The open session's cursor if this thread opened one, else None."""
        if self._bulk_cursor is not None and self._bulk_thread == threading.get_ident():
            return self._bulk_cursor
        return None

    @contextmanager
    def routed(self, cursor: Any) -> Iterator[None]:
        if self._bulk_cursor is not None:
            raise RuntimeError("an import session is already open on this recorder")
        self._bulk_cursor, self._bulk_thread = cursor, threading.get_ident()
        try:
            yield
        finally:
            self._bulk_cursor, self._bulk_thread = None, None

    def session_spool(self) -> Spool | None:
        """The spool this thread writes to, if a lean import is parsing on it."""
        if self._spool is not None and self._spool_thread == threading.get_ident():
            return self._spool
        return None

    @contextmanager
    def spooling(self, spool: Spool) -> Iterator[None]:
        if self._spool is not None:
            raise RuntimeError("an import is already spooling on this recorder")
        self._spool, self._spool_thread = spool, threading.get_ident()
        try:
            yield
        finally:
            self._spool, self._spool_thread = None, None


def spooled_after(
    stored: Sequence[StoredEvent],
    spooled: Sequence[StoredEvent],
    *,
    gt: int | None,
    lte: int | None,
    desc: bool,
    limit: int | None,
) -> list[StoredEvent]:
    """A stream's stored events followed by its spooled ones, selected as select_events
    would select them from one table. LedgerMoved if another writer stored versions the
    spool holds too: what was spooled no longer follows what is stored."""
    if stored and spooled and stored[-1].originator_version >= spooled[0].originator_version:
        raise LedgerMoved(f"stream {spooled[0].originator_id} was written meanwhile")
    events = [
        e
        for e in (*stored, *spooled)
        if (gt is None or e.originator_version > gt)
        and (lte is None or e.originator_version <= lte)
    ]
    if desc:
        events.reverse()
    return events if limit is None else events[:limit]
