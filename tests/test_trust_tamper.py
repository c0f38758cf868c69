"""Tampering underneath the application, as someone with the database owner's rights would:
drop the triggers, then change a byte, a topic, the order, delete or forge. `verify` catches
each, every time; hypothesis chooses which event and which byte.

Each hypothesis example tampers inside one transaction, verifies through that same connection
(so it sees the change) and rolls back; the end-to-end tests commit and run `rumour verify`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_trust_support import Db, fill, raw_db

from rumour_ledger.cli.main import cli
from rumour_ledger.ledger.chain import seal
from rumour_ledger.ledger.integrity import (
    decode_state,
    digest_store,
    encode_state,
    event_types,
    verify_rows,
    verify_store,
)
from rumour_ledger.ledger.raw import RawLedger
from rumour_ledger.ledger.store import open_store

TAMPER = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TOPICS = sorted(event_types())


@pytest.fixture
def filled(ledger, location) -> str:
    fill(ledger)
    ledger.close()
    return location


def verify_in(db: Db, since: str | None = None) -> Any:
    """Verify what this (uncommitted) transaction sees."""
    raw = RawLedger(db.store, db.conn)
    return verify_rows(raw.events(), since=since, guard_problems=raw.guard_problems())


def named(report: Any) -> set[tuple[str, int | None]]:
    return {(d.stream, d.version) for d in report.damaged}


def attacked(location: str):
    """An open transaction on the ledger's database with the triggers dropped."""
    return raw_db(location)


def set_column(db: Db, row: tuple, column: str, value: Any) -> None:
    db.execute(f"UPDATE {db.events} SET {column} = ? WHERE {db.position} = ?", (value, row[0]))


def insert(db: Db, stream: str, version: int, topic: str, state: bytes) -> None:
    db.execute(
        f"INSERT INTO {db.events} (originator_id, originator_version, topic, state) "
        "VALUES (?, ?, ?, ?)",
        (db.stream_id(stream), version, topic, state),
    )


def last_of_streams(rows: list[tuple]) -> dict[str, tuple]:
    last: dict[str, tuple] = {}
    for row in rows:
        if row[1] not in last or row[2] > last[row[1]][2]:
            last[row[1]] = row
    return last


# One byte of one event's stored state ---------------------------------------------------


@settings(TAMPER, max_examples=100)
@given(data=st.data())
def test_any_changed_byte_of_any_event_is_caught_and_that_event_named(filled, data):
    with attacked(filled) as db:
        db.drop_guards()
        rows = db.rows()
        row = data.draw(st.sampled_from(rows), label="event")
        state = bytearray(row[4])
        at = data.draw(st.integers(0, len(state) - 1), label="byte")
        state[at] = data.draw(st.integers(0, 255).filter(lambda b: b != state[at]), label="to")
        set_column(db, row, "state", bytes(state))
        report = verify_in(db)
    assert not report.ok
    assert named(report) == {(row[1], row[2])}


@settings(TAMPER, max_examples=60)
@given(data=st.data())
def test_byte_changes_that_keep_the_meaning_are_caught_too(filled, data):
    """Whitespace, escapes, key order, a space for the T in a timestamp: same values, new bytes."""
    with attacked(filled) as db:
        db.drop_guards()
        row = data.draw(st.sampled_from(db.rows()), label="event")
        values = json.loads(row[4])
        how = data.draw(st.sampled_from(["spaces", "ascii", "reorder", "T", "upper-hex"]))
        if how == "spaces":
            state = json.dumps(values, ensure_ascii=False).encode()
        elif how == "ascii":
            state = json.dumps(values, separators=(",", ":"), ensure_ascii=True).encode()
            state = state.replace(b"-", b"\\u002d", 1)
        elif how == "reorder":
            keys = list(values)
            state = json.dumps(
                {k: values[k] for k in [keys[-1], *keys[:-1]]},
                separators=(",", ":"),
                ensure_ascii=False,
            ).encode()
        elif how == "T":
            state = row[4].replace(b"T", b" ", 1)
        else:  # a hex digit of a UUID in upper case, or a trailing space where there is none
            state = bytearray(row[4] + b" ")
            marker = b'"uuid_hex","_data_":"'
            start = row[4].find(marker) + len(marker)
            at = next((i for i in range(start, start + 32) if row[4][i] in b"abcdef"), None)
            if marker in row[4] and at is not None:
                state = bytearray(row[4])
                state[at] = ord(chr(state[at]).upper())
            state = bytes(state)
        set_column(db, row, "state", state)
        report = verify_in(db)
    assert (row[1], row[2]) in named(report)


