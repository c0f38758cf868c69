"""Commands that move whole ledgers in and out: import and export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import click

from rumour_ledger.cli.main import (
    DRY_RUN_NOTE,
    db_option,
    dry_run_option,
    json_option,
    known_at_option,
    open_ledger_for,
    open_rehearsal_for,
)
from rumour_ledger.cli.render import print_json

FORMATS = ("jsonl", "csv")


@click.command(name="import")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="jsonl: the interchange format; csv: the columns export --format csv writes "
    "(claims only). [default: csv for a FILE ending .csv, else jsonl]",
)
@click.option(
    "--progress",
    is_flag=True,
    help="Show each phase as it runs, even when standard error is not a terminal.",
)
@dry_run_option
@json_option
@db_option
@click.pass_context
def import_(
    ctx: click.Context,
    file: IO[bytes],
    fmt: str | None,
    progress: bool,
    dry_run: bool,
    as_json: bool,
    db: str | None,
) -> None:
    """Append every event of a JSON Lines FILE (or - for stdin), all or nothing.

    A FILE ending .csv (or --format csv) holds claims in the columns export --format csv
    writes. Importing the same file again adds nothing: it reports added and skipped counts.

    Example:

        rumour import examples/alonso-2024.jsonl
    """
    from datetime import UTC, datetime

    from rumour_ledger.cli.progress import Phases, wanted

    name = getattr(file, "name", None)
    name = name if isinstance(name, str) and name not in ("-", "<stdin>") else "<stdin>"
    fmt = fmt or ("csv" if name.lower().endswith(".csv") else "jsonl")
    phases = Phases() if wanted(progress) else None
    try:
        opened = open_rehearsal_for(ctx, db) if dry_run else open_ledger_for(ctx, db, create=True)
        with opened as ledger:
            now = datetime.now(UTC)
            # Retractions and aliases may name what is already in the ledger: the import asks
            # the read models as it checks the lines, so they are caught up first.
            _catch_up(ledger, phases, "before the import")
            entries = _entries(ledger, file, name, fmt, now)
            if phases is not None and (dry_run or not ledger.app.parses_before_locking()):
                # A dry run, and an import on a store that parses under the lock: lines are
                # read, checked and written a chunk at a time, so one phase counts them all.
                entries = phases.counted(
                    entries, "reading, checking and writing lines", then="committing the import"
                )
            elif phases is not None:
                # Every line is read, checked and encoded before the write lock is taken;
                # the import then names its next phase (writing, or checking again).
                entries = phases.counted(entries, "reading, checking and encoding lines")
            # streamed, line by line
            result = ledger.app.import_entries(
                entries,
                file=name,
                dry_run=dry_run,
                stage=None if phases is None else phases.stage,
                again=_again(ledger, file, name, fmt, now),
            )
            _catch_up(ledger, phases)
    finally:
        if phases is not None:
            phases.close()
    if as_json:
        counts = {"file": name, "added": result.added, "skipped": result.skipped}
        print_json({**counts, "dry_run": True} if dry_run else counts)
    else:
        click.echo(f"{name}: {result.added} added, {result.skipped} skipped")
    if dry_run:
        click.echo(DRY_RUN_NOTE, err=True)


def _entries(ledger, file: IO[bytes], name: str, fmt: str, now):  # type: ignore[no-untyped-def]
    if fmt == "csv":
        from rumour_ledger.ledger.claim_csv import read_csv_entries

        def held(claim_id):  # type: ignore[no-untyped-def]
            return bool(ledger.claim_holders([claim_id]))

        return read_csv_entries(file, name, today=ledger.app.today, now=now, held=held)
    from rumour_ledger.ledger.interchange import read_entries

    return read_entries(file, name, today=ledger.app.today, now=now)


def _again(ledger, file: IO[bytes], name: str, fmt: str, now):  # type: ignore[no-untyped-def]
    """A file's entries read again from its start, for an import whose checks went stale:
    cheaper than keeping every entry aside. None for a stream (stdin, a pipe)."""
    try:
        seekable = file.seekable()
    except (AttributeError, ValueError, OSError):
        seekable = False
    if not seekable:
        return None

    def again():  # type: ignore[no-untyped-def]
        file.seek(0)
        return _entries(ledger, file, name, fmt, now)

    return again


def _catch_up(ledger, phases, first: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Bring the read models up to date, each of their stages shown when phases are."""
    if phases is None:
        ledger.catch_up()
        return
    stage = phases.stage if first is None else (lambda name: phases.stage(f"{first}: {name}"))
    ledger.catch_up(progress=phases.count, stage=stage)


@click.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("jsonl", "csv")),
    default="jsonl",
    show_default=True,
    help="jsonl: every event, to move a ledger whole; csv: the claims as a flat table.",
)
@known_at_option
@db_option
@click.pass_context
def export(
    ctx: click.Context, file: Path | None, fmt: str, known_at: str | None, db: str | None
) -> None:
    """Write every claim, retraction, alias and recast as JSON Lines, in recorded order.

    Writes to FILE (replaced only once complete) or to standard output. With
    --format csv, writes the claims as a table for spreadsheets instead.

    Example:

        rumour export backup.jsonl
    """
    if file is not None and str(file) != "-":
        from rumour_ledger.projections.output import check_target

        check_target(file)  # before any work: a FIFO, device or link is refused untouched
    from rumour_ledger.projections.evidence import parse_moment

    with open_ledger_for(ctx, db) as ledger:
        moment = parse_moment(None, known_at, ledger.app.today)
        if fmt == "csv":
            roles = None if moment.known_at is None else ledger.app.roles_known_at(moment.known_at)
            with ledger.reading() as conn:
                _emit(file, _csv_lines(conn, moment.known_at, roles))
            return
        from rumour_ledger.ledger.interchange import dump_line

        entries = ledger.app.export_entries(known_at=moment.known_at)
        _emit(file, (dump_line(obj) + "\n" for obj in entries))


def _emit(file: Path | None, lines) -> None:  # type: ignore[no-untyped-def]
    if file is None or str(file) == "-":
        for line in lines:
            sys.stdout.write(line)
        return
    from rumour_ledger.projections.output import write_lines

    write_lines(file, lines)


def _csv_lines(conn, known_at, roles):  # type: ignore[no-untyped-def]
    from rumour_ledger.ledger.claim_csv import csv_lines
    from rumour_ledger.projections.views import claim_table

    return csv_lines(claim_table(conn, known_at, roles))
