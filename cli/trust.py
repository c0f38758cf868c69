"""Commands that prove a ledger was not edited: digest and verify."""

from __future__ import annotations

from typing import Any

import click

from rumour_ledger.cli.main import db_option, json_option
from rumour_ledger.cli.render import print_json, safe, short


def _store(ctx: click.Context, db: str | None) -> Any:
    from rumour_ledger.ledger.store import open_store

    return open_store(db or (ctx.find_root().obj or {}).get("db"))


@click.command()
@json_option
@db_option
@click.pass_context
def digest(ctx: click.Context, as_json: bool, db: str | None) -> None:
    """Print the ledger digest: a hash over every stored event, in log order.

    Keep it somewhere else; `rumour verify --digest VALUE` later tells whether events
    were removed, altered or added since. Reads only: nothing is written.

    Example:

        rumour digest > ledger-digest-2025-06-01.txt
    """
    from rumour_ledger.ledger.integrity import digest_store

    value, streams = digest_store(_store(ctx, db))
    if as_json:
        events = int(value.split(":")[1])
        print_json({"digest": value, "events": events, "streams": streams})
    else:
        click.echo(value)


@click.command()
@click.option(
    "--digest",
    "since",
    metavar="VALUE",
    help="A digest printed earlier by `rumour digest`: also check nothing was removed, "
    "altered or added since.",
)
@json_option
@db_option
@click.pass_context
def verify(ctx: click.Context, since: str | None, as_json: bool, db: str | None) -> None:
    """Recompute every event's seal from the stored rows and check the append-only triggers.

    Says how many events it checked; exits 1 naming each damaged event (stream, version,
    reason) when any stored byte no longer matches. Reads only: nothing is written.

    Example:

        rumour verify --digest "$(cat ledger-digest-2025-06-01.txt)"
    """
    from rumour_ledger.ledger.errors import LedgerError
    from rumour_ledger.ledger.integrity import verify_store

    report = verify_store(_store(ctx, db), since=since)
    if as_json:
        print_json(report.to_dict())
    else:
        for damage in report.damaged:
            where = f"{damage.kind} {short(damage.stream)}"
            if damage.label:
                where += f" ({damage.label})"
            version = "" if damage.version is None else f" version {damage.version}"
            reason = damage.reason.replace("-", " ")
            click.echo(safe(f"damaged: {where}{version}: {reason}: {damage.detail}"))
        for problem in report.guard_problems:
            click.echo(safe(f"append-only: {problem}"))
        if report.since is not None:
            click.echo(report.since.message())
        if report.ok:
            click.echo(
                f"verified {report.events} events in {report.streams} streams: every seal and "
                "link intact, append-only triggers in place"
            )
            click.echo(f"digest {report.digest}")
    if not report.ok:
        raise LedgerError(_failure(report))


def _failure(report: Any) -> str:
    parts = []
    if report.damaged:
        missing = sum(1 for d in report.damaged if d.reason == "missing")
        damaged = len(report.damaged) - missing
        counts = [f"{damaged} damaged" if damaged else "", f"{missing} missing" if missing else ""]
        events = "event" if len(report.damaged) == 1 else "events"
        counted = " and ".join(c for c in counts if c)
        parts.append(f"{counted} {events} (of {report.events} stored)")
    if report.guard_problems:
        parts.append("the append-only triggers are not all in place")
    if report.since is not None and not report.since.unchanged:
        parts.append(report.since.message())
    return "verification failed: " + "; ".join(parts)