# Topic, order, deletion, forgery ---------------------------------------------------------


@TAMPER
@given(data=st.data())
def test_a_changed_topic_is_caught(filled, data):
    with attacked(filled) as db:
        db.drop_guards()
        row = data.draw(st.sampled_from(db.rows()), label="event")
        topic = data.draw(
            st.one_of(st.sampled_from([*TOPICS, ""]), st.text(max_size=40)).filter(
                lambda t: t != row[3] and "\x00" not in t
            ),
            label="topic",
        )
        set_column(db, row, "topic", topic)
        report = verify_in(db)
    assert (row[1], row[2]) in named(report)


@TAMPER
@given(data=st.data())
def test_two_events_with_their_versions_swapped_are_both_named(filled, data):
    with attacked(filled) as db:
        db.drop_guards()
        rows = db.rows()
        streams = sorted({r[1] for r in rows if sum(1 for s in rows if s[1] == r[1]) > 1})
        stream = data.draw(st.sampled_from(streams), label="stream")
        versions = sorted(r[2] for r in rows if r[1] == stream)
        a, b = data.draw(st.lists(st.sampled_from(versions), min_size=2, max_size=2, unique=True))
        sid = db.stream_id(stream)
        swap = f"UPDATE {db.events} SET originator_version = ? WHERE originator_id = ? AND originator_version = ?"  # noqa: E501
        db.execute(swap, (-1, sid, a))
        db.execute(swap, (a, sid, b))
        db.execute(swap, (b, sid, -1))
        report = verify_in(db)
    assert {(stream, a), (stream, b)} <= named(report)


@TAMPER
@given(data=st.data())
def test_two_events_swapped_in_the_log_are_caught(filled, data):
    before = digest_store(open_store(filled))[0]
    with attacked(filled) as db:
        db.drop_guards()
        rows = db.rows()
        first, second = data.draw(
            st.lists(st.sampled_from(rows), min_size=2, max_size=2, unique=True)
        )
        move = f"UPDATE {db.events} SET {db.position} = ? WHERE {db.position} = ?"
        db.execute(move, (-1, first[0]))
        db.execute(move, (first[0], second[0]))
        db.execute(move, (second[0], -1))
        report = verify_in(db, since=before)
    assert not report.since.unchanged
    assert not report.since.prefix_intact
    if first[1] == second[1]:  # same stream: a later version now comes first in the log
        assert {(first[1], min(first[2], second[2]))} <= named(report)


@TAMPER
@given(data=st.data())
def test_a_deleted_event_is_caught(filled, data):
    before = digest_store(open_store(filled))[0]
    with attacked(filled) as db:
        db.drop_guards()
        rows = db.rows()
        row = data.draw(st.sampled_from(rows), label="event")
        db.execute(f"DELETE FROM {db.events} WHERE {db.position} = ?", (row[0],))
        report = verify_in(db, since=before)
    assert not report.ok
    assert report.since.events_now == report.since.events_then - 1
    if row is not last_of_streams(rows)[row[1]]:
        assert any(
            (d.stream, d.version, d.reason) == (row[1], row[2], "missing") for d in report.damaged
        )


@TAMPER
@given(data=st.data())
def test_a_forged_copy_of_an_event_is_caught(filled, data):
    with attacked(filled) as db:
        db.drop_guards()
        rows = db.rows()
        source = data.draw(st.sampled_from(rows), label="copied")
        streams = sorted({r[1] for r in rows})
        stream = data.draw(
            st.one_of(st.sampled_from(streams), st.uuids().map(lambda u: u.hex)), label="into"
        )
        taken = {r[2] for r in rows if r[1] == stream}
        version = data.draw(
            st.integers(1, max(taken, default=0) + 3).filter(lambda v: v not in taken)
        )
        insert(db, stream, version, source[3], source[4])
        report = verify_in(db)
    assert (stream, version) in named(report)


