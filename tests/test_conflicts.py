"""Confirmations that contradict each other, on a real store: the rule, its clocks, the CLI."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from test_board import LAWS, ledger_lines, load

from conftest import NOW
from rumour_ledger.cli.main import cli
from rumour_ledger.ledger.aliases import make_alias
from rumour_ledger.ledger.claims import Kind, make_claim, make_move, make_retraction
from rumour_ledger.projections.aliases import Names
from rumour_ledger.projections.board import Moment, board, conflicts_of_rumour
from rumour_ledger.projections.conflicts import (
    CONFLICT_WINDOW_DAYS,
    conflicts,
    is_party,
    recording_warnings,
)
from rumour_ledger.projections.likelihood import Settings
from rumour_ledger.projections.views import find_rumour

LATER = Moment(date(2025, 1, 1))
ARSENAL = "Declan Rice: West Ham -> Arsenal"
CITY = "Declan Rice -> Manchester City"


def line(kind: str, to: str, source: str, day: str, **more: object) -> str:
    fields = {"type": kind, "subject": "Declan Rice", "to": to, "source": source, "date": day}
    return json.dumps({**fields, "official": kind == "confirmation", **more})


ARSENAL_CONFIRMED = line("confirmation", "Arsenal", "Arsenal", "2023-07-15", **{"from": "West Ham"})
CITY_CONFIRMED = line("confirmation", "Manchester City", "Some Blog", "2023-07-20")


def found(ledger, moment: Moment = LATER) -> list[dict]:
    with ledger.reading() as conn:
        return [c.to_dict() for c in conflicts(conn, moment)]


def test_two_destinations_confirmed_days_apart_are_one_conflict(ledger):
    load(ledger, [ARSENAL_CONFIRMED, CITY_CONFIRMED])
    [conflict] = found(ledger)
    assert conflict["subject"] == "Declan Rice"
    assert conflict["moves"] == [ARSENAL, CITY]
    assert [(c["source"], c["date"]) for c in conflict["confirmations"]] == [
        ("Arsenal", "2023-07-15"),
        ("Some Blog", "2023-07-20"),
    ]


def test_a_retraction_settles_the_conflict_and_known_at_still_sees_it(ledger, clock):
    load(ledger, [ARSENAL_CONFIRMED, CITY_CONFIRMED])
    before = clock.now
    [conflict] = found(ledger)
    wrong = conflict["confirmations"][1]["id"]
    clock.set(NOW + timedelta(days=1))
    ledger.app.retract(make_retraction(wrong, "a blog, not the club", "2023-07-21", date.max))
    assert found(ledger) == []
    assert len(found(ledger, Moment(LATER.as_of, before))) == 1


def test_two_moves_a_year_apart_are_a_career_not_a_conflict(ledger):
    day = date(2023, 7, 15) + timedelta(days=CONFLICT_WINDOW_DAYS + 1)
    load(ledger, [ARSENAL_CONFIRMED, line("confirmation", "Chelsea", "Chelsea", day.isoformat())])
    assert found(ledger) == []


def test_the_window_is_inclusive_and_as_of_hides_the_later_confirmation(ledger):
    day = date(2023, 7, 15) + timedelta(days=CONFLICT_WINDOW_DAYS)
    load(ledger, [ARSENAL_CONFIRMED, line("confirmation", "Chelsea", "Chelsea", day.isoformat())])
    assert len(found(ledger)) == 1
    assert found(ledger, Moment(day - timedelta(days=1))) == []


def test_one_club_under_two_spellings_is_one_destination(ledger):
    load(
        ledger, [ARSENAL_CONFIRMED, line("confirmation", "Arsenal FC", "Arsenal FC", "2023-07-16")]
    )
    assert len(found(ledger)) == 1
    ledger.app.declare_alias(make_alias("club", "Arsenal FC", "Arsenal"))
    assert found(ledger) == []


def test_two_spellings_of_one_subject_are_one_subject(ledger):
    other = json.dumps(
        {
            "type": "confirmation",
            "subject": "D. Rice",
            "to": "Manchester City",
            "source": "Manchester City",
            "official": True,
            "date": "2023-07-16",
        }
    )
    load(ledger, [ARSENAL_CONFIRMED, other])
    assert found(ledger) == []
    ledger.app.declare_alias(make_alias("person", "D. Rice", "Declan Rice"))
    [conflict] = found(ledger)
    assert conflict["subject"] == "Declan Rice"
    with ledger.reading() as conn:  # asked about one spelling, read through its rumours
        for spelling in ("d. rice", "declan rice"):
            [one] = conflicts(conn, LATER, [spelling])
            assert one.to_dict() == conflict
        assert conflicts(conn, LATER, ["kylian mbappe"]) == []


def test_the_board_and_why_name_the_other_move(ledger, clock):
    load(
        ledger,
        [ARSENAL_CONFIRMED, CITY_CONFIRMED, line("report", "Liverpool", "BBC", "2023-05-01")],
    )
    with ledger.reading() as conn:
        rows = {r["label"]: r for r in board(conn, LATER, Settings())}
        known = {r["label"]: r for r in board(conn, Moment(LATER.as_of, clock.now), Settings())}
        [(conflict, others)] = conflicts_of_rumour(conn, find_rumour(conn, CITY), LATER)
    assert rows[CITY]["conflict"] == [ARSENAL] and rows[ARSENAL]["conflict"] == [CITY]
    assert rows["Declan Rice -> Liverpool"]["conflict"] == []
    assert {k: r["conflict"] for k, r in known.items()} == {
        k: r["conflict"] for k, r in rows.items()
    }
    assert others == [ARSENAL] and conflict.moves == [ARSENAL, CITY]


@LAWS
@given(ledger_lines(max_size=10), st.integers(0, 520))
def test_conflicts_as_of_a_day_equal_a_ledger_that_only_held_the_claims_of_then(
    open_fresh, lines, offset
):
    day = date(2024, 1, 1) + timedelta(days=offset)
    for i in range(0, len(lines), 2):  # confirmations are rare in the board's lines
        lines[i]["type"] = "confirmation"
    with open_fresh() as whole, open_fresh() as truncated:
        load(whole, [json.dumps(o) for o in lines])
        kept = [json.dumps(o) for o in lines if o["date"] <= day.isoformat()]
        if kept:
            load(truncated, kept)
        assert found(whole, Moment(day)) == found(truncated, Moment(day))


@LAWS
@given(ledger_lines(max_size=10), st.integers(1, 400))
def test_conflicts_known_at_equal_a_ledger_holding_only_what_was_recorded_by_then(
    open_fresh, lines, days_back
):
    known_at = NOW - timedelta(days=days_back)
    for i in range(0, len(lines), 2):
        lines[i]["type"] = "confirmation"
    with open_fresh() as whole, open_fresh() as truncated:
        load(whole, [json.dumps(o) for o in lines])
        kept = [
            json.dumps(o) for o in lines if datetime.fromisoformat(o["recorded_at"]) <= known_at
        ]
        if kept:
            load(truncated, kept)
        assert found(whole, Moment(LATER.as_of, known_at)) == found(truncated, LATER)


def test_cli_an_official_denial_from_a_non_party_warns_and_an_unofficial_one_does_not(location):
    args = ["deny", "Declan Rice", "--to", "Manchester City", "--date", "2023-07-20", "--source"]
    loud = run(location, *args, "Some Blog", "--official")
    assert loud.exit_code == 0 and loud.stderr.startswith("warning: 'Some Blog' is not a party")
    quiet = run(location, *args, "Some Blog", "--claim", "not official")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    party = run(location, *args, "Manchester City", "--official")
    assert party.exit_code == 0 and party.stderr == ""


def test_a_source_is_a_party_by_name_key_and_through_aliases():
    move = make_move("Declan Rice", "West Ham", "Arsenal")

    def party(source: str, names: Names | None = None) -> bool:
        claim = make_claim(
            Kind.CONFIRMATION, move, source=source, published="2023-07-15", today=date.max
        )
        return is_party(claim, names or Names())

    assert party("arsenal") and party("DECLAN RICE") and party("West Ham")
    assert not party("Some Blog") and not party("Arsenal FC")
    assert party("Arsenal FC", Names(maps={"source": {"arsenal fc": "arsenal"}}))
    assert party("The Gunners", Names(maps={"club": {"arsenal": "the gunners"}}))


def test_recording_warns_of_a_source_not_party_and_of_a_new_conflict(ledger):
    load(ledger, [ARSENAL_CONFIRMED])
    move = make_move("Declan Rice", None, "Manchester City")
    claim = make_claim(
        Kind.CONFIRMATION, move, source="Some Blog", published="2023-07-20", today=date.max
    )
    recorded = ledger.app.record(claim)
    with ledger.reading() as conn:
        warnings = recording_warnings(conn, claim, recorded.id)
    assert len(warnings) == 2
    assert "'Some Blog' is not a party" in warnings[0]
    assert ARSENAL in warnings[1]
    denial = make_claim(
        Kind.DENIAL, move, source="Some Blog", official=True, published="2023-07-21", today=date.max
    )
    unofficial = make_claim(
        Kind.DENIAL, move, source="Some Blog", published="2023-07-22", today=date.max
    )
    club = make_claim(
        Kind.DENIAL,
        move,
        source="Manchester City",
        official=True,
        published="2023-07-23",
        today=date.max,
    )
    with ledger.reading() as conn:
        [warning] = recording_warnings(conn, denial, denial.claim_id)
        assert "stored as an official denial" in warning
        assert recording_warnings(conn, unofficial, unofficial.claim_id) == []
        assert recording_warnings(conn, club, club.claim_id) == []


def run(location: str, *args: str):
    return CliRunner().invoke(cli, [*args, "--db", location])


def test_cli_confirm_from_a_non_party_warns_stores_and_exits_0(location):
    args = ["confirm", "Declan Rice", "--from", "West Ham", "--to", "Arsenal", "--date"]
    quiet = run(location, *args, "2023-07-15", "--source", "Arsenal")
    assert quiet.exit_code == 0 and quiet.stderr == "new rumour: Declan Rice: West Ham -> Arsenal\n"
    loud = run(location, "confirm", "Declan Rice", "--to", "Manchester City", "--date",
               "2023-07-20", "--source", "Some Blog")  # fmt: skip
    assert loud.exit_code == 0
    *lines, notice = loud.stderr.splitlines()
    assert notice == "new rumour: Declan Rice -> Manchester City"
    assert len(lines) == 2 and all(x.startswith("warning: ") for x in lines)
    assert "Some Blog" in lines[0] and ARSENAL in lines[1]
    listed = run(location, "conflicts", "--json")
    assert listed.exit_code == 0
    [conflict] = json.loads(listed.stdout)
    assert conflict["moves"] == [ARSENAL, CITY]
    assert conflict["confirmations"][1]["id"] == loud.stdout.strip()


def test_cli_conflicts_board_and_why_show_the_conflict(location):
    for text in (ARSENAL_CONFIRMED, CITY_CONFIRMED):
        assert CliRunner().invoke(cli, ["import", "-", "--db", location], input=text).exit_code == 0
    table = run(location, "conflicts", "--as-of", "2024-01-01")
    assert table.exit_code == 0 and "Some Blog" in table.stdout and "2023-07-20" in table.stdout
    assert json.loads(run(location, "conflicts", "--as-of", "2023-07-19", "--json").stdout) == []
    known = run(location, "conflicts", "--known-at", "2000-01-01", "--json")
    assert known.exit_code == 0 and json.loads(known.stdout) == []
    shown = run(location, "board", "--as-of", "2024-01-01")
    assert shown.stdout.count("in conflict") == 2
    rows = json.loads(run(location, "board", "--json", "--as-of", "2024-01-01").stdout)
    assert sorted(r["conflict"] for r in rows) == [[CITY], [ARSENAL]]
    why = run(location, "why", CITY, "--as-of", "2024-01-01")
    assert why.exit_code == 0 and f"in conflict with {ARSENAL}" in why.stdout
    explained = json.loads(run(location, "why", CITY, "--json", "--as-of", "2024-01-01").stdout)
    assert explained["conflict"][0]["with"] == [ARSENAL]
