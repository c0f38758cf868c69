"""Fixing mistakes from the command line: new-rumour notices, dry runs, claims without
--from, and amend."""

from __future__ import annotations

import json

from click.testing import CliRunner

from rumour_ledger.cli.main import cli

RICE = ["--role", "player", "--source", "Sky Sports", "--date", "2023-06-01"]


def run(location, *args):
    return CliRunner().invoke(cli, [*args, "--db", location])


def test_a_claim_that_opens_a_rumour_says_so_and_names_the_close_ones(location):
    first = run(location, "report", "Declan Rice", "--from", "West Ham", "--to", "Arsenal", *RICE)
    assert first.exit_code == 0
    assert first.stderr.strip() == "new rumour: Declan Rice: West Ham -> Arsenal"
    typo = run(location, "report", "Declan Rice", "--from", "West Ham", "--to", "Arsneal", *RICE)
    assert typo.exit_code == 0
    assert typo.stderr.strip() == (
        "new rumour: Declan Rice: West Ham -> Arsneal "
        "(did you mean 'Declan Rice: West Ham -> Arsenal'?)"
    )
    # A claim on a rumour already stored says nothing of the kind.
    again = run(location, "deny", "Declan Rice", "--from", "West Ham", "--to", "Arsenal", *RICE)
    assert again.exit_code == 0 and "new rumour" not in again.stderr
    # --json keeps the notice on standard error and the flag in the object.
    other = run(
        location, "report", "Declan Rice", "--from", "West Ham", "--to", "Chelsea", *RICE, "--json"
    )
    assert json.loads(other.stdout)["new_rumour"] is True
    assert "new rumour: Declan Rice: West Ham -> Chelsea" in other.stderr


# --dry-run ----------------------------------------------------------------------------

ALONSO = ["Xabi Alonso", "--from", "Bayer Leverkusen", "--to", "Real Madrid", "--role", "coach"]
SPORT = ["--source", "Sport", "--date", "2024-10-28"]


def digest(location):
    result = run(location, "digest")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_dry_run_at_a_fresh_path_prints_the_claim_and_creates_no_ledger(tmp_path):
    path = tmp_path / "fresh" / "ledger.db"
    for command in ("report", "deny", "confirm"):
        tried = run(str(path), command, *ALONSO, *SPORT, "--dry-run")
        assert tried.exit_code == 0, tried.output
        assert "dry run: nothing stored" in tried.stderr
        assert "new rumour: Xabi Alonso: Bayer Leverkusen -> Real Madrid" in tried.stderr
    assert not path.exists() and not path.parent.exists()
    as_json = json.loads(run(str(path), "report", *ALONSO, *SPORT, "--dry-run", "--json").stdout)
    assert as_json["dry_run"] is True and as_json["added"] is True
    assert as_json["new_rumour"] is True
    assert as_json["rumour"]["label"] == "Xabi Alonso: Bayer Leverkusen -> Real Madrid"
    # What the dry run printed is what recording it stores.
    stored = json.loads(run(str(path), "report", *ALONSO, *SPORT, "--json").stdout)
    assert stored == {k: v for k, v in as_json.items() if k != "dry_run"}


def test_a_dry_run_on_a_ledger_checks_everything_and_writes_no_event(rumour_on_demo, location):
    before = digest(location)
    tried = rumour_on_demo(
        "report", *ALONSO, "--source", "Marca", "--date", "2024-11-01", "--dry-run"
    )
    assert tried.exit_code == 0 and "new rumour" not in tried.stderr
    bad = rumour_on_demo(
        "report", *ALONSO, "--source", "Marca", "--date", "2024-13-01", "--dry-run"
    )
    assert bad.exit_code == 1 and "not a real calendar date" in bad.stderr
    assert digest(location) == before
    # A dry run of a claim already stored says so, as recording it would.
    shown = json.loads(rumour_on_demo("show", "Xabi Alonso -> Real Madrid", "--json").stdout)
    first = shown["events"][0]
    retract = rumour_on_demo("retract", first["id"][:8], "--reason", "wrong", "--dry-run", "--json")
    assert retract.exit_code == 0, retract.output
    tried = json.loads(retract.stdout)
    assert tried["dry_run"] is True and tried["retracts"] == first["id"]
    assert digest(location) == before
    # ...and the retraction it rehearsed is still to be made, with the id it printed.
    made = json.loads(
        rumour_on_demo("retract", first["id"][:8], "--reason", "wrong", "--json").stdout
    )
    assert made["id"] == tried["id"] and made["added"] is True
    again = rumour_on_demo("retract", first["id"][:8], "--reason", "again", "--dry-run")
    assert again.exit_code == 1 and "already retracted" in again.stderr


def test_import_dry_run_counts_what_it_would_add_and_stores_nothing(tmp_path, location):
    from conftest import EXAMPLES

    demo = str(EXAMPLES / "alonso-2024.jsonl")
    fresh = tmp_path / "new.db"
    tried = run(str(fresh), "import", demo, "--dry-run")
    assert tried.exit_code == 0, tried.output
    assert tried.stdout.strip().endswith("alonso-2024.jsonl: 17 added, 0 skipped")
    assert "dry run: nothing stored" in tried.stderr
    assert not fresh.exists()
    run(location, "report", "Declan Rice", "--from", "West Ham", "--to", "Arsenal", *RICE)
    before = digest(location)
    onto = json.loads(run(location, "import", demo, "--dry-run", "--json").stdout)
    assert (onto["added"], onto["skipped"], onto["dry_run"]) == (17, 0, True)
    assert digest(location) == before
    run(location, "import", demo)
    before = digest(location)
    again = json.loads(run(location, "import", demo, "--dry-run", "--json").stdout)
    assert (again["added"], again["skipped"], again["dry_run"]) == (0, 17, True)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "report", "subject": "X", "to": "Y", "source": "Z"}\n')
    refused = run(location, "import", str(bad), "--dry-run")
    assert refused.exit_code == 1 and "bad.jsonl:1: field date" in refused.stderr
    assert digest(location) == before


