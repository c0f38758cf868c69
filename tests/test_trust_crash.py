"""Crashes: `rumour import` killed by SIGKILL leaves the whole file or nothing, and a sound ledger.

Two kinds of trial on each store: kills at random moments of a real import of a few thousand
lines (some land before the transaction, some inside it, some after it), and kills at the one
moment that matters most, inside the transaction after every row was inserted and before the
commit, forced by a hook in the child process.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from test_trust_support import PYTHON, generated_lines, python_env, stored_events

from rumour_ledger.ledger.integrity import verify_store
from rumour_ledger.ledger.store import open_store
from rumour_ledger.projections.bootstrap import open_ledger

LINES = 3_000
RUMOURS = 40
RANDOM_TRIALS = 10  # per store
RUN = (
    "import sys\nfrom rumour_ledger.cli.main import main\nsys.argv[0] = 'rumour'\n{hook}\nmain()\n"
)

# Kill the child inside the import's transaction: every row inserted, nothing committed.
HOOK = """
import os, signal
from rumour_ledger.ledger.sqlitestore import LedgerSQLiteApplicationRecorder
from rumour_ledger.ledger.pgstore import LedgerApplicationRecorder

def _kill_after(original):
    def hooked(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)
        return result
    return hooked

LedgerSQLiteApplicationRecorder._insert_events = _kill_after(
    LedgerSQLiteApplicationRecorder._insert_events
)
LedgerApplicationRecorder._copy_stored_events = _kill_after(
    LedgerApplicationRecorder._copy_stored_events
)
"""


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "big.jsonl"
    path.write_text("\n".join(generated_lines(LINES, rumours=RUMOURS)) + "\n", encoding="utf-8")
    return path


def start_import(location: str, path: Path, hook: str = "") -> subprocess.Popen:
    code = RUN.format(hook=hook)
    return subprocess.Popen(
        [PYTHON, "-c", code, "--db", location, "import", str(path)],
        env=python_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def finish(child: subprocess.Popen) -> tuple[int, str]:
    """Wait for the child and close its pipe; its exit code and standard error."""
    _, err = child.communicate(timeout=60)
    return child.returncode, err.decode("utf-8", "replace")


def check_all_or_nothing(location: str) -> int:
    """The ledger holds the whole file or nothing; it verifies; its read models agree."""
    stored = len(stored_events(location))
    assert stored in (0, LINES + RUMOURS), f"{stored} events: a partial import"
    report = verify_store(open_store(location))
    assert report.ok, report.to_dict()
    with open_ledger(location) as ledger, ledger.reading() as conn:
        claims = conn.execute(text("SELECT count(*) FROM claims")).scalar()
    assert claims == (stored and LINES)
    return stored


@pytest.mark.slow
def test_an_import_killed_at_random_moments_stores_all_or_nothing(store, new_location, big_file):
    # One full run first, to learn how long an import takes here.
    location = new_location()
    with open_ledger(location):
        pass
    started = time.perf_counter()
    code, err = finish(start_import(location, big_file))
    assert code == 0, err
    took = time.perf_counter() - started
    assert check_all_or_nothing(location) == LINES + RUMOURS

    rng = random.Random(int(os.environ.get("RUMOUR_CRASH_SEED", "0")) or None)
    outcomes = {"nothing": 0, "whole": 0}
    for _ in range(RANDOM_TRIALS):
        location = new_location()
        with open_ledger(location):
            pass  # created beforehand, so every kill lands in the import itself
        child = start_import(location, big_file)
        time.sleep(rng.uniform(0.2, 1.3) * took)
        child.send_signal(signal.SIGKILL)
        finish(child)
        outcomes["whole" if check_all_or_nothing(location) else "nothing"] += 1
    print(f"{store}: {RANDOM_TRIALS} kills at random moments: {outcomes}")


@pytest.mark.slow
def test_an_import_killed_inside_its_transaction_stores_nothing(store, location, big_file):
    with open_ledger(location):
        pass
    code, err = finish(start_import(location, big_file, hook=HOOK))
    assert code == -signal.SIGKILL, err
    assert check_all_or_nothing(location) == 0
    # and the same file imports whole afterwards
    code, err = finish(start_import(location, big_file))
    assert code == 0, err
    assert check_all_or_nothing(location) == LINES + RUMOURS
