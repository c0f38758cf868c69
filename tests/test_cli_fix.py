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
