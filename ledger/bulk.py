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
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol, runtime_checkable


class BulkSession(Protocol):
    """An open import transaction, holding the ledger's write lock."""

    def existing(self, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these streams have events, as this transaction sees them."""
        ...


@runtime_checkable
class BulkRecorder(Protocol):
    def bulk(self) -> AbstractContextManager[BulkSession]:
        """One transaction for a whole import, committed when the block ends without error."""
        ...


class SessionRouting:
    """Remembers the open session's cursor, for the thread that opened it only."""

    _bulk_cursor: Any = None
    _bulk_thread: int | None = None

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
