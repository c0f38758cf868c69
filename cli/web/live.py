"""Live updates: one watcher per server notices new entries, catches up once, tells every page.

The watcher asks the ledger for its last notification id (an index lookup on SQLite and on
PostgreSQL alike) every `interval` seconds; when it has moved, it runs the read models'
catch-up once and bumps `version`. Each open page holds a Server-Sent Events stream that
only watches `version` in memory, so a hundred viewers cost one query a tick, not a hundred.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Any

# How often an open stream looks at the version (in memory; no database work).
STREAM_TICK = 0.25
# A comment line this often keeps proxies from closing a quiet stream.
KEEPALIVE_SECONDS = 15.0


class Watcher:
    """Keeps the read models caught up with the ledger and counts the changes seen."""

    def __init__(self, ledger: Any, interval: float = 1.0) -> None:
        self.ledger = ledger
        self.interval = interval
        self.version = 0
        self.failure: str | None = None
        self._seen = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def check(self) -> bool:
        """Catch up if the ledger has moved since the last check; True if it had."""
        with self._lock:
            last = self.ledger.app.recorder.max_notification_id() or 0
            if last == self._seen:
                return False
            self.ledger.catch_up()
            moved = self._seen >= 0
            self._seen = last
            if moved:
                self.version += 1
            return moved

    def start(self) -> None:
        self.check()  # the first catch-up, before any page is served
        self._thread = threading.Thread(target=self._run, name="rumour-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.check()
                self.failure = None
            except Exception as error:  # a busy or briefly unreachable store: try next tick
                self.failure = f"{type(error).__name__}: {error}".splitlines()[0]


async def changes(watcher: Watcher, is_disconnected: Any) -> AsyncIterator[str]:
    """The Server-Sent Events a page receives: `changed` with the new version each time the
    ledger moves, and a keep-alive comment now and then."""
    import anyio

    seen = watcher.version
    yield f"retry: 2000\nevent: hello\ndata: {seen}\n\n"
    quiet = 0.0
    while not await is_disconnected():
        await anyio.sleep(STREAM_TICK)
        quiet += STREAM_TICK
        if watcher.version != seen:
            seen = watcher.version
            quiet = 0.0
            yield f"event: changed\ndata: {seen}\n\n"
        elif quiet >= KEEPALIVE_SECONDS:
            quiet = 0.0
            yield ": still here\n\n"