# Claims without --from ------------------------------------------------------------------


def test_the_readmes_denial_without_from_joins_the_demos_rumour(rumour_on_demo):
    result = rumour_on_demo(
        "deny", "Xabi Alonso", "--to", "Bayern Munich", "--role", "coach",
        "--source", "Xabi Alonso", "--official", "--date", "2024-03-30", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    stored = json.loads(result.stdout)
    assert stored["rumour"]["label"] == "Xabi Alonso: Bayer Leverkusen -> Bayern Munich"
    assert stored["new_rumour"] is False and stored["from"] == "Bayer Leverkusen"
    assert "new rumour" not in result.stderr
    shown = rumour_on_demo("show", "Xabi Alonso -> Bayern Munich", "--json")
    assert shown.exit_code == 0 and len(json.loads(shown.stdout)["events"]) == 4


def test_a_claim_without_from_that_fits_several_rumours_is_refused(location):
    for club in ("Bayer Leverkusen", "Real Sociedad"):
        run(location, "report", "Xabi Alonso", "--from", club, "--to", "Bayern Munich", *SPORT)
    before = digest(location)
    result = run(location, "report", "Xabi Alonso", "--to", "Bayern Munich", *SPORT)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "Error: 'Xabi Alonso -> Bayern Munich' matches several rumours: "
        "'Xabi Alonso: Bayer Leverkusen -> Bayern Munich', "
        "'Xabi Alonso: Real Sociedad -> Bayern Munich'; give --from to say which"
    )
    assert digest(location) == before


# amend ----------------------------------------------------------------------------------

SPORTSKEEDA = "6fd07a73"  # the demo's first claim (ids derive from content)


def test_amend_retracts_a_claim_and_records_it_corrected_linked(rumour_on_demo, location):
    tried = rumour_on_demo(
        "amend", SPORTSKEEDA, "--date", "2023-09-24", "--reason", "a day early",
        "--dry-run", "--json",
    )  # fmt: skip
    assert tried.exit_code == 0, tried.output
    before = digest(location)
    preview = json.loads(tried.stdout)
    assert (preview["type"], preview["added"], preview["dry_run"]) == ("amendment", True, True)
    assert preview["retraction"]["retracts"].startswith(SPORTSKEEDA)
    assert preview["claim"]["amends"] == preview["retraction"]["retracts"]
    assert preview["claim"]["date"] == "2023-09-24"
    assert preview["claim"]["source"] == "Sportskeeda"  # copied, as every field not given
    assert digest(location) == before
    made = rumour_on_demo("amend", SPORTSKEEDA, "--date", "2023-09-24", "--reason", "a day early")
    assert made.exit_code == 0, made.output
    assert made.stdout.strip() == preview["claim"]["id"]
    assert f"amends {SPORTSKEEDA}" in made.stderr
    shown = rumour_on_demo("show", "Xabi Alonso -> Real Madrid", "--table")
    assert f"amends {SPORTSKEEDA}" in shown.stdout
    trail = rumour_on_demo("audit", "log", "--table")
    assert f"(amends {SPORTSKEEDA})" in trail.stdout
    audited = rumour_on_demo("audit", "rumour", "Xabi Alonso -> Real Madrid", "--table")
    assert f"amends {SPORTSKEEDA}" in audited.stdout
    # The same amendment again adds nothing; the old claim cannot be amended twice.
    again = rumour_on_demo("amend", SPORTSKEEDA, "--date", "2023-09-24", "--reason", "a day early")
    assert again.exit_code == 0 and "already in the ledger" in again.stderr
    other = rumour_on_demo("amend", SPORTSKEEDA, "--date", "2023-09-23", "--reason", "two days")
    assert other.exit_code == 1 and "already retracted" in other.stderr


def test_amend_onto_another_rumour_and_its_refusals(rumour_on_demo, location):
    moved = rumour_on_demo(
        "amend", SPORTSKEEDA, "--to", "Liverpool", "--cites", "", "--reason", "wrong club", "--json"
    )
    assert moved.exit_code == 0, moved.output
    claim = json.loads(moved.stdout)["claim"]
    assert claim["rumour"]["label"] == "Xabi Alonso: Bayer Leverkusen -> Liverpool"
    assert claim["new_rumour"] is True and claim["cites"] is None
    assert "new rumour: Xabi Alonso: Bayer Leverkusen -> Liverpool" in moved.stderr
    before = digest(location)
    for args, message in [
        (["737ac580", "--reason", "no change"], "nothing to change"),
        (["737ac580", "--date", "2024-02-30", "--reason", "x"], "not a real calendar date"),
        (["737ac580", "--source", "", "--reason", "x"], "source: must not be empty"),
        (["ffffffff", "--date", "2024-10-01", "--reason", "x"], "no event with id"),
    ]:
        refused = rumour_on_demo("amend", *args)
        assert refused.exit_code == 1, args
        assert message in refused.stderr and "Traceback" not in refused.output
    assert digest(location) == before
