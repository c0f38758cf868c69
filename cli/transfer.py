"""Commands that move whole ledgers in and out: import and export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import click

from rumour_ledger.cli.main import db_option, json_option, open_ledger_for
from rumour_ledger.cli.render import print_json

PROGRESS_THRESHOLD = 5_000


@click.command(name="import")
@click.argument("file", type=click.File("rb"))
@json_option
@db_option
@click.pass_context
def import_(ctx: click.Context, file: IO[bytes], as_json: bool, db: str | None) -> None:
    """Append every event of a JSON Lines FILE (or - for stdin), all or nothing.

    Importing the same file again adds nothing: it reports added and skipped counts.

    Example:

        rumour import examples/alonso-2024.jsonl
    """
    from datetime import UTC, datetime

    from rumour_ledger.ledger.interchange import read_entries

    name = getattr(file, "name", None)
    name = name if isinstance(name, str) and name not in ("-", "<stdin>") else "<stdin>"
    with open_ledger_for(ctx, db, create=True) as ledger:
        now = datetime.now(UTC)
        # Retractions and aliases may name what is already in the ledger: the import asks
        # the read models while it holds the write lock, so they are caught up first.
        ledger.catch_up()
        entries = read_entries(file, name, today=ledger.app.today, now=now)
        result = ledger.app.import_entries(entries, file=name)  # streamed, line by line
        show_progress = sys.stdout.isatty() and result.added >= PROGRESS_THRESHOLD
        _catch_up(ledger, show_progress)
    if as_json:
        print_json({"file": name, "added": result.added, "skipped": result.skipped})
    else:
        click.echo(f"{name}: {result.added} added, {result.skipped} skipped")


def _catch_up(ledger, show_progress: bool) -> None:  # type: ignore[no-untyped-def]
    if not show_progress:
        ledger.catch_up()
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("updating read models", total=None)
        ledger.catch_up(progress=lambda done, total: bar.update(task, completed=done, total=total))


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
@db_option
@click.pass_context
def export(ctx: click.Context, file: Path | None, fmt: str, db: str | None) -> None:
    """Write every claim, retraction, alias and recast as JSON Lines, in recorded order.

    Writes to FILE (replaced only once complete) or to standard output. With
    --format csv, writes the claims as a table for spreadsheets instead.

    Example:

        rumour export backup.jsonl
    """
    if file is not None and str(file) != "-":
        from rumour_ledger.projections.output import check_target

        check_target(file)  # before any work: a FIFO, device or link is refused untouched
    with open_ledger_for(ctx, db) as ledger:
        if fmt == "csv":
            with ledger.reading() as conn:
                _emit(file, _csv_lines(conn))
            return
        from rumour_ledger.ledger.interchange import dump_line

        _emit(file, (dump_line(obj) + "\n" for obj in ledger.app.export_entries()))


def _emit(file: Path | None, lines) -> None:  # type: ignore[no-untyped-def]
    if file is None or str(file) == "-":
        for line in lines:
            sys.stdout.write(line)
        return
    from rumour_ledger.projections.output import write_lines

    write_lines(file, lines)


def _csv_lines(conn):  # type: ignore[no-untyped-def]
    import csv
    import io

    from rumour_ledger.projections.views import CSV_COLUMNS, claim_table

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    yield buffer.getvalue()
    for row in claim_table(conn):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()
