"""Work spread over worker processes: every result, in order, or one clear error."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from rumour_ledger.ledger.errors import LedgerError
from rumour_ledger.projections.spread import spread, worker_count


def _plus(conn, context, item):
    # Each result says which process made it, so the test can see that both worked.
    return item + context, os.getpid()


def _dies_in_a_worker(conn, context, item):
    if multiprocessing.parent_process() is not None and item == context:
        os._exit(1)
    return item


def test_results_come_back_in_the_items_order_from_every_process(ledger, monkeypatch):
    monkeypatch.setenv("RUMOUR_WORKERS", "2")
    with ledger.engine.connect() as conn:
        results = list(spread(conn, ledger.store, _plus, 1000, list(range(200))))
    assert [value for value, _pid in results] == [1000 + n for n in range(200)]
    assert len({pid for _value, pid in results}) == 2


def test_without_a_store_or_with_one_worker_everything_is_worked_out_here(ledger, monkeypatch):
    with ledger.engine.connect() as conn:
        monkeypatch.setenv("RUMOUR_WORKERS", "2")
        alone = list(spread(conn, None, _plus, 0, [1, 2, 3]))
        monkeypatch.setenv("RUMOUR_WORKERS", "1")
        one = list(spread(conn, ledger.store, _plus, 0, [1, 2, 3]))
    assert alone == one == [(n, os.getpid()) for n in (1, 2, 3)]


def test_a_worker_that_dies_is_one_clear_error(ledger, monkeypatch):
    monkeypatch.setenv("RUMOUR_WORKERS", "2")
    with ledger.engine.connect() as conn, pytest.raises(LedgerError, match="RUMOUR_WORKERS=1"):
        # Every item past the first few is the fatal one, so a worker meets one.
        list(spread(conn, ledger.store, _dies_in_a_worker, 7, [7] * 50))


@pytest.mark.parametrize("given", ["0", "two", "-1", "1.5"])
def test_a_worker_count_that_is_not_a_number_of_processes_is_refused(monkeypatch, given):
    monkeypatch.setenv("RUMOUR_WORKERS", given)
    with pytest.raises(LedgerError, match="RUMOUR_WORKERS must be a number of processes"):
        worker_count()


def test_by_default_every_core_works_up_to_four(monkeypatch):
    monkeypatch.delenv("RUMOUR_WORKERS", raising=False)
    assert 1 <= worker_count() <= 4
