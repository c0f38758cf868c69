"""`rumour verify` and `rumour digest` on sound ledgers, and the append-only triggers."""

from __future__ import annotations

import json
import re
import time

import pytest
from click.testing import CliRunner
from test_trust_support import fill, raw_db, stored_events

from rumour_ledger.cli.main import cli
from rumour_ledger.ledger import guards
from rumour_ledger.ledger.claims import Kind, make_claim, make_move
from rumour_ledger.ledger.integrity import event_types, verify_store
from rumour_ledger.ledger.store import open_store
from rumour_ledger.projections.bootstrap import open_ledger

DIGEST = re.compile(r"rl1:\d+:[0-9a-f]{64}")


def rumour(location: str, *args: str):
    return CliRunner().invoke(cli, ["--db", location, *args])


def add_claim(ledger, text: str) -> None:
    move = make_move("Xabi Alonso", "Bayer Leverkusen", "Real Madrid", "coach")
    claim = make_claim(
        Kind.REPORT,
        move,
        source="Kicker",
        published="2024-11-05",
        text=text,
        today=ledger.app.today,
    )
    ledger.app.record(claim)


def test_a_sound_ledger_verifies_and_says_how_many_events_it_checked(ledger, location):
    fill(ledger)
    count = len(stored_events(location))
    result = rumour(location, "verify")
    assert result.exit_code == 0, result.output
    assert f"verified {count} events in 4 streams" in result.stdout
    assert "append-only triggers in place" in result.stdout
    report = json.loads(rumour(location, "verify", "--json").stdout)
    assert report["ok"] is True
    assert (report["events"], report["streams"], report["damaged"]) == (count, 4, [])
    assert report["guards"] == {"ok": True, "problems": []}


