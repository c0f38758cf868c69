"""Output options, defined once: every read command prints JSON, JSON lines, CSV, TSV or a
table, and each machine format carries the same answer."""

from __future__ import annotations

import csv
import io
import json

import click
import pytest
from click.testing import CliRunner

from rumour_ledger.cli.main import OUTPUT_FLAGS, cli

REAL = "Xabi Alonso -> Real Madrid"


def commands_with_json() -> list[tuple[str, ...]]:
    found = []

    def walk(group: click.Group, path: tuple[str, ...]) -> None:
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if isinstance(command, click.Group):
                walk(command, (*path, name))
            elif any(o.name == "json" for o in command.params):
                found.append((*path, name))

    walk(cli, ())
    return found


# The write commands print one stored object, so they take --json alone (cli/main.py,
# WRITE_FLAGS); every other command that speaks JSON is a read and takes every format.
WRITES = {
    ("report",),
    ("deny",),
    ("confirm",),
    ("collapse",),
    ("retract",),
    ("unretract",),
    ("amend",),
    ("hide",),
    ("unhide",),
    ("recast",),
    ("rebuild",),
    ("alias", "club"),
    ("alias", "person"),
    ("alias", "source"),
    ("unalias", "club"),
    ("unalias", "person"),
    ("unalias", "source"),
}


def test_every_command_that_speaks_json_takes_every_output_flag():
    listed = commands_with_json()
    assert ("board",) in listed and ("audit", "log") in listed and len(listed) >= 15
    ctx = click.Context(cli)
    for path in listed:
        command = cli
        for name in path:
            command = command.get_command(ctx, name)
        names = {o.name for o in command.params}
        if path in WRITES:
            assert names & set(OUTPUT_FLAGS) == {"json"}, path
        else:
            assert set(OUTPUT_FLAGS) <= names, path


def test_every_write_command_prints_what_it_stored_as_json():
    assert set(commands_with_json()) >= WRITES


def as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@pytest.mark.parametrize(
    "args",
    [("board", "--as-of", "2024-12-31"), ("list",), ("show", REAL), ("audit", "log")],
)
def test_json_lines_csv_and_tsv_carry_the_json_answer(rumour_on_demo, args):
    document = json.loads(rumour_on_demo(*args, "--json").stdout)
    rows = document["events"] if isinstance(document, dict) else document
    lines = rumour_on_demo(*args, "--nl").stdout.splitlines()
    assert [json.loads(line) for line in lines] == rows
    for flag, delimiter in (("--csv", ","), ("--tsv", "\t")):
        shown = rumour_on_demo(*args, flag)
        assert shown.exit_code == 0, shown.output
        table = list(csv.DictReader(io.StringIO(shown.stdout), delimiter=delimiter))
        assert table == [{k: as_text(v) for k, v in row.items()} for row in rows]


def test_one_output_flag_at_a_time_and_nested_answers_ask_for_json(rumour_on_demo):
    both = rumour_on_demo("board", "--json", "--csv")
    assert both.exit_code == 2 and "--json and --csv cannot be used together" in both.stderr
    nested = rumour_on_demo("audit", "source", "Sport", "--csv")
    assert nested.exit_code == 2 and "print it with --json" in nested.stderr
    stats = rumour_on_demo("stats", "--csv").stdout.splitlines()
    assert stats[0].startswith("rumours,entries,") and len(stats) == 2


def test_table_forces_the_layout_for_people_into_a_pipe(rumour_on_demo, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    piped = rumour_on_demo("board", "--as-of", "2024-12-31").stdout.splitlines()
    table = rumour_on_demo("board", "--as-of", "2024-12-31", "--table").stdout.splitlines()
    assert len(table) > len(piped)  # labels fold to fit 100 columns
    assert all(len(line) <= 100 for line in table)


def test_the_flags_are_in_every_help(rumour_on_demo):
    shown = CliRunner().invoke(cli, ["why", "--help"]).stdout
    for flag in OUTPUT_FLAGS:
        assert f"--{flag}" in shown
