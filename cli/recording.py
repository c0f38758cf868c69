"""Commands that append to the ledger: report, deny, confirm, collapse, retract, unretract,
amend, recast."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from rumour_ledger.cli.main import (
    DRY_RUN_NOTE,
    db_option,
    dry_run_option,
    open_ledger_for,
    open_rehearsal_for,
    stored_json_option,
)
from rumour_ledger.cli.render import print_json, safe

ROLES = ("player", "coach", "executive", "other")


def recorder_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--recorded-by",
        envvar="RUMOUR_USER",
        metavar="USER",
        help="Who records the entry. [env: RUMOUR_USER; default: your OS user]",
    )(func)


def claim_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("subject"),
        click.option("--to", "to", metavar="CLUB", help="Where the subject is said to go."),
        click.option("--from", "from_", metavar="CLUB", help="The club the subject leaves."),
        click.option(
            "--role",
            type=click.Choice(ROLES),
            default="player",
            show_default=True,
            help="What the subject is.",
        ),
        click.option("--source", required=True, metavar="NAME", help="Outlet or journalist."),
        click.option("--cites", metavar="NAME", help="The source this one relays, if any."),
        click.option(
            "--official",
            is_flag=True,
            help="On the record from a party to the move (subject, club, agent, ...).",
        ),
        click.option(
            "--date",
            "published",
            required=True,
            metavar="YYYY-MM-DD",
            help="The day the source published.",
        ),
        click.option("--claim", "text", metavar="TEXT", help="What was said, paraphrased."),
        click.option("--url", metavar="URL", help="Where it was published (http/https)."),
        recorder_option,
        dry_run_option,
        stored_json_option,
        db_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _record(
    ctx: click.Context, kind_name: str, as_json: bool = False, dry_run: bool = False, **values: Any
) -> None:
    from rumour_ledger.ledger.claims import Kind, make_claim, make_move

    db, recorded_by = values.pop("db"), values.pop("recorded_by")
    if dry_run:
        opened = open_rehearsal_for(ctx, db, recorded_by)
    else:
        opened = open_ledger_for(ctx, db, recorded_by, create=True)
    with opened as ledger:
        move = make_move(
            values.pop("subject"),
            values.pop("from_"),
            values.pop("to"),
            values.pop("role"),
        )
        # A first claim of an empty ledger has nothing to be a typo of, nor to join, and
        # recording should not wait for the read models for nothing.
        alone = not ledger.app.recorder.max_notification_id()
        if move.from_ is None and move.to is not None and not alone:
            from rumour_ledger.projections.joining import move_to_record

            with ledger.reading() as conn:
                move = move_to_record(conn, move)
        claim = make_claim(Kind(kind_name), move, today=ledger.app.today, **values)
        known = ledger.app.rumour(move.rumour_id) is not None
        recorded = (ledger.app.preview_record if dry_run else ledger.app.record)(claim)
        warnings = []
        if recorded.added and claim.official:  # every confirmation is official
            from rumour_ledger.projections.conflicts import recording_warnings

            with ledger.reading() as conn:
                warnings = recording_warnings(conn, claim, recorded.id)
        notice = None if known else _new_rumour_notice(ledger, move, alone)
        stored = as_json and _stored_claim(ledger, claim, recorded, known, warnings)
    if stored:
        print_json({**stored, "dry_run": True} if dry_run else stored)
    else:
        click.echo(str(recorded.id))
    if not recorded.added:
        click.echo("already in the ledger: nothing added", err=True)
    if dry_run:
        click.echo(DRY_RUN_NOTE, err=True)
    for warning in warnings:
        click.echo(safe(warning), err=True)
    if notice:
        click.echo(safe(notice), err=True)


def _new_rumour_notice(ledger: Any, move: Any, alone: bool = False) -> str:
    """One line saying a claim opened a rumour, with the stored ones it may be a typo of:
    a mistyped club would otherwise open a rumour of its own without a word."""
    close: list[str] = []
    if not alone:
        from rumour_ledger.projections.nearby import close_rumours

        with ledger.reading() as conn:
            close = close_rumours(conn, move)
    notice = f"new rumour: {move.label}"
    if close:
        notice += " (did you mean " + ", ".join(repr(label) for label in close) + "?)"
    return notice


def _stored_claim(ledger: Any, claim: Any, recorded: Any, known: bool, warnings: list[str]) -> Any:
    from rumour_ledger.cli.stored import stored_claim

    rumour = ledger.app.rumour(recorded.rumour_id)
    # A dry run's new rumour is not stored: its label is the move's own.
    label = claim.move.label if rumour is None else rumour.move.label
    return stored_claim(claim, recorded, label, new_rumour=not known, warnings=warnings)


@click.command()
@claim_options
@click.pass_context
def report(ctx: click.Context, **values: Any) -> None:
    """Record that a source reports a move as on or advancing.

    Prints the stored event's id.

    Example:

        rumour report "Xabi Alonso" --from "Bayer Leverkusen" --to "Real Madrid"
        --role coach --source Sport --date 2024-10-28
    """
    _record(ctx, "report", **values)


@click.command()
@claim_options
@click.pass_context
def deny(ctx: click.Context, **values: Any) -> None:
    """Record that a source says a move is not happening.

    Example:

        rumour deny "Xabi Alonso" --to "Real Madrid" --role coach
        --source "Xabi Alonso" --official --date 2024-03-29
    """
    _record(ctx, "denial", **values)


@click.command()
@claim_options
@click.pass_context
def confirm(ctx: click.Context, **values: Any) -> None:
    """Record an official announcement that a move happened.

    Example:

        rumour confirm "Xabi Alonso" --to "Real Madrid" --role coach
        --source "Real Madrid" --date 2025-05-25
    """
    _record(ctx, "confirmation", **values)


@click.command()
@claim_options
@click.pass_context
def collapse(ctx: click.Context, **values: Any) -> None:
    """Record that a move is off, on the record: it ends as not happened.

    Called off by a party, or the subject renewed or signed elsewhere. It ends the move
    for the likelihood, track records and score, as a confirmation ends it as happened;
    a later report reopens it, and `rumour retract` takes it back.

    Example:

        rumour collapse "Xabi Alonso" --from "Bayer Leverkusen" --to "Bayern Munich"
        --role coach --source "Bayer Leverkusen" --official --date 2024-03-29
    """
    _record(ctx, "collapse", **values)


@click.command()
@click.argument("event_id")
@click.option("--reason", required=True, metavar="TEXT", help="Why the entry was wrong.")
@click.option(
    "--date",
    "published",
    metavar="YYYY-MM-DD",
    help="Day of the retraction [default: today].",
)
@recorder_option
@dry_run_option
@stored_json_option
@db_option
@click.pass_context
def retract(
    ctx: click.Context,
    event_id: str,
    reason: str,
    published: str | None,
    recorded_by: str | None,
    dry_run: bool,
    as_json: bool,
    db: str | None,
) -> None:
    """Withdraw a wrong entry by its id (or a unique prefix of it).

    The original stays in the record and the audit trail, but stops counting.

    Example:

        rumour retract 6fd07a73 --reason "typed the wrong club"
    """
    from rumour_ledger.ledger.claims import make_retraction
    from rumour_ledger.projections.views import find_event_id

    with open_ledger_for(ctx, db, recorded_by) as ledger:
        with ledger.reading() as conn:
            full_id = find_event_id(conn, event_id)
        today = ledger.app.today
        local_today = ledger.app.clock().astimezone().date()
        retraction = make_retraction(full_id, reason, published or local_today, today)
        recorded = (ledger.app.preview_retract if dry_run else ledger.app.retract)(retraction)
        if as_json:
            from rumour_ledger.cli.stored import stored_retraction

            label = ledger.app.rumour(recorded.rumour_id).move.label
            stored = stored_retraction(retraction, recorded, label)
            print_json({**stored, "dry_run": True} if dry_run else stored)
        else:
            click.echo(str(recorded.id))
    if not recorded.added:
        click.echo("already in the ledger: nothing added", err=True)
    if dry_run:
        click.echo(DRY_RUN_NOTE, err=True)


@click.command()
@click.argument("retraction_id")
@click.option("--reason", required=True, metavar="TEXT", help="Why the retraction was wrong.")
@recorder_option
@dry_run_option
@stored_json_option
@db_option
@click.pass_context
def unretract(
    ctx: click.Context,
    retraction_id: str,
    reason: str,
    recorded_by: str | None,
    dry_run: bool,
    as_json: bool,
    db: str | None,
) -> None:
    """Undo a retraction by its id (or a unique prefix of it): its claim counts again.

    Recorded as an entry of its own (a restoration): the claim counts from now on, and as
    known at any earlier time it is still retracted; the retraction stays in the record.
    To withdraw the claim again, retract it again.

    Example:

        rumour unretract 3b9e0c41 --reason "retracted the wrong claim"
    """
    from rumour_ledger.ledger.claims import make_restoration
    from rumour_ledger.projections.views import find_event_id, retracted_claim

    with open_ledger_for(ctx, db, recorded_by) as ledger:
        with ledger.reading() as conn:
            full_id = find_event_id(conn, retraction_id)
            restored = retracted_claim(conn, full_id)
        restoration = make_restoration(full_id, reason)
        recorded = ledger.app.restore(restoration, dry_run=dry_run)
        if as_json:
            from rumour_ledger.cli.stored import stored_restoration

            label = ledger.app.rumour(recorded.rumour_id).move.label
            stored = stored_restoration(restoration, recorded, label, restored)
            print_json({**stored, "dry_run": True} if dry_run else stored)
        else:
            click.echo(str(recorded.id))
    if not recorded.added:
        click.echo("already in the ledger: nothing added", err=True)
    if dry_run:
        click.echo(DRY_RUN_NOTE, err=True)


@click.command()
@click.argument("claim_id")
@click.option("--reason", required=True, metavar="TEXT", help="Why the claim was wrong.")
@click.option("--from", "from_", metavar="CLUB", help="The club the subject leaves.")
@click.option("--to", "to", metavar="CLUB", help="Where the subject is said to go.")
@click.option("--role", type=click.Choice(ROLES), help="What the subject is.")
@click.option("--source", metavar="NAME", help="Outlet or journalist.")
@click.option("--cites", metavar="NAME", help="The source this one relays.")
@click.option(
    "--official/--not-official",
    default=None,
    help="On the record from a party to the move, or not.",
)
@click.option("--date", "published", metavar="YYYY-MM-DD", help="The day the source published.")
@click.option("--claim", "text", metavar="TEXT", help="What was said, paraphrased.")
@click.option("--url", metavar="URL", help="Where it was published (http/https).")
@recorder_option
@dry_run_option
@stored_json_option
@db_option
@click.pass_context
def amend(
    ctx: click.Context,
    claim_id: str,
    reason: str,
    recorded_by: str | None,
    dry_run: bool,
    as_json: bool,
    db: str | None,
    **changes: Any,
) -> None:
    """Correct a claim: retract it and record it as it should have been, linked.

    CLAIM_ID is a report, denial or confirmation, by its id or a unique prefix. Give only
    what changes; every other field is copied. An empty value ("") clears --from, --to,
    --cites, --claim or --url. The retraction and the corrected claim are stored together
    or not at all; the corrected claim records the id it amends (shown by `show` and
    `audit`, kept by `export` and `import`).

    Example:

        rumour amend 737ac580 --date 2024-10-27 --reason "typed the wrong day"
    """
    from rumour_ledger.cli.stored import stored_amendment, stored_retraction
    from rumour_ledger.projections.views import find_event_id

    names = {"from_": "from", "published": "date", "text": "claim"}
    wanted = {names.get(k, k): v for k, v in changes.items()}
    with open_ledger_for(ctx, db, recorded_by) as ledger:
        with ledger.reading() as conn:
            full_id = find_event_id(conn, claim_id)
        local_today = ledger.app.clock().astimezone().date()
        amendment = ledger.app.make_amendment(full_id, wanted, reason, local_today)
        claim = amendment.claim
        known = ledger.app.rumour(claim.move.rumour_id) is not None
        retracted, corrected = ledger.app.amend(amendment, dry_run=dry_run)
        warnings = []
        if corrected.added and claim.official and not dry_run:
            from rumour_ledger.projections.conflicts import recording_warnings

            with ledger.reading() as conn:
                warnings = recording_warnings(conn, claim, corrected.id)
        notice = None if known else _new_rumour_notice(ledger, claim.move)
        if as_json:
            old_label = ledger.app.rumour(retracted.rumour_id).move.label
            retraction = stored_retraction(amendment.retraction, retracted, old_label)
            stored = stored_amendment(
                retraction, _stored_claim(ledger, claim, corrected, known, warnings)
            )
    if as_json:
        print_json({**stored, "dry_run": True} if dry_run else stored)
    else:
        click.echo(str(corrected.id))
    if not corrected.added:
        click.echo("already in the ledger: nothing added", err=True)
    else:
        click.echo(f"amends {full_id.hex[:8]}, retracted: {safe(reason)}", err=True)
    if dry_run:
        click.echo(DRY_RUN_NOTE, err=True)
    for warning in warnings:
        click.echo(safe(warning), err=True)
    if notice:
        click.echo(safe(notice), err=True)


@click.command()
@click.argument("rumour")
@click.option(
    "--role",
    required=True,
    type=click.Choice(ROLES),
    help="The role the rumour should be shown with.",
)
@click.option("--reason", required=True, metavar="TEXT", help="Why the role shown is wrong.")
@recorder_option
@stored_json_option
@db_option
@click.pass_context
def recast(
    ctx: click.Context,
    rumour: str,
    role: str,
    reason: str,
    recorded_by: str | None,
    as_json: bool,
    db: str | None,
) -> None:
    """Correct the role a rumour is shown with (recorded as an event; no claim changes).

    RUMOUR is a short id or text, as for `rumour show`. Each claim keeps the role it was
    recorded with; the rumour is shown with the latest recast's role from now on.

    Example:

        rumour recast "Xabi Alonso -> Real Madrid" --role coach --reason "not a player"
    """
    from rumour_ledger.ledger.claims import make_recasting
    from rumour_ledger.projections.views import find_rumour

    # A recast names a rumour that must exist: no ledger at a mistyped path is made for it.
    with open_ledger_for(ctx, db, recorded_by) as ledger:
        with ledger.reading() as conn:
            ref = find_rumour(conn, rumour)
        recasting = make_recasting(ref.subject, ref.from_, ref.to, role, reason)
        added = ledger.app.recast(recasting)
    if as_json:
        from rumour_ledger.cli.stored import stored_recast

        print_json(stored_recast(recasting, ref.uuid, ref.label, added=added))
    if not added:
        click.echo(f"already {role}: nothing added", err=True)
        return
    if not as_json:
        click.echo(f"{safe(ref.label)}: now shown as {role}")


def _hiding(
    ctx: click.Context,
    rumour: str,
    hidden: bool,
    reason: str,
    recorded_by: str | None,
    dry_run: bool,
    as_json: bool,
    db: str | None,
) -> None:
    from rumour_ledger.ledger.claims import make_hiding
    from rumour_ledger.projections.views import find_rumour

    with open_ledger_for(ctx, db, recorded_by) as ledger:
        with ledger.reading() as conn:
            ref = find_rumour(conn, rumour)
        hiding = make_hiding(ref.subject, ref.from_, ref.to, hidden, reason)
        added = ledger.app.hide(hiding, dry_run=dry_run)
    word = "hidden" if hidden else "shown"
    if as_json:
        from rumour_ledger.cli.stored import stored_hiding

        stored = stored_hiding(hiding, ref.uuid, ref.label, added=added)
        print_json({**stored, "dry_run": True} if dry_run else stored)
    elif added:
        click.echo(f"{safe(ref.label)}: {word}")
    if not added:
        click.echo(f"already {word}: nothing added", err=True)
    if dry_run:
        click.echo(DRY_RUN_NOTE, err=True)


@click.command()
@click.argument("rumour")
@click.option(
    "--reason", required=True, metavar="TEXT", help="Why the rumour should not be listed."
)
@recorder_option
@dry_run_option
@stored_json_option
@db_option
@click.pass_context
def hide(ctx: click.Context, rumour: str, **values: Any) -> None:
    """Leave a rumour with no live claim out of the lists (recorded as an event).

    For a move opened by mistake (a typo): retract its claims, then hide it. It leaves
    `list` and "did you mean", and stays in the record: `show`, `audit`, `export`, and
    `--known-at` before the hide show it as it was. A claim recorded on it later shows it
    again; `rumour unhide` puts it back.

    Example:

        rumour hide "Declan Rice -> Arsneal" --reason "typo of Arsenal"
    """
    _hiding(ctx, rumour, True, **values)


@click.command()
@click.argument("rumour")
@click.option("--reason", required=True, metavar="TEXT", help="Why the rumour should be listed.")
@recorder_option
@dry_run_option
@stored_json_option
@db_option
@click.pass_context
def unhide(ctx: click.Context, rumour: str, **values: Any) -> None:
    """Put a hidden rumour back in the lists (recorded as an event).

    Example:

        rumour unhide "Declan Rice -> Arsneal" --reason "hidden by mistake"
    """
    _hiding(ctx, rumour, False, **values)
