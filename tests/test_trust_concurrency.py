"""Concurrent writers: 8 processes appending at once, a third of their claims to one rumour, lose
nothing and store every claim exactly once; on SQLite a lock held too long is a clear error."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
import time
from collections import Counter

import pytest
from click.testing import CliRunner
from sqlalchemy import text
from test_trust_support import DEMO, PYTHON, generated_lines, python_env, stored_events

from rumour_ledger.cli.main import cli
from rumour_ledger.ledger.integrity import decode_state, verify_store
from rumour_ledger.ledger.store import open_store
from rumour_ledger.projections.bootstrap import open_ledger

WRITERS = 8
CLAIMS = 200  # per writer
# Each writer: open the ledger, say it is ready, wait for "go", then record its claims one by
# one: a third to one rumour every writer appends to, the rest to four rumours of its own.
WORKER = """
import json, sys
from eventsourcing.persistence import IntegrityError
from rumour_ledger.ledger.application import RumourLedger
from rumour_ledger.ledger.claims import Kind, make_claim, make_move
from rumour_ledger.projections.bootstrap import open_ledger

conflicts = streak = longest = 0
save = RumourLedger.save

def counting_save(self, *args, **kwargs):  # counts the conflicts the ledger retries
    global conflicts, streak, longest
    try:
        result = save(self, *args, **kwargs)
    except IntegrityError:
        conflicts += 1
        streak += 1
        longest = max(longest, streak)
        raise
    streak = 0
    return result

RumourLedger.save = counting_save

location, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ids = []
with open_ledger(location, user=f"writer-{worker}") as ledger:
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(count):
        if i % 3 == 0:
            move = make_move("Shared Player", "Club A", "Club B")
        else:
            move = make_move(f"Player {worker}", "Club A", f"Club {i % 4 + 2}")
        kind = (Kind.REPORT, Kind.DENIAL, Kind.REPORT)[i % 3]
        claim = make_claim(
            kind, move, source=f"Outlet {worker}", published="2024-10-28",
            text=f"writer {worker} claim {i}", today=ledger.app.today,
        )
        recorded = ledger.app.record(claim)
        assert recorded.added
        ids.append(recorded.id.hex)
print(json.dumps({"ids": ids, "conflicts": conflicts, "longest": longest}), flush=True)
"""


def run_writers(location: str) -> tuple[list[str], int]:
    """Starts every writer, releases them together; every id they were told, and how many
    version conflicts they retried."""
    writers = [
        subprocess.Popen(
            [PYTHON, "-c", WORKER, location, str(n), str(CLAIMS)],
            env=python_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(WRITERS)
    ]
    for writer in writers:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.flush()
    ids, conflicts, longest = [], 0, 0
    for writer in writers:
        out, err = writer.communicate(timeout=240)
        assert writer.returncode == 0, err
        ids.extend(json.loads(out)["ids"])
        conflicts += json.loads(out)["conflicts"]
        longest = max(longest, json.loads(out)["longest"])
    print(
        f"{len(ids)} claims by {WRITERS} writers: {conflicts} conflicts retried, {longest} in a row"
    )
    return ids, conflicts


@pytest.mark.slow
def test_eight_writers_at_once_lose_nothing_and_store_each_claim_once(location):
    with open_ledger(location):
        pass  # the tables exist before the writers race
    told, conflicts = run_writers(location)
    assert len(told) == len(set(told)) == WRITERS * CLAIMS
    assert conflicts > 0  # they did write at the same time

    stored = Counter()
    for _, _, version, _topic, state in stored_events(location):
        if version > 1:
            stored[decode_state(state)["claim_id"].hex] += 1
    assert set(stored) == set(told)
    assert set(stored.values()) == {1}

    report = verify_store(open_store(location))
    assert report.ok, report.to_dict()
    assert report.streams == 1 + WRITERS * 4
    with open_ledger(location) as opened, opened.reading() as conn:
        assert conn.execute(text("SELECT count(*) FROM claims")).scalar() == WRITERS * CLAIMS


# SQLite: a lock held past the timeout --------------------------------------------------------


@pytest.fixture
def short_lock_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUMOUR_LOCK_TIMEOUT", "1")


def test_a_write_lock_held_too_long_is_a_clear_one_line_error(tmp_path, short_lock_timeout):
    path = str(tmp_path / "busy.db")
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", path, "import", str(DEMO)]).exit_code == 0
    more = tmp_path / "more.jsonl"
    more.write_text(
        json.dumps(
            {
                "type": "report",
                "subject": "Someone",
                "to": "Somewhere",
                "source": "Sport",
                "date": "2024-01-02",
            }
        )
        + "\n"
    )
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        claim = ["Xabi Alonso", "--to", "Real Madrid", "--source", "X", "--date", "2024-01-01"]
        attempts = [["report", *claim], ["import", str(more)]]
        for args in attempts:
            result = runner.invoke(cli, ["--db", path, *args])
            assert result.exit_code == 1, result.output
            assert result.stderr.startswith("Error: the ledger is busy: "), result.stderr
            assert len(result.stderr.strip().splitlines()) == 1
            assert "Traceback" not in result.output
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # and once the lock is released, the same commands work
    assert runner.invoke(cli, ["--db", path, "import", str(more)]).exit_code == 0
    assert runner.invoke(cli, ["--db", path, "verify"]).exit_code == 0


def _hold_the_write_lock(location: str, seconds: float) -> threading.Thread:
    """Another process's write in progress: the events' write lock held for a while."""
    from test_trust_support import raw_db

    held = threading.Event()

    def hold() -> None:
        with raw_db(location) as db:
            if db.store.dialect == "sqlite":
                db.conn.execute("DELETE FROM stored_events WHERE 0")  # takes the write lock
            else:
                db.conn.execute(f"SET search_path = {db.store.schema}")
                db.conn.execute("SELECT rumour_ledger_lock_events()")
            held.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert held.wait(10)
    return thread


@pytest.mark.parametrize("verb", ["report", "import"])
def test_a_held_write_lock_is_busy_after_rumour_lock_timeout_on_both_stores(
    location, tmp_path, verb
):
    """Item 17 of issue 16: PostgreSQL waited 15 s per attempt, up to 10 attempts."""
    run = CliRunner()
    assert run.invoke(cli, ["--db", location, "import", str(DEMO)]).exit_code == 0
    more = tmp_path / "more.jsonl"
    more.write_text("\n".join(generated_lines(5, tag="busy")) + "\n", encoding="utf-8")
    args = {
        "report": ["report", "Xabi Alonso", "--to", "Real Madrid", "--role", "coach",
                   "--source", "Kicker", "--date", "2024-11-05"],
        "import": ["import", str(more)],
    }[verb]  # fmt: skip
    before = len(stored_events(location))
    holder = _hold_the_write_lock(location, 6)
    started = time.monotonic()
    result = run.invoke(cli, ["--db", location, *args], env={"RUMOUR_LOCK_TIMEOUT": "1"})
    waited = time.monotonic() - started
    holder.join()
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: the ledger is busy")
    assert len(result.stderr.strip().splitlines()) == 1
    assert waited < 4, waited
    assert len(stored_events(location)) == before


@pytest.mark.parametrize("value", ["0", "-3", "soon", "1e9", "99999"])
def test_a_bad_rumour_lock_timeout_is_one_line_naming_it(tmp_path, value):
    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "x.db"), "list"], env={"RUMOUR_LOCK_TIMEOUT": value}
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: RUMOUR_LOCK_TIMEOUT")