def test_an_empty_new_ledger_verifies(ledger, location):
    result = rumour(location, "verify", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["events"] == 0


def test_the_digest_is_printed_alone_and_as_json(ledger, location):
    fill(ledger)
    digest = rumour(location, "digest").stdout.strip()
    assert DIGEST.fullmatch(digest)
    as_json = json.loads(rumour(location, "digest", "--json").stdout)
    assert as_json == {"digest": digest, "events": len(stored_events(location)), "streams": 4}


def test_reading_commands_leave_the_digest_as_it_was(ledger, location):
    fill(ledger)
    before = rumour(location, "digest").stdout
    for args in (["list"], ["show", "Xabi Alonso -> Real Madrid"], ["export"], ["verify"]):
        assert rumour(location, *args).exit_code == 0, args
    assert rumour(location, "digest").stdout == before


def test_verify_with_the_current_digest_passes(ledger, location):
    fill(ledger)
    digest = rumour(location, "digest").stdout.strip()
    result = rumour(location, "verify", "--digest", digest)
    assert result.exit_code == 0, result.output
    assert f"the ledger matches digest {digest}" in result.stdout


def test_events_added_since_a_digest_are_detected_and_named(ledger, location):
    fill(ledger)
    digest = rumour(location, "digest").stdout.strip()
    add_claim(ledger, "a later report")
    add_claim(ledger, "another later report")
    result = rumour(location, "verify", "--digest", digest)
    assert result.exit_code == 1
    assert "2 events added since the digest" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    since = json.loads(rumour(location, "verify", "--json", "--digest", digest).stdout)["since"]
    assert since["first_events_unchanged"] is True
    rows = stored_events(location)
    assert since["added"] == [{"stream": s, "version": v} for _, s, v, _, _ in rows[-2:]]
    # the digest of an empty ledger is a prefix of every ledger
    empty = "rl1:0:" + "0" * 64
    assert f"{len(rows)} events added" in rumour(location, "verify", "--digest", empty).stderr


@pytest.mark.parametrize("bad", ["", "rl1:3", "rl2:3:" + "a" * 64, "rl1:x:" + "a" * 64, "nonsense"])
def test_a_malformed_digest_is_bad_input(ledger, location, bad):
    result = rumour(location, "verify", "--digest", bad)
    assert result.exit_code == 1
    assert "is not a ledger digest" in result.stderr


def test_verify_and_digest_of_no_ledger_are_clear_errors_and_create_nothing(tmp_path):
    path = tmp_path / "none.db"
    for args in (["verify"], ["digest"]):
        result = rumour(str(path), *args)
        assert result.exit_code == 1
        assert result.stderr.strip() == (
            f"Error: no ledger at {path}; `rumour import` or `rumour report` creates one"
        )
    assert not path.exists()


def test_the_event_types_verify_knows_are_the_domains(ledger):
    types = event_types()
    assert types["rumour-ledger:Rumour.Opened"].sealed == (
        "subject",
        "from_",
        "to",
        "role",
        "recorded_by",
    )
    assert types["rumour-ledger:Rumour.Reported"].sealed == (
        "claim_id",
        "source",
        "cites",
        "official",
        "published",
        "claim",
        "url",
        "recorded_by",
        "role",
        "amends",
    )
    # Claims stored before they kept their own role, or before amendments, have none, and
    # still verify.
    assert types["rumour-ledger:Rumour.Reported"].optional == {"role", "amends"}
    assert types["rumour-ledger:Rumour.Retracted"].sealed == (
        "claim_id",
        "retracts",
        "reason",
        "published",
        "recorded_by",
    )
    assert types["rumour-ledger:Rumour.Recast"].sealed == (
        "event_id",
        "role",
        "reason",
        "recorded_by",
    )
    assert types["rumour-ledger:Rumour.Opened"].creates
    assert not types["rumour-ledger:Rumour.Denied"].creates


# The triggers ---------------------------------------------------------------------------


def refused(location: str, sql: str, params: tuple = ()) -> str:
    """Runs one statement underneath the application; returns the database's refusal."""
    with raw_db(location) as db:
        try:
            db.execute(sql.format(events=db.events, snapshots=db.snapshots), params)
        except Exception as error:
            return str(error)
    raise AssertionError(f"not refused: {sql}")


def test_the_store_refuses_to_change_or_remove_stored_events(store, ledger, location):
    fill(ledger)
    before = stored_events(location)
    statements = [
        "UPDATE {events} SET topic = 'x'",
        "UPDATE {events} SET state = state WHERE originator_version = 2",
        "DELETE FROM {events}",
        "DELETE FROM {events} WHERE originator_version = 1",
    ]
    if store == "sqlite":
        statements += [
            "INSERT OR REPLACE INTO {events} SELECT * FROM {events} LIMIT 1",
            "REPLACE INTO {events} SELECT * FROM {events} WHERE originator_version = 3",
        ]
    else:
        statements += [
            "TRUNCATE {events}",
            "TRUNCATE {snapshots}",
            "INSERT INTO {events} SELECT * FROM {events} LIMIT 1 "
            "ON CONFLICT (originator_id, originator_version) DO UPDATE SET topic = 'x'",
        ]
    for sql in statements:
        assert "stored events are append-only" in refused(location, sql), sql
    assert stored_events(location) == before
    assert verify_store(open_store(location)).ok


def test_missing_altered_or_disabled_triggers_fail_verify_and_opening_restores_them(
    store, ledger, location
):
    fill(ledger)
    ledger.close()
    with raw_db(location) as db:
        if store == "sqlite":
            db.execute("DROP TRIGGER rumour_ledger_stored_events_no_delete")
            db.execute("DROP TRIGGER rumour_ledger_stored_events_no_update")
            db.execute(  # same name, does nothing
                "CREATE TRIGGER rumour_ledger_stored_events_no_update BEFORE UPDATE ON "
                "stored_events BEGIN SELECT 1; END"
            )
            expected = ["no_update on stored_events has been altered", "no_delete"]
        else:
            db.execute(f"DROP TRIGGER rumour_ledger_no_truncate ON {db.events}")
            db.execute(f"ALTER TABLE {db.events} DISABLE TRIGGER rumour_ledger_no_change")
            expected = ["no_change on", "is disabled", "no_truncate on"]
        db.commit()
    result = rumour(location, "verify", "--json")
    assert result.exit_code == 1
    problems = " | ".join(json.loads(result.stdout)["guards"]["problems"])
    for text in expected:
        assert text in problems
    assert "the append-only triggers are not all in place" in result.stderr
    with open_ledger(location):
        pass
    assert rumour(location, "verify").exit_code == 0


def test_checking_the_triggers_on_open_is_one_cheap_query(ledger, location):
    store = open_store(location)
    with raw_db(location) as db:
        timings = []
        for _ in range(7):
            start = time.perf_counter()
            assert guards.problems(db.conn, store) == []
            timings.append(time.perf_counter() - start)
    assert sorted(timings)[3] < 0.05
