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


def test_in_the_rumour_command_every_core_works_up_to_four(monkeypatch):
    from rumour_ledger.projections import workers_allowed

    monkeypatch.delenv("RUMOUR_WORKERS", raising=False)
    monkeypatch.setattr(workers_allowed, "_allowed", True)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert worker_count() == max(1, min(cores or 1, 4))


def test_called_as_a_library_it_works_in_one_process_unless_told(monkeypatch):
    from rumour_ledger.projections import workers_allowed

    monkeypatch.delenv("RUMOUR_WORKERS", raising=False)
    monkeypatch.setattr(workers_allowed, "_allowed", False)
    assert worker_count() == 1


# A script with no main guard: a worker re-running it would start workers of its own.
UNGUARDED = """
import json
from rumour_ledger.cli.main import cli
from rumour_ledger.projections import calls

calls.SUBJECTS_PER_SLICE, calls.SPREAD_FROM = 1, 2
with open(LINES, "w") as out:
    for n in range(40):
        line = {"type": "report", "subject": f"Player {n}", "to": f"Club {n % 3}",
                "source": f"S{n % 5}", "date": f"2024-01-{1 + n % 28:02d}"}
        out.write(json.dumps(line) + "\\n")
cli(["import", LINES, "--db", LOCATION], standalone_mode=False)
cli(["rebuild", "--db", LOCATION], standalone_mode=False)
print("done")
"""


def test_a_script_without_a_main_guard_rebuilds_in_one_process_and_ends(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    location = str(tmp_path / "ledger.db")
    lines = str(tmp_path / "lines.jsonl")
    script.write_text(f"LOCATION, LINES = {location!r}, {lines!r}\n" + UNGUARDED)
    env = {k: v for k, v in os.environ.items() if k != "RUMOUR_WORKERS"}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "done"
