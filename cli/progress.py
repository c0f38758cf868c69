"""Progress of a long import or rebuild on a terminal: the phase running now, with its count.

One status line on standard error, rewritten in place: each phase replaces the last as it
begins, so no phase sits silent and no finished count stands at 100% while something else
runs. Cleared at the end, and never written when standard error is not a terminal (pipes,
logs and tests stay quiet) unless asked for with --progress.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import IO, TypeVar

T = TypeVar("T")
# At most this many redraws a second: a count told every line would cost more than the line.
REDRAWS_PER_SECOND = 10
CLEAR = "\r\x1b[K"


def wanted(asked: bool, stream: IO[str] | None = None) -> bool:
    """Whether to show progress: asked for, or standard error is a terminal."""
    stream = sys.stderr if stream is None else stream
    return asked or bool(getattr(stream, "isatty", lambda: False)())


class Phases:
    """The status line. `stage(name)` begins a phase; `count(done, total)` updates it."""

    def __init__(
        self, stream: IO[str] | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.stream = sys.stderr if stream is None else stream
        self.clock = clock
        self.name = ""
        self.started = clock()
        self.drawn = float("-inf")

    def stage(self, name: str) -> None:
        self.name, self.started = name, self.clock()
        self._draw(f"{name} ...", force=True)

    def count(self, done: int, total: int | None = None, *, force: bool = False) -> None:
        shown = f"{done:,}" if total is None else f"{done:,} of {total:,}"
        last = total is not None and done >= total
        self._draw(f"{self.name}: {shown}", force=force or last)

    def counted(
        self, items: Iterable[T], name: str, then: str | None = None, every: int = 1_000
    ) -> Iterator[T]:
        """The items, passed through, as a phase that counts them as they go by; once they
        are all taken, the phase `then` begins (what the consumer does after the last)."""
        self.stage(name)
        done = 0
        for done, item in enumerate(items, 1):
            if done % every == 0:
                self.count(done)
            yield item
        self.count(done, force=True)
        if then is not None:
            self.stage(then)

    def close(self) -> None:
        self.stream.write(CLEAR)
        self.stream.flush()

    def _draw(self, text: str, *, force: bool) -> None:
        now = self.clock()
        if not force and now - self.drawn < 1 / REDRAWS_PER_SECOND:
            return
        self.drawn = now
        elapsed = now - self.started
        self.stream.write(f"{CLEAR}{text}" + (f" ({elapsed:.0f} s)" if elapsed >= 1 else ""))
        self.stream.flush()
