"""The `rumour` command: parse the command line, call the ledger, render the answer."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Mapping
from gettext import gettext as _
from typing import Any, NamedTuple, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class LazyCommand(NamedTuple):
    """Where a command is defined, and the first paragraph of its help for `rumour --help`."""

    module: str
    attribute: str
    summary: str

    def load(self) -> click.Command:
        command = getattr(importlib.import_module(self.module), self.attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.module}.{self.attribute} is not a click command")
        return command


# Every command, loaded only when invoked: start-up imports no command module. The summaries
# must match the commands' own help; tests/test_cli_lazy.py checks that they do.
COMMANDS: dict[str, LazyCommand] = {
    "alias": LazyCommand(
        "rumour_ledger.cli.audit",
        "alias",
        "Declare that one name stands for another (recorded as an event).",
    ),
    "aliases": LazyCommand(
        "rumour_ledger.cli.audit",
        "aliases_",
        "The aliases in force: each name and the name it stands for.",
    ),
    "amend": LazyCommand(
        "rumour_ledger.cli.recording",
        "amend",
        "Correct a claim: retract it and record it as it should have been, linked.",
    ),
    "audit": LazyCommand(
        "rumour_ledger.cli.audit",
        "audit",
        "Who claimed what, how it turned out, and the raw trail of entries.",
    ),
    "board": LazyCommand(
        "rumour_ledger.cli.likelihood",
        "board_",
        "Every rumoured move with its likelihood, most likely first.",
    ),
    "clubs": LazyCommand(
        "rumour_ledger.cli.search",
        "clubs",
        "Every club the ledger names, with its rumours and claims, most spoken of first.",
    ),
    "collapse": LazyCommand(
        "rumour_ledger.cli.recording",
        "collapse",
        "Record that a move is off, on the record: it ends as not happened.",
    ),
    "confirm": LazyCommand(
        "rumour_ledger.cli.recording",
        "confirm",
        "Record an official announcement that a move happened.",
    ),
    "conflicts": LazyCommand(
        "rumour_ledger.cli.likelihood",
        "conflicts",
        "Subjects confirmed to two or more destinations at once, with the confirmations.",
    ),
    "deny": LazyCommand(
        "rumour_ledger.cli.recording", "deny", "Record that a source says a move is not happening."
    ),
    "digest": LazyCommand(
        "rumour_ledger.cli.trust",
        "digest",
        "Print the ledger digest: a hash over every stored event, in log order.",
    ),
    "export": LazyCommand(
        "rumour_ledger.cli.transfer",
        "export",
        "Write every claim, retraction, alias and recast as JSON Lines, in recorded order.",
    ),
    "help": LazyCommand(
        "rumour_ledger.cli.guide", "help_", "Show the help of rumour, or of one of its commands."
    ),
    "hide": LazyCommand(
        "rumour_ledger.cli.recording",
        "hide",
        "Leave a rumour with no live claim out of the lists (recorded as an event).",
    ),
    "import": LazyCommand(
        "rumour_ledger.cli.transfer",
        "import_",
        "Append every event of a JSON Lines FILE (or - for stdin), all or nothing.",
    ),
    "list": LazyCommand(
        "rumour_ledger.cli.reading",
        "list_",
        "Every rumour with its counts of reports, denials and confirmations.",
    ),
    "people": LazyCommand(
        "rumour_ledger.cli.search",
        "people",
        "Every person the ledger names, with its rumours and claims, most spoken of first.",
    ),
    "rebuild": LazyCommand(
        "rumour_ledger.cli.likelihood", "rebuild", "Rebuild every read model from the first event."
    ),
    "report": LazyCommand(
        "rumour_ledger.cli.recording",
        "report",
        "Record that a source reports a move as on or advancing.",
    ),
    "recast": LazyCommand(
        "rumour_ledger.cli.recording",
        "recast",
        "Correct the role a rumour is shown with (recorded as an event; no claim changes).",
    ),
    "retract": LazyCommand(
        "rumour_ledger.cli.recording",
        "retract",
        "Withdraw a wrong entry by its id (or a unique prefix of it).",
    ),
    "score": LazyCommand(
        "rumour_ledger.cli.score",
        "score",
        "Score the board's likelihoods on every rumour that resolved: Brier, log loss, AUC, "
        "a reliability table, and the same for the prior alone and for majority stance.",
    ),
    "search": LazyCommand(
        "rumour_ledger.cli.search",
        "search",
        "Find claims by words of the claim, source, club, person, type and published dates.",
    ),
    "serve": LazyCommand(
        "rumour_ledger.cli.serve",
        "serve",
        "Serve a read-only web view of the ledger: board, rumours, sources, audit log, JSON API.",
    ),
    "show": LazyCommand(
        "rumour_ledger.cli.reading", "show", "Every event of one rumour in published-date order."
    ),
    "sources": LazyCommand(
        "rumour_ledger.cli.audit",
        "sources",
        "The league table of sources: claims, track record and reliability.",
    ),
    "stats": LazyCommand(
        "rumour_ledger.cli.search",
        "stats",
        "How much the ledger holds: rumours, entries by type, sources, clubs, people, dates.",
    ),
    "timeline": LazyCommand(
        "rumour_ledger.cli.likelihood",
        "timeline",
        "The likelihood of one rumour day by day, with the claims that moved it.",
    ),
    "unalias": LazyCommand(
        "rumour_ledger.cli.audit",
        "unalias",
        "Make a name stand only for itself again (recorded as an event).",
    ),
    "unhide": LazyCommand(
        "rumour_ledger.cli.recording",
        "unhide",
        "Put a hidden rumour back in the lists (recorded as an event).",
    ),
    "unretract": LazyCommand(
        "rumour_ledger.cli.recording",
        "unretract",
        "Undo a retraction by its id (or a unique prefix of it): its claim counts again.",
    ),
    "verify": LazyCommand(
        "rumour_ledger.cli.trust",
        "verify",
        "Recompute every event's seal from the stored rows and check the append-only triggers.",
    ),
    "why": LazyCommand(
        "rumour_ledger.cli.likelihood",
        "why",
        "Explain one rumour's likelihood: the prior, then every counted piece of evidence.",
    ),
}


class RumourGroup(click.Group):
    """Loads each command's module only when that command runs, and turns the ledger's errors
    into one-line messages: no traceback reaches the user."""

    def __init__(
        self, *args: Any, lazy_commands: Mapping[str, LazyCommand] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.add_command(self.lazy_commands[cmd_name].load(), cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and self.get_command(ctx, args[0]) is None:
            # A mistyped name: click suggests close matches among the loaded commands only,
            # so load them all (only on this error path).
            for name in self.lazy_commands:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click.Group.format_commands, but from the declared summaries: no command is loaded.
        # A throwaway Command shortens each summary exactly as the real one shortens its help.
        rows = [
            (name, self._listed(name))
            for name in self.list_commands(ctx)
            if name in self.lazy_commands or not self.commands[name].hidden
        ]
        if not rows:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        with formatter.section(_("Commands")):
            formatter.write_dl(
                [(name, summary.get_short_help_str(limit)) for name, summary in rows]
            )

    def _listed(self, name: str) -> click.Command:
        if name in self.commands:
            return self.commands[name]
        return click.Command(name, help=self.lazy_commands[name].summary)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Bytes that are not UTF-8 reach Python as lone surrogates (PEP 383): refuse them
        # here, before any command sees them, rather than fail later on encoding.
        for number, arg in enumerate(args, 1):
            if any("\ud800" <= c <= "\udfff" for c in arg):
                shown = arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                raise click.ClickException(f"argument {number} ({shown!r}) is not valid UTF-8")
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        from rumour_ledger.ledger.errors import LedgerError

        try:
            return super().invoke(ctx)
        except LedgerError as error:
            raise click.ClickException(str(error)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            raise click.Abort() from None
        except BrokenPipeError:
            # The reader went away (rumour export | head): stop quietly, as Unix tools do.
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
            raise click.exceptions.Exit(0) from None
        except Exception as error:
            if os.environ.get("RUMOUR_DEBUG"):
                raise
            message = f"internal error: {type(error).__name__}: {error}"
            raise click.ClickException(
                message.splitlines()[0] + " (set RUMOUR_DEBUG=1 for details)"
            ) from None


def short_help(ctx: click.Context) -> str:
    """What `rumour` alone prints: the usage, what the tool is, its commands, where to go next."""
    group = ctx.command
    formatter = ctx.make_formatter()
    group.format_usage(ctx, formatter)
    formatter.write_paragraph()
    with formatter.indentation():
        formatter.write_text((group.help or "").split("\n\n")[0])
    group.format_commands(ctx, formatter)
    formatter.write_paragraph()
    formatter.write_text("Run 'rumour COMMAND --help' (or 'rumour help COMMAND') for its options.")
    return formatter.getvalue().rstrip("\n")


DB_HELP = (
    "Ledger database: a file path, sqlite:///FILE or postgresql+psycopg://USER@HOST/DB. "
    "[env: RUMOUR_DB; default: a SQLite file in your data directory]"
)


def db_option(func: F) -> F:
    """A command's own --db. It reads no environment variable: RUMOUR_DB is read once, by the
    group's --db, so a flag given before the command name still beats the environment."""
    return click.option("--db", "db", metavar="URL", help=DB_HELP)(func)


