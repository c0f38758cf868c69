"""A collapse: the move is off, on the record. It ends the move as not happened for the
board, `why`, track records and `score`, on both clocks; a later report reopens it and a
retraction takes it back."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rumour_ledger.cli.main import cli

KANE = ["Harry Kane", "--from", "Tottenham", "--to", "Bayern Munich"]
LABEL = "Harry Kane -> Bayern Munich"


@pytest.fixture
def rumour(location):
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        result = runner.invoke(cli, [*args, "--db", location], input=input)
        assert result.exit_code == 0, result.output
        return result

    return run


def talks(rumour) -> None:
    rumour("report", *KANE, "--source", "Sky Sports", "--date", "2023-06-01")
    rumour("report", *KANE, "--source", "Bild", "--date", "2023-06-05")
    rumour("deny", *KANE, "--source", "Daniel Levy", "--date", "2023-06-06")


def board_row(rumour, *clocks: str) -> dict:
    (row,) = json.loads(rumour("board", "--json", *clocks).stdout)
    return row


def called_off(rumour, date: str = "2023-07-01") -> str:
    return rumour(
        "collapse", *KANE, "--source", "Tottenham", "--official", "--date", date
    ).stdout.strip()


def test_a_collapse_ends_the_move_as_not_happened_from_its_day(rumour):
    talks(rumour)
    assert board_row(rumour)["status"] == "open"
    called_off(rumour)
    row = board_row(rumour)
    assert (row["status"], row["likelihood"]) == ("not_happened", 0.0)
    assert row["resolved_by"] == "called off, per Tottenham"
    assert board_row(rumour, "--as-of", "2023-06-30")["status"] == "open"
    why = json.loads(rumour("why", LABEL, "--json").stdout)
    assert (why["status"], why["resolved_on"]) == ("not_happened", "2023-07-01")


def test_the_ledger_as_known_before_the_collapse_was_recorded_still_has_it_open(rumour):
    talks(rumour)
    before = json.loads(rumour("audit", "log", "--json").stdout)[-1]["recorded_at"]
    called_off(rumour)
    assert board_row(rumour, "--known-at", before)["status"] == "open"


def test_a_report_after_the_collapse_reopens_the_move(rumour):
    talks(rumour)
    called_off(rumour)
    rumour("report", *KANE, "--source", "The Athletic", "--date", "2023-08-01")
    assert board_row(rumour)["status"] == "open"
    assert board_row(rumour, "--as-of", "2023-07-15")["status"] == "not_happened"


def test_retracting_the_collapse_takes_it_back(rumour):
    talks(rumour)
    collapse_id = called_off(rumour)
    rumour("retract", collapse_id, "--reason", "the club said no such thing")
    assert board_row(rumour)["status"] == "open"


def test_reports_before_a_collapse_are_wrong_and_the_denial_right(rumour):
    talks(rumour)
    called_off(rumour)
    records = {r["source"]: r for r in json.loads(rumour("sources", "--json").stdout)}
    assert (records["Sky Sports"]["wrong"], records["Bild"]["wrong"]) == (1, 1)
    assert records["Daniel Levy"]["right"] == 1
    assert "Tottenham" not in records  # calling a move off is no stance on it
    scored = json.loads(rumour("score", "--json").stdout)
    assert scored["rumours"] == 1 and scored["forecasts"] > 0


def test_a_collapse_under_an_alias_ends_the_canonical_move(rumour):
    talks(rumour)
    rumour("alias", "club", "Spurs", "Tottenham")
    rumour(
        "collapse",
        "Harry Kane",
        "--from",
        "Spurs",
        "--to",
        "Bayern Munich",
        "--source",
        "Tottenham",
        "--date",
        "2023-07-01",
    )
    assert board_row(rumour)["status"] == "not_happened"


def test_collapse_prints_what_it_stored_and_shows_in_the_record(rumour):
    talks(rumour)
    stored = json.loads(
        rumour("collapse", *KANE, "--source", "Tottenham", "--date", "2023-07-01", "--json").stdout
    )
    assert (stored["type"], stored["added"], stored["new_rumour"]) == ("collapse", True, False)
    events = json.loads(rumour("show", LABEL, "--json").stdout)["events"]
    assert [e["type"] for e in events][-1] == "collapse"
    (listed,) = json.loads(rumour("list", "--json").stdout)
    assert (listed["reports"], listed["collapses"]) == (2, 1)
    found = json.loads(rumour("search", "--type", "collapse", "--json").stdout)
    assert [f["id"] for f in found] == [stored["id"]]


def test_a_collapse_goes_out_and_comes_back_in_the_interchange_format(rumour, tmp_path):
    talks(rumour)
    called_off(rumour)
    exported = rumour("export").stdout
    assert '"type": "collapse"' in exported
    other = str(tmp_path / "copy.db")
    runner = CliRunner()
    result = runner.invoke(cli, ["import", "-", "--db", other], input=exported)
    assert result.exit_code == 0, result.output
    again = runner.invoke(cli, ["export", "--db", other])
    assert again.stdout == exported
