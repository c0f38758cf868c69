"""Both clocks on every read command: a walk of the command tree, so a read command added
later without --known-at (or --as-of, where a published day makes sense) fails here."""

from __future__ import annotations

import json

import click
from click.testing import CliRunner

from rumour_ledger.cli.main import cli

# The commands that write, or that answer no question of the record: no clock applies.
WRITES = {
    "alias club",
    "alias person",
    "alias source",
    "amend",
    "collapse",
    "confirm",
    "deny",
    "hide",
    "import",
    "rebuild",
    "recast",
    "report",
    "retract",
    "unalias club",
    "unalias person",
    "unalias source",
    "unhide",
    "unretract",
}
NOT_READS = {
    "help": "prints help, reads no ledger",
    "serve": "the web app: every page it serves takes as_of and known_at itself",
    "digest": "a hash over every stored event: a ledger known at a time is `export --known-at`",
    "verify": "checks the seals of every stored event, whatever the clocks",
}
# Read commands that take --known-at but no --as-of, and why a published day makes no sense.
NO_AS_OF = {
    "aliases": "aliases have no published day, only a recording time",
    "audit log": "the trail is in recorded order; --since is its own lower bound",
    "export": "a backup of what was recorded by then; a published day would drop entries",
    "search": "--since/--until are its published days already",
    "stats": "how much the ledger holds; its first and last published days are in the answer",
    "timeline": "--since/--until (or --from/--to) are its published days already",
}


def commands(group: click.Group, path: tuple[str, ...] = ()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


def options(command: click.Command) -> set[str]:
    return {opt for param in command.params for opt in getattr(param, "opts", [])}


def test_every_read_command_offers_known_at_and_as_of_where_a_day_makes_sense():
    seen = set()
    for name, command in commands(cli):
        seen.add(name)
        if name in WRITES or name in NOT_READS:
            continue
        assert "--known-at" in options(command), name
        if name not in NO_AS_OF:
            assert "--as-of" in options(command), name
    # Every exception names a command that exists, so the lists cannot go stale.
    assert (WRITES | NOT_READS.keys() | NO_AS_OF.keys()) <= seen


def test_audit_log_known_at_leaves_out_what_was_recorded_later(location):
    runner = CliRunner()

    def run(*args):
        result = runner.invoke(cli, [*args, "--db", location])
        assert result.exit_code == 0, result.output
        return result

    move = ["Declan Rice", "--from", "West Ham", "--to", "Arsenal", "--source", "BBC"]
    claim = run("report", *move, "--date", "2023-06-01").stdout.strip()
    [entry] = json.loads(run("audit", "log", "--json").stdout)
    then = entry["recorded_at"]
    run("retract", claim[:8], "--reason", "wrong")
    assert len(json.loads(run("audit", "log", "--json").stdout)) == 2
    [known] = json.loads(run("audit", "log", "--known-at", then, "--json").stdout)
    assert known["id"] == claim and known["retracted"] is False
    refused = runner.invoke(cli, ["audit", "log", "--known-at", "soon", "--db", location])
    assert refused.exit_code == 1 and refused.stderr.startswith("Error: ")


def test_clubs_as_of_counts_only_claims_published_by_then(location):
    runner = CliRunner()
    for to, day in (("Arsenal", "2023-06-01"), ("Chelsea", "2023-07-01")):
        move = ["Declan Rice", "--from", "West Ham", "--to", to, "--source", "BBC"]
        assert runner.invoke(cli, ["report", *move, "--date", day, "--db", location]).exit_code == 0
    clubs = runner.invoke(cli, ["clubs", "--as-of", "2023-06-15", "--json", "--db", location])
    assert {row["name"] for row in json.loads(clubs.stdout)} == {"West Ham", "Arsenal"}