def known_at_option(func: F) -> F:
    """--known-at, the recording clock, for a command whose --as-of means something else
    (or that has none)."""
    return click.option(
        "--known-at",
        metavar="TIMESTAMP",
        help="As the ledger held it then: entries recorded later are left out, and "
        "retractions recorded later not yet applied (a bare date means the end of that "
        "day, UTC).",
    )(func)


def clock_options(func: F) -> F:
    """--as-of and --known-at, the two clocks, as the likelihood commands take them."""
    func = known_at_option(func)
    return click.option(
        "--as-of", metavar="DATE", help="Only entries published on or before DATE."
    )(func)


# How a read command prints its answer: chosen by one of these flags, defined once here.
# The command sees `as_json` true for every machine format and hands its answer to
# render.print_json, which writes the format chosen; --table forces the table for people.
OUTPUT = "rumour.output"
MACHINE_FORMATS = ("json", "nl", "csv", "tsv")
OUTPUT_FLAGS = {
    "json": "Print JSON: one document.",
    "nl": "Print newline-delimited JSON: an object a line.",
    "csv": "Print CSV: a header, then a row a line.",
    "tsv": "Print tab-separated values.",
    "table": "Print a table laid out for people, even into a pipe.",
}


def _output_chosen(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value:
        return
    chosen = ctx.meta.setdefault(OUTPUT, param.name)
    if chosen != param.name:
        raise click.UsageError(f"--{chosen} and --{param.name} cannot be used together", ctx)


def output_format() -> str | None:
    """The output flag given to the running command, if any."""
    ctx = click.get_current_context(silent=True)
    return None if ctx is None else ctx.meta.get(OUTPUT)


def json_option(func: F) -> F:
    """--json, --nl, --csv, --tsv and --table; the command receives `as_json`."""
    return _output_options(func, OUTPUT_FLAGS)


# A write command's answer is one object (what was stored), so it takes --json alone: a
# table or CSV of one nested object would say less than the plain line it prints.
WRITE_FLAGS = {"json": "Print what was stored as one JSON object (keys: docs/format.md)."}


def stored_json_option(func: F) -> F:
    """--json for the write commands; the command receives `as_json`."""
    return _output_options(func, WRITE_FLAGS)


def _output_options(func: F, flags: Mapping[str, str]) -> F:
    import functools

    @functools.wraps(func)
    def command(*args: Any, **kwargs: Any) -> Any:
        kwargs["as_json"] = output_format() in MACHINE_FORMATS
        return func(*args, **kwargs)

    for name, text in reversed(flags.items()):
        command = click.option(
            f"--{name}", is_flag=True, expose_value=False, callback=_output_chosen, help=text
        )(command)
    return command  # type: ignore[return-value]


class Fraction(click.FloatRange):
    """A number from 0 to 1; click's FloatRange lets NaN through, as NaN fails no comparison."""

    name = "fraction"

    def __init__(self) -> None:
        super().__init__(0, 1)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import math

        number = super().convert(value, param, ctx)
        if math.isnan(number):
            self.fail(f"{value!r} is not a number from 0 to 1", param, ctx)
        return number


def _chart_file(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    if value is not None and value.suffix.lower() not in (".png", ".svg"):
        raise click.BadParameter("the file must end in .png or .svg")
    if value is not None:
        _writable_target(value)
    return value


def _writable_target(path: Any) -> None:
    """Refuse a FILE that cannot be replaced safely before any work is done."""
    from rumour_ledger.ledger.errors import LedgerError
    from rumour_ledger.projections.output import check_target

    try:
        check_target(path)
    except LedgerError as error:
        raise click.ClickException(str(error)) from None


def plot_option(what: str) -> Callable[[F], F]:
    """--plot FILE.png|.svg, checked before any work is done."""
    from pathlib import Path

    return click.option(
        "--plot",
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="FILE.png|.svg",
        callback=_chart_file,
        help=f"Also draw {what} to a PNG or SVG file (needs matplotlib).",
    )


# `rumour` alone is a question, not a mistake: short help on stdout and exit 0, where click's
# own no_args_is_help prints the whole help and exits 2.
@click.group(
    cls=RumourGroup,
    context_settings=CONTEXT,
    lazy_commands=COMMANDS,
    invoke_without_command=True,
    no_args_is_help=False,
)
@click.version_option(None, "-V", "--version", package_name="rumour-ledger", prog_name="rumour")
@click.option("--db", "db", envvar="RUMOUR_DB", metavar="URL", help=DB_HELP)
@click.pass_context
def cli(ctx: click.Context, db: str | None) -> None:
    """An event-sourced ledger of rumoured moves.

    Every report, denial and confirmation is kept forever with its source and
    date; read commands rebuild what the record says from those events alone.

    Example:

        rumour import examples/alonso-2024.jsonl && rumour list
    """
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    if ctx.invoked_subcommand is None:
        click.echo(short_help(ctx))


def open_ledger_for(  # type: ignore[no-untyped-def]
    ctx: click.Context, db: str | None, recorded_by: str | None = None, *, create: bool = False
):
    """The ledger named by the command's --db, else the group's, else the default. Only the
    writing commands pass create: a read never makes a ledger where there was none."""
    from rumour_ledger.projections.bootstrap import open_ledger

    location = db or (ctx.find_root().obj or {}).get("db")
    return open_ledger(location, user=recorded_by, create=create)


def open_rehearsal_for(  # type: ignore[no-untyped-def]
    ctx: click.Context, db: str | None, recorded_by: str | None = None
):
    """For --dry-run: the ledger named as open_ledger_for names it, or an empty stand-in
    where there is none, so that a dry run creates nothing anywhere."""
    from rumour_ledger.projections.bootstrap import rehearsal_ledger

    location = db or (ctx.find_root().obj or {}).get("db")
    return rehearsal_ledger(location, user=recorded_by)


def dry_run_option(func: F) -> F:
    """--dry-run for the write commands; the command receives `dry_run`."""
    return click.option(
        "--dry-run",
        is_flag=True,
        help="Check everything and print what would be stored, but store nothing "
        "(and create no ledger).",
    )(func)


DRY_RUN_NOTE = "dry run: nothing stored"


def main() -> None:
    from rumour_ledger.projections import workers_allowed

    workers_allowed.allow()
    cli(prog_name="rumour")
