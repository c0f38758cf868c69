"""The lean import: lines parsed, checked and encoded before the write lock, then written.

Its stored events must be the very bytes the locked, per-event path writes (same rows, same
order, same notification ids), and its read models the same rows, for any interchange file;
a bad file never takes the lock; a writer during the parsing is not held up, and what it
stored sends the import down the locked path, which checks the lines again.
"""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from conftest import FixedClock
from rumour_ledger.ledger import application
from rumour_ledger.ledger.claims import Kind, make_claim, make_move
from rumour_ledger.ledger.errors import ImportFailed, LedgerError
from rumour_ledger.ledger.integrity import verify_store
from rumour_ledger.ledger.interchange import read_entries
from rumour_ledger.projections.bootstrap import open_ledger
from rumour_ledger.projections.tables import metadata

STAMP = "2025-07-01T10:00:00+00:00"
SUBJECTS = ("Player A", "Player B", "Coach C")
CLUBS = ("Club One", "Club Two", "Club Three")
SOURCES = ("Outlet X", "Outlet Y", "Outlet Z")
ROLES = ("player", "coach", "executive")
CLAIM_KINDS = ("report", "denial", "confirmation", "collapse")


# Generated interchange files ----------------------------------------------------------------

claim_op = st.tuples(
    st.just("claim"),
    st.sampled_from(CLAIM_KINDS),
    st.integers(0, len(SUBJECTS) - 1),
    st.integers(0, len(CLUBS) - 1),
    st.integers(0, len(SOURCES) - 1),
    st.integers(1, 28),  # day of the month
    st.booleans(),  # the line gives its id
    st.booleans(),  # the line gives its recorded_at
)
retract_op = st.tuples(st.just("retract"), st.integers(0, 50), st.booleans())
repeat_op = st.tuples(st.just("repeat"), st.integers(0, 50))
alias_op = st.tuples(st.just("alias"), st.integers(0, len(CLUBS) - 1))
recast_op = st.tuples(st.just("recast"), st.integers(0, 50), st.sampled_from(ROLES))
ops = st.lists(
    st.one_of(claim_op, claim_op, claim_op, retract_op, repeat_op, alias_op, recast_op),
    min_size=1,
    max_size=30,
)


def claim_line(op: tuple, number: int) -> dict[str, Any]:
    _, kind, subject, club, source, day, with_id, with_stamp = op
    line: dict[str, Any] = {
        "type": kind,
        "subject": SUBJECTS[subject],
        "from": "Home FC",
        "to": CLUBS[club],
        "role": "coach" if SUBJECTS[subject].startswith("Coach") else "player",
        "source": SOURCES[source],
        "date": f"2025-03-{day:02d}",
        "claim": f"claim on line {number}" if with_id else "the usual claim",
    }
    if with_id:
        line["id"] = str(uuid.UUID(int=10_000 + number))
    if with_stamp:
        line["recorded_by"] = "desk"
        line["recorded_at"] = STAMP
    return line


def claim_id(line: dict[str, Any], today: Any) -> str:
    """The id a claim line is stored under: its own, or the one its content derives."""
    if "id" in line:
        return line["id"]
    move = make_move(line["subject"], line["from"], line["to"], line["role"])
    claim = make_claim(
        Kind(line["type"]),
        move,
        source=line["source"],
        published=line["date"],
        text=line["claim"],
        today=today,
    )
    return str(claim.claim_id)


def interchange_lines(steps: list[tuple], today: Any) -> list[str]:
    lines: list[dict[str, Any]] = []
    claims: list[str] = []
    moves: list[tuple[str, str]] = []  # (subject, to) of the rumours claimed so far
    for number, op in enumerate(steps, start=1):
        if op[0] == "claim":
            line = claim_line(op, number)
            claims.append(claim_id(line, today))
            moves.append((line["subject"], line["to"]))
        elif op[0] == "retract":
            if not claims:
                continue
            line = {
                "type": "retraction",
                "retracts": claims[op[1] % len(claims)],
                "reason": f"wrong, line {number}",
                "date": "2025-12-01",
            }
            if op[2]:
                line["id"] = str(uuid.UUID(int=20_000 + number))
        elif op[0] == "repeat":
            if not lines:
                continue
            line = lines[op[1] % len(lines)]
        elif op[0] == "alias":
            line = {"type": "alias", "kind": "club", "name": f"{CLUBS[op[1]]} AFC"}
            line["canonical"] = CLUBS[op[1]]
        else:
            if not moves:
                continue
            _, which, role = op
            subject, to = moves[which % len(moves)]
            line = {
                "type": "recast",
                "subject": subject,
                "from": "Home FC",
                "to": to,
                "role": role,
                "reason": f"recast on line {number}",
            }
        lines.append(line)
    return [json.dumps(line) for line in lines]


