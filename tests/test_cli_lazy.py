"""The lazy command group: the declared listing matches the real commands, and start-up and
recording load only what they use."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from dataclasses import dataclass

import click
import pytest

from rumour_ledger import cli as cli_package
from rumour_ledger.cli.main import COMMANDS, CONTEXT, RumourGroup

# What a process may import for `rumour --help`: none of the command modules, nothing heavy.
COMMAND_MODULES = sorted({entry.module for entry in COMMANDS.values()})
HEAVY = ("eventsourcing", "sqlalchemy", "psycopg", "rich")
# The web desk's stack, loaded only when `rumour serve` runs.
WEB = ("starlette", "uvicorn", "jinja2", "rumour_ledger.cli.web.app")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_declared_command_is_the_real_one_with_the_same_short_help(name):
    entry = COMMANDS[name]
    command = entry.load()
    assert command.name == name
    assert command.help is not None
    first_paragraph = " ".join(command.help.partition("\n\n")[0].split())
    assert entry.summary == first_paragraph
    declared = click.Command(name, help=entry.summary)
    for limit in range(0, 160):
        assert declared.get_short_help_str(limit) == command.get_short_help_str(limit), limit


def _top_level_commands() -> dict[str, tuple[str, str]]:
    """Every command the cli modules define that is no other command's subcommand:
    its name -> (module, attribute)."""
    defined: list[tuple[str, str, click.Command]] = []
    for info in pkgutil.iter_modules(cli_package.__path__):
        module = importlib.import_module(f"rumour_ledger.cli.{info.name}")
        for attribute, value in vars(module).items():
            callback = getattr(value, "callback", None)
            # Defined here, not imported from another module; not the root group, which
            # holds every command it has run as a subcommand.
            if (
                isinstance(value, click.Command)
                and not isinstance(value, RumourGroup)
                and getattr(callback, "__module__", None) == module.__name__
            ):
                defined.append((module.__name__, attribute, value))
    nested = {
        id(sub)
        for _, _, command in defined
        if isinstance(command, click.Group)
        for sub in command.commands.values()
    }
    return {
        str(command.name): (module, attribute)
        for module, attribute, command in defined
        if id(command) not in nested
    }


def test_every_command_the_modules_define_is_declared_where_it_lives():
    declared = {name: (entry.module, entry.attribute) for name, entry in COMMANDS.items()}
    assert _top_level_commands() == declared


@pytest.mark.parametrize("width", [30, 50, 80, 100, 200])
def test_the_lazy_listing_is_what_click_lists_for_the_loaded_commands(width):
    lazy = RumourGroup(name="rumour", context_settings=CONTEXT, lazy_commands=COMMANDS)
    eager = click.Group(
        name="rumour",
        context_settings=CONTEXT,
        commands={name: entry.load() for name, entry in COMMANDS.items()},
    )
    listings = []
    for group in (lazy, eager):
        formatter = click.HelpFormatter(width=width)
        group.format_commands(click.Context(group), formatter)
        listings.append(formatter.getvalue())
    assert "Commands:" in listings[0]
    assert listings[0] == listings[1]
    assert not lazy.commands  # the listing loaded nothing


@dataclass(frozen=True)
class Run:
    """One `rumour` run in a fresh interpreter, and the watched modules it imported."""

    out: str
    err: str
    loaded: list[str]
    code: int


def rumour(*args: str) -> Run:
    watched = [*COMMAND_MODULES, *HEAVY, *WEB]
    code = (
        "import json, sys\n"
        "from rumour_ledger.cli.main import cli\n"
        "try:\n"
        f"    cli({list(args)!r}, prog_name='rumour')\n"
        "except SystemExit as stop:\n"
        "    code = stop.code or 0\n"
        "else:\n"
        "    code = 0\n"
        f"loaded = [m for m in {watched!r} if m in sys.modules]\n"
        "print(json.dumps({'loaded': loaded, 'code': code}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    *shown, last = done.stdout.splitlines()
    result = json.loads(last)
    return Run("\n".join(shown), done.stderr, result["loaded"], result["code"])


def test_help_loads_no_command_module_and_lists_every_command():
    run = rumour("--help")
    assert run.code == 0
    assert run.loaded == []
    for name in COMMANDS:
        assert f"\n  {name} " in run.out, name


def test_a_command_loads_only_its_own_module_and_its_help_is_its_own():
    run = rumour("show", "--help")
    assert run.code == 0
    assert run.loaded == ["rumour_ledger.cli.reading"]
    assert "Usage: rumour show [OPTIONS] RUMOUR" in run.out


def test_the_help_of_serve_loads_no_web_stack():
    run = rumour("serve", "--help")
    assert run.code == 0
    assert not set(run.loaded) & {*HEAVY, *WEB}
    assert "Usage: rumour serve [OPTIONS]" in run.out


def test_a_mistyped_command_is_refused_with_a_suggestion():
    run = rumour("lsit")
    assert run.code == 2
    assert "No such command 'lsit'. Did you mean 'list'?" in run.err


REPORT = ["Xabi Alonso", "--to", "Real Madrid", "--role", "coach", "--source", "Sport"]


def test_recording_a_claim_leaves_the_read_models_alone_and_reading_catches_up(location):
    first = rumour("--db", location, "report", *REPORT, "--date", "2024-10-28")
    assert first.code == 0, first.err
    assert "sqlalchemy" not in first.loaded
    assert "rumour_ledger.cli.recording" in first.loaded
    again = rumour("--db", location, "report", *REPORT, "--date", "2024-10-28")
    assert (again.code, again.out) == (0, first.out)  # the same claim, stored once
    assert "already in the ledger" in again.err
    listed = rumour("--db", location, "list", "--json")
    assert "sqlalchemy" in listed.loaded
    [row] = json.loads(listed.out)
    assert row["reports"] == 1
    # A retraction finds its claim in the claims read model, which must catch up first.
    denial = rumour("--db", location, "deny", *REPORT, "--date", "2024-11-02")
    assert denial.code == 0, denial.err
    retracted = rumour("--db", location, "retract", denial.out.strip(), "--reason", "wrong day")
    assert retracted.code == 0, retracted.err
    [row] = json.loads(rumour("--db", location, "list", "--json").out)
    assert (row["reports"], row["denials"]) == (1, 0)