def forge_sealed(db: Db, rows: list[tuple], stream: str, text: str) -> int:
    """A new claim appended to a stream, sealed exactly as the application seals: only a
    digest kept elsewhere can tell it from a real one."""
    template = next(r for r in rows if r[3] == "rumour-ledger:Rumour.Reported")
    last = last_of_streams(rows)[stream]
    etype = event_types()[template[3]]
    values = decode_state(template[4])
    values["claim_id"] = uuid.uuid4()
    values["claim"] = text
    version = last[2] + 1
    sealed = {name: values[name] for name in etype.sealed}
    head = decode_state(last[4])["digest"]
    values["digest"] = seal(
        head, etype.topic, uuid.UUID(stream), version, values["timestamp"], sealed
    )
    insert(db, stream, version, etype.topic, encode_state(values))
    return version


@TAMPER
@given(data=st.data())
def test_a_well_forged_event_passes_the_chains_but_not_a_digest_taken_before(filled, data):
    before = digest_store(open_store(filled))[0]
    with attacked(filled) as db:
        db.drop_guards()
        rows = db.rows()
        stream = data.draw(st.sampled_from(sorted({r[1] for r in rows})), label="stream")
        version = forge_sealed(db, rows, stream, data.draw(st.text(max_size=30)))
        chains_only = verify_in(db)
        report = verify_in(db, since=before)
    assert chains_only.damaged == []  # every seal and link is sound...
    assert not report.ok  # ...but the digest kept elsewhere says one event was added
    assert report.since.prefix_intact
    assert report.since.added == [(stream, version)]


def test_every_tamper_example_was_rolled_back(filled):
    assert verify_store(open_store(filled)).ok


# End to end: committed, then `rumour verify` ---------------------------------------------


def tamper_and_commit(location: str, how: str) -> tuple[str, int]:
    with raw_db(location) as db:
        db.drop_guards()
        rows = db.rows()
        row = rows[len(rows) // 2]
        if how == "byte":
            state = bytearray(row[4])
            at = state.index(b'"recorded_by":"') + len(b'"recorded_by":"')
            state[at] = ord("Z") if state[at] != ord("Z") else ord("Y")
            set_column(db, row, "state", bytes(state))
        elif how == "topic":
            set_column(db, row, "topic", "rumour-ledger:Rumour.Forged")
        elif how == "delete":
            row = next(r for r in rows[1:] if r[2] > 1 and r is not last_of_streams(rows)[r[1]])
            db.execute(f"DELETE FROM {db.events} WHERE {db.position} = ?", (row[0],))
        elif how == "forge":
            # Another stream's sealed event, appended to this one: its seal cannot fit.
            copied = next(r for r in rows if r[1] != row[1] and r[2] > 1)
            version = last_of_streams(rows)[row[1]][2] + 1
            insert(db, row[1], version, copied[3], copied[4])
            row = (None, row[1], version)
        db.commit()
    return row[1], row[2]


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("byte", "digest mismatch"),
        ("topic", "unknown topic"),
        ("delete", "missing"),
        ("forge", "digest mismatch"),
    ],
)
def test_rumour_verify_names_each_damaged_event_and_exits_1(filled, how, reason):
    stream, version = tamper_and_commit(filled, how)
    result = CliRunner().invoke(cli, ["--db", filled, "verify"])
    assert result.exit_code == 1
    assert f"{stream[:8]}" in result.stdout
    assert any(
        f"version {version}: {reason}" in line
        for line in result.stdout.splitlines()
        if line.startswith("damaged:")
    ), result.stdout
    assert result.stderr.startswith("Error: verification failed: ")
    assert "append-only triggers are not all in place" in result.stderr
    report = json.loads(CliRunner().invoke(cli, ["--db", filled, "verify", "--json"]).stdout)
    assert report["ok"] is False
    assert {"stream": stream, "version": version} in [
        {"stream": d["stream"], "version": d["version"]} for d in report["damaged"]
    ]
