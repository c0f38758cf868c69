"""Work spread over the machine's cores: items handed to worker processes, results in order."""

from __future__ import annotations

import gc
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from multiprocessing import get_context
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine

from rumour_ledger.ledger.errors import LedgerError
from rumour_ledger.ledger.store import Store
from rumour_ledger.projections import workers_allowed

Item = TypeVar("Item")
Result = TypeVar("Result")
Work = Callable[[Connection, Any, Item], Result]

WORKERS_VARIABLE = "RUMOUR_WORKERS"
# Each worker holds a slice of the ledger and its own copy of the shared context; past a
# few, the single writer that takes their results is the limit anyway.
MOST_WORKERS = 4
# Results waiting for the writer, per worker: enough to keep every worker busy, few enough
# that memory holds a handful of slices, not the whole ledger's rows.
AHEAD_PER_WORKER = 4


def worker_count() -> int:
    """How many processes may work at once, this one included: $RUMOUR_WORKERS, else (in
    the `rumour` command) the cores this process may use, at most four, and (called as a
    library) 1. 1 works everything out in this process."""
    given = os.environ.get(WORKERS_VARIABLE, "").strip()
    if given:
        if not given.isdigit() or int(given) < 1:
            raise LedgerError(f"{WORKERS_VARIABLE} must be a number of processes, not {given!r}")
        return int(given)
    if not workers_allowed.allowed():
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, MOST_WORKERS))


def spread(
    conn: Connection,
    store: Store | None,
    work: Work[Item, Result],
    context: Any,
    items: Sequence[Item],
) -> Iterator[Result]:
    """`work(connection, context, item)` for every item, yielded in the items' order.

    Shared with worker processes when there is more than one item, more than one core and a
    store they can open: each worker opens its own connection, so it reads what is
    committed, and the work may only read tables this connection has not changed. This
    process works too, on `conn`, whenever the next result is not ready. `work` must be a
    module-level function and the context picklable: both are sent once to each worker."""
    helpers = min(worker_count(), len(items)) - 1
    if store is None or helpers < 1:
        for item in items:
            yield work(conn, context, item)
        return
    pool = ProcessPoolExecutor(
        max_workers=helpers,
        # A fresh interpreter, not a copy of this one: a fork would carry the caller's
        # memory (an import's aggregates) and its open connections into every worker.
        mp_context=get_context("spawn"),
        initializer=_start,
        initargs=(store, work, context),
    )
    try:
        waiting = iter(items)
        ahead = helpers * AHEAD_PER_WORKER
        # In the items' order: a worker's future, or a result this process worked out.
        slots: deque[Future[Result] | Done[Result]] = deque(
            pool.submit(_run, item) for item in islice(waiting, ahead)
        )
        while slots:
            head = slots[0]
            if isinstance(head, Future) and not head.done() and len(slots) < 2 * ahead:
                item = next(waiting, _NOTHING)
                if item is not _NOTHING:
                    slots.append(Done(work(conn, context, item)))
                    continue
            slots.popleft()
            result = head.result if isinstance(head, Done) else head.result()
            # The next item is handed out before the caller takes this result, so no worker
            # waits while the caller writes.
            pending = sum(isinstance(slot, Future) for slot in slots)
            slots.extend(pool.submit(_run, item) for item in islice(waiting, ahead - pending))
            yield result
    except BrokenProcessPool:
        raise LedgerError(
            "a worker process stopped before its work was done (out of memory?): the read "
            f"models were left as they were; {WORKERS_VARIABLE}=1 works in one process"
        ) from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class Done(Generic[Result]):
    """A result this process worked out itself, waiting for its turn."""

    __slots__ = ("result",)

    def __init__(self, result: Result) -> None:
        self.result = result


_NOTHING: Any = object()


# One worker's state, set once when it starts.
_engine: Engine | None = None
_work: Callable[[Connection, Any, Any], Any] | None = None
_context: Any = None


def _start(store: Store, work: Callable[[Connection, Any, Any], Any], context: Any) -> None:
    global _engine, _work, _context
    from rumour_ledger.projections.bootstrap import read_models_engine

    # Ctrl-C is the caller's to handle: it stops handing out work and waits for ours.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # As in this process's bulk passes: millions of short-lived objects, none in a cycle.
    gc.disable()
    _engine = read_models_engine(store)
    _work, _context = work, context


def _run(item: Any) -> Any:
    assert _engine is not None and _work is not None
    with _engine.connect() as conn:
        return _work(conn, _context, item)