# Running an import and reading back what it stored -----------------------------------------


def run_import(ledger: Any, lines: list[str], *, lean: bool, name: str = "gen.jsonl") -> Any:
    """The import's counts, or the error it stopped with."""
    data = io.BytesIO("".join(line + "\n" for line in lines).encode("utf-8"))
    entries = read_entries(data, name, today=ledger.app.today, now=ledger.app.clock())
    try:
        result = ledger.app.import_entries(entries, file=name, lean=lean)
    except LedgerError as error:
        return f"{type(error).__name__}: {error}"
    return (result.added, result.skipped)


def stored_rows(ledger: Any) -> list[tuple]:
    """Every stored event as stored: notification id, stream, version, topic, state bytes."""
    rows = ledger.app.recorder.select_notifications(1, 1_000_000)
    return [
        (n.id, str(n.originator_id), n.originator_version, n.topic, bytes(n.state)) for n in rows
    ]


def read_model_rows(ledger: Any) -> dict[str, list[tuple]]:
    ledger.catch_up()
    with ledger.engine.connect() as conn:
        return {
            table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
            for table in metadata.sorted_tables
        }


@contextmanager
def chunked(chunk: int, kept: int) -> Any:
    """Small chunks and few aggregates kept, so a short file crosses many chunks and
    forgotten aggregates are read back (through the spool, on the lean path)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(application, "IMPORT_CHUNK", chunk)
        patch.setattr(application, "AGGREGATES_KEPT", kept)
        yield


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=ops, before=ops, chunk=st.sampled_from([(2, 1), (3, 2), (5_000, 20_000)]))
def test_the_lean_path_stores_the_bytes_and_read_models_the_per_event_path_does(
    new_location, steps, before, chunk
):
    outcomes, rows, models = [], [], []
    for lean in (True, False):
        # The same clock readings on both sides: the same recorded-at times.
        ledger = open_ledger(new_location(), clock=FixedClock(), user="tester")
        try:
            today = ledger.app.today
            # A ledger that already holds events, some of which the file may repeat.
            run_import(ledger, interchange_lines(before, today), lean=False, name="before.jsonl")
            ledger.catch_up()
            with chunked(*chunk):
                outcomes.append(run_import(ledger, interchange_lines(steps, today), lean=lean))
            rows.append(stored_rows(ledger))
            models.append(read_model_rows(ledger))
            assert ledger.app.fallbacks == 0
        finally:
            ledger.close()
    assert outcomes[0] == outcomes[1]
    assert rows[0] == rows[1]
    assert models[0] == models[1]


# A bad file: one line, nothing stored, no lock ---------------------------------------------


def test_a_bad_line_stops_the_lean_import_before_it_takes_the_lock(ledger, monkeypatch):
    taken: list[str] = []
    bulk = ledger.app.recorder.bulk

    def counted_bulk() -> Any:
        taken.append("lock")
        return bulk()

    monkeypatch.setattr(ledger.app.recorder, "bulk", counted_bulk)
    steps = [("claim", "report", i % 3, i % 3, 0, i + 1, True, True) for i in range(12)]
    lines = interchange_lines(steps, ledger.app.today)
    lines.append(json.dumps({**json.loads(lines[0]), "date": "2025-02-30", "id": None}))
    with chunked(3, 2), pytest.raises(ImportFailed, match=r"^bad.jsonl:13: field date:"):
        data = io.BytesIO("".join(line + "\n" for line in lines).encode("utf-8"))
        entries = read_entries(data, "bad.jsonl", today=ledger.app.today, now=ledger.app.clock())
        ledger.app.import_entries(entries, file="bad.jsonl", lean=True)
    assert taken == []
    assert stored_rows(ledger) == []
    # A line the domain refuses (a retraction of no claim) is found before the lock too.
    refused = [*lines[:-1], json.dumps({"type": "retraction", "retracts": str(uuid.UUID(int=7))})]
    assert "bad.jsonl:13" in run_import(ledger, refused, lean=True, name="bad.jsonl")
    assert taken == []
    assert stored_rows(ledger) == []


def test_the_cli_import_of_a_bad_file_is_one_line_and_stores_nothing(tmp_path):
    from click.testing import CliRunner

    from rumour_ledger.cli.main import cli

    good = {"type": "report", "subject": "Player A", "from": "Home FC", "to": "Club One"}
    good |= {"source": "Outlet X", "date": "2025-03-01"}
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(good) + "\n" + '{"type": "report", "subject": 7}\n')
    db = str(tmp_path / "l.db")
    result = CliRunner().invoke(cli, ["import", str(path), "--db", db])
    assert result.exit_code != 0
    assert len(result.output.strip().splitlines()) == 1
    assert f"{path}:2" in result.output
    with open_ledger(db) as ledger:
        assert stored_rows(ledger) == []


# A writer while the lines are parsed ----------------------------------------------------------


@pytest.mark.parametrize("read_again", [False, True], ids=["entries spooled", "file read again"])
@pytest.mark.parametrize("same_claim", [True, False], ids=["a claim of the file", "another"])
def test_a_writer_during_the_parsing_is_not_held_up_and_the_import_checks_again(
    location, monkeypatch, same_claim, read_again
):
    monkeypatch.setenv("RUMOUR_LOCK_TIMEOUT", "2")
    steps = [("claim", "report", i % 3, i % 3, i % 3, i % 28 + 1, False, True) for i in range(9)]
    with open_ledger(location, clock=FixedClock(), user="tester") as ledger:
        today = ledger.app.today
        lines = interchange_lines(steps, today)
        first = json.loads(lines[0])
        stages: list[str] = []
        written: dict[str, Any] = {}

        def concurrent_writer() -> None:
            # Records the file's first claim (same content, so the same id), or a claim of
            # a rumour the file never names, while the import is still reading the file: a
            # lock held now would make this wait 2 s and then fail as busy.
            began = time.perf_counter()
            try:
                with open_ledger(location, user="other") as other:
                    to = first["to"] if same_claim else "Club Elsewhere"
                    move = make_move(first["subject"], first["from"], to, first["role"])
                    claim = make_claim(
                        Kind.REPORT,
                        move,
                        source=first["source"],
                        published=first["date"],
                        text=first["claim"],
                        today=today,
                    )
                    written["added"] = other.app.record(claim).added
            except Exception as error:  # the assertion below names it
                written["error"] = repr(error)
            written["seconds"] = time.perf_counter() - began

        def slow_lines() -> Any:
            data = io.BytesIO("".join(line + "\n" for line in lines).encode("utf-8"))
            for number, entry in enumerate(
                read_entries(data, "f.jsonl", today=today, now=ledger.app.clock()), start=1
            ):
                if number == 5:  # the first chunks are spooled, the lock is not taken
                    writer = threading.Thread(target=concurrent_writer)
                    writer.start()
                    writer.join(timeout=30)
                yield entry

        def from_the_start() -> Any:
            data = io.BytesIO("".join(line + "\n" for line in lines).encode("utf-8"))
            return read_entries(data, "f.jsonl", today=today, now=ledger.app.clock())

        with chunked(2, 1):
            result = ledger.app.import_entries(
                slow_lines(),
                lean=True,
                file="f.jsonl",
                stage=stages.append,
                again=from_the_start if read_again else None,
            )
        assert "error" not in written, written["error"]
        assert written["added"] is True
        assert written["seconds"] < 2
        # Stored meanwhile: the import went down the locked path, which checked every line
        # again. A stream of the file written meanwhile is seen as the spool reads it back;
        # any other change by the one query under the lock, before anything is written.
        assert ledger.app.fallbacks == 1
        if same_claim:
            assert stages == [application.FALLBACK_STAGE]
            assert (result.added, result.skipped) == (len(lines) - 1, 1)
        else:
            assert stages == [application.WRITING_STAGE, application.FALLBACK_STAGE]
            assert (result.added, result.skipped) == (len(lines), 0)
        stored = stored_rows(ledger)
        claims = [row for row in stored if row[3].endswith("Reported")]
        assert len(claims) == len(lines) + (0 if same_claim else 1)
        assert verify_store(ledger.store).ok


def test_with_no_writer_meanwhile_the_spooled_rows_are_written(ledger):
    steps = [("claim", "report", i % 3, i % 3, i % 3, i % 28 + 1, True, True) for i in range(7)]
    stages: list[str] = []
    lines = interchange_lines(steps, ledger.app.today)
    data = io.BytesIO("".join(line + "\n" for line in lines).encode("utf-8"))
    entries = read_entries(data, "f.jsonl", today=ledger.app.today, now=ledger.app.clock())
    result = ledger.app.import_entries(entries, file="f.jsonl", lean=True, stage=stages.append)
    assert (result.added, result.skipped) == (7, 0)
    assert stages == [application.WRITING_STAGE]
    assert ledger.app.fallbacks == 0
    assert verify_store(ledger.store).ok
