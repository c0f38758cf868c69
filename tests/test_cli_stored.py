"""--json on the write commands: one object saying what was stored; plain output unchanged."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rumour_ledger.cli.main import cli

ALONSO = ["Xabi Alonso", "--from", "Bayer Leverkusen", "--to", "Real Madrid", "--role", "coach"]
CLAIM_KEYS = [
    "id",
    "type",
    "added",
    "rumour",
    "new_rumour",
    "subject",
    "from",
    "to",
    "role",
    "source",
    "cites",
    "official",
    "date",
    "claim",
    "url",
    "warnings",
]


@pytest.fixture
def rumour(location):
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(cli, [*args, "--db", location])
        assert result.exit_code == 0, result.output
        return result

    return run


def stored(result) -> dict:
    return json.loads(result.stdout)


def test_a_report_prints_the_stored_claim_and_whether_its_rumour_is_new(rumour):
    first = stored(rumour("report", *ALONSO, "--source", "Sport", "--date", "2024-10-28", "--json"))
    assert list(first) == CLAIM_KEYS
    assert first["type"] == "report"
    assert first["added"] is True and first["new_rumour"] is True
    assert first["rumour"]["label"] == "Xabi Alonso: Bayer Leverkusen -> Real Madrid"
    assert first["source"] == "Sport" and first["date"] == "2024-10-28"
    again = stored(rumour("report", *ALONSO, "--source", "Sport", "--date", "2024-10-28", "--json"))
    assert again["id"] == first["id"] and again["added"] is False
    # A second claim, typed in another spelling, lands on the same rumour: not new.
    denial = stored(
        rumour(
            "deny", "xabi alonso", "--from", "Bayer Leverkusen", "--to", "REAL MADRID",
            "--source", "Bild", "--date", "2024-10-29", "--json",
        )
    )  # fmt: skip
    assert denial["type"] == "denial" and denial["new_rumour"] is False
    assert denial["rumour"] == first["rumour"]


def test_a_confirmation_carries_its_warnings_in_the_object(rumour):
    result = rumour("confirm", *ALONSO, "--source", "Some Blog", "--date", "2025-05-25", "--json")
    confirmed = stored(result)
    assert confirmed["type"] == "confirmation" and confirmed["official"] is True
    assert confirmed["warnings"] and confirmed["warnings"][0] in result.stderr


def test_retract_recast_alias_unalias_and_rebuild_print_what_they_stored(rumour):
    claim_id = rumour("report", *ALONSO, "--source", "Sport", "--date", "2024-10-28").stdout.strip()
    retraction = stored(rumour("retract", claim_id[:8], "--reason", "typo", "--json"))
    assert retraction["type"] == "retraction" and retraction["retracts"] == claim_id
    assert retraction["added"] is True and retraction["reason"] == "typo"
    assert retraction["rumour"]["label"] == "Xabi Alonso: Bayer Leverkusen -> Real Madrid"

    recast = stored(
        rumour(
            "recast", "Xabi Alonso -> Real Madrid", "--role", "player", "--reason", "x", "--json"
        )
    )
    assert recast == {
        "type": "recast",
        "added": True,
        "rumour": retraction["rumour"],
        "role": "player",
        "reason": "x",
    }

    alias = stored(rumour("alias", "source", "Diario Sport", "Sport", "--json"))
    assert alias == {
        "type": "alias",
        "added": True,
        "kind": "source",
        "name": "Diario Sport",
        "canonical": "Sport",
    }
    again = stored(rumour("alias", "source", "Diario Sport", "Sport", "--json"))
    assert again["added"] is False
    removed = stored(rumour("unalias", "source", "Diario Sport", "--json"))
    assert removed == {**alias, "type": "unalias", "canonical": None}

    rebuilt = stored(rumour("rebuild", "--json"))
    assert rebuilt["type"] == "rebuild" and rebuilt["events"] > 0
    assert rebuilt["rumours"] == 1 and rebuilt["reports"] == 1 and rebuilt["retractions"] == 1


def test_plain_output_is_unchanged_without_json(rumour):
    claim_id = rumour("report", *ALONSO, "--source", "Sport", "--date", "2024-10-28").stdout
    assert len(claim_id.strip()) == 36 and claim_id.count("\n") == 1
    assert rumour("alias", "club", "Real", "Real Madrid").stdout == "Real = Real Madrid\n"
    assert rumour("rebuild").stdout.startswith("rebuilt read models from ")


def test_write_commands_take_json_alone_not_the_table_formats(location):
    result = CliRunner().invoke(cli, ["alias", "club", "A", "B", "--csv", "--db", location])
    assert result.exit_code == 2
