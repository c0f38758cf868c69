"""Commands that audit the record: audit source/rumour/log, sources, and aliases."""

from __future__ import annotations

from typing import Any

import click

from rumour_ledger.cli.likelihood import config_option
from rumour_ledger.cli.main import (
    db_option,
    json_option,
    known_at_option,
    open_ledger_for,
    stored_json_option,
)
from rumour_ledger.cli.recording import recorder_option
from rumour_ledger.cli.render import print_json, print_table, safe, short

KINDS = ("source", "club", "person")


@click.group()
def audit() -> None:
    """Who claimed what, how it turned out, and the raw trail of entries.

    Example:

        rumour audit source Sport
    """


def _as_of_option(func: Any) -> Any:
    """--as-of and --known-at: the record as it stood on a day, as the ledger held it then."""
    func = click.option(
        "--known-at",
        metavar="TIMESTAMP",
        help="As the ledger held it then: entries recorded later are left out (a bare "
        "date means the end of that day, UTC).",
    )(func)
    return click.option(
        "--as-of",
        metavar="DATE",
        help="Use only claims published, and outcomes known, by DATE. [default: today]",
    )(func)


@audit.command(name="source")
@click.argument("name")
@_as_of_option
@config_option
@json_option
@db_option
@click.pass_context
def audit_source(
    ctx: click.Context,
    name: str,
    as_of: str | None,
    known_at: str | None,
    config: str | None,
    as_json: bool,
    db: str | None,
) -> None:
    """Every claim by a source, the relays of it by others, and its track record.

    Example:

        rumour audit source Sport --as-of 2025-06-30
    """
    from rumour_ledger.projections.audit import source_audit
    from rumour_ledger.projections.config import load_settings
    from rumour_ledger.projections.evidence import parse_moment

    settings = load_settings(config)
    with open_ledger_for(ctx, db) as ledger, ledger.reading() as conn:
        moment = parse_moment(as_of, known_at, ledger.app.clock().astimezone().date())
        result = source_audit(conn, name, moment, settings)
    if as_json:
        print_json(result)
        return
    _claims_table(f"claims by {result['source']}", result["claims"])
    if result["relayed_by_others"]:
        _claims_table(f"relays of {result['source']} by other outlets", result["relayed_by_others"])
    _record_lines(result["track_record"])


def _claims_table(title: str, entries: list[dict[str, Any]]) -> None:
    rows = []
    for e in entries:
        kind = e["type"] + (" [retracted]" if e["retracted"] else "")
        source = e["source"] + (f" (citing {e['cites']})" if e["cites"] else "")
        rows.append(
            [
                e["date"],
                kind,
                e["rumour"],
                source,
                e["claim"] or "",
                e["outcome"],
                short(e["id"]),
                e["recorded_at"][:16].replace("T", " "),
                e["recorded_by"],
            ]
        )
    print_table(
        ["DATE", "TYPE", "RUMOUR", "SOURCE", "CLAIM", "OUTCOME", "ID", "RECORDED AT", "BY"],
        rows,
        title=title,
        wrap=("RUMOUR", "CLAIM", "SOURCE"),
    )


def _record_lines(record: dict[str, Any]) -> None:
    hit = "-" if record["hit_rate"] is None else f"{record['hit_rate']:.0%}"
    brier = "-" if record["brier"] is None else f"{record['brier']:.3f}"
    click.echo(
        safe(
            f"track record: {record['scored']} scored on resolved rumours, {record['right']} "
            f"right, {record['wrong']} wrong, hit rate {hit}, Brier {brier}; reliability "
            f"{record['reliability']:.0%} (prior {record['prior_reliability']:.0%})"
            + ("" if record["enough_data"] else "; not enough data to judge")
        )
    )
    if record["relayed_scored"]:
        click.echo(
            f"as a relay: {record['relayed_scored']} scored, {record['relayed_right']} right, "
            f"{record['relayed_wrong']} wrong"
        )


@audit.command(name="rumour")
@click.argument("rumour")
@_as_of_option
@config_option
@json_option
@db_option
@click.pass_context
def audit_rumour(
    ctx: click.Context,
    rumour: str,
    as_of: str | None,
    known_at: str | None,
    config: str | None,
    as_json: bool,
    db: str | None,
) -> None:
    """Who said what about one move, by originating source, and who turned out right.

    Example:

        rumour audit rumour "Xabi Alonso -> Real Madrid"
    """
    from rumour_ledger.projections.audit import rumour_audit
    from rumour_ledger.projections.config import load_settings
    from rumour_ledger.projections.evidence import parse_moment
    from rumour_ledger.projections.views import find_rumour

    settings = load_settings(config)
    with open_ledger_for(ctx, db) as ledger, ledger.reading() as conn:
        ref = find_rumour(conn, rumour)
        moment = parse_moment(as_of, known_at, ledger.app.clock().astimezone().date())
        result = rumour_audit(conn, ref, moment, settings)
    if as_json:
        print_json(result)
        return
    outcome = result["outcome"] + (
        f" on {result['resolved_on']} ({result['resolved_by']})" if result["resolved_on"] else ""
    )
    click.echo(safe(f"{ref.label} ({ref.role}): {outcome}"))
    rows = []
    for group in result["origins"]:
        verdict = {True: "right", False: "wrong", None: ""}[group["turned_out_right"]]
        for e in group["claims"] + group["relays"]:
            marks = [
                m
                for m, on in (
                    ("first to report", e["first_to_report"]),
                    ("last to deny", e["last_to_deny"]),
                    ("retracted", e["retracted"]),
                )
                if on
            ]
            if e["amends"]:
                marks.append(f"amends {short(e['amends'])}")
            who = e["source"] if e in group["claims"] else f"  relayed by {e['source']}"
            rows.append(
                [
                    group["origin"],
                    who,
                    e["date"],
                    e["type"],
                    ", ".join(marks),
                    verdict if e in group["claims"] else "",
                    e["claim"] or "",
                ]
            )
    print_table(
        ["ORIGIN", "SOURCE", "DATE", "STANCE", "MARKS", "TURNED OUT", "CLAIM"],
        rows,
        wrap=("CLAIM", "ORIGIN", "SOURCE"),
    )


@audit.command(name="log")
@click.option("--since", metavar="TIMESTAMP", help="Only entries recorded at or after this.")
@click.option("--recorded-by", metavar="USER", help="Only entries recorded by this user.")
@known_at_option
@json_option
@db_option
@click.pass_context
def audit_log(
    ctx: click.Context,
    since: str | None,
    recorded_by: str | None,
    known_at: str | None,
    as_json: bool,
    db: str | None,
) -> None:
    """The raw trail of entries in recorded order: who recorded what, and when.

    --json prints one JSON array; --nl one JSON object a line (JSON Lines).

    Example:

        rumour audit log --since 2025-01-01 --recorded-by desk --nl
    """
    from rumour_ledger.projections.answers import recorded_since
    from rumour_ledger.projections.audit import audit_log as trail
    from rumour_ledger.projections.evidence import parse_moment

    with open_ledger_for(ctx, db) as ledger, ledger.reading() as conn:
        then = parse_moment(None, known_at, ledger.app.today).known_at
        entries = trail(conn, recorded_since(since, ledger.app.today), recorded_by, then)
    if as_json:
        print_json(entries)
        return
    rows = []
    for e in entries:
        if e["type"] in ("alias", "unalias"):
            what = f"{e['kind']} {e['name']!r}" + (
                f" = {e['canonical']!r}" if e["type"] == "alias" else ""
            )
        elif e["type"] == "retraction":
            what = f"retracts {short(e['retracts'])}: {e['reason']}"
        elif e["type"] in ("hide", "unhide"):
            what = f"{e['rumour']}: {e['reason']}"
        elif e["type"] == "restoration":
            what = f"undoes {short(e['restores'])}: {e['reason']}"
        else:
            what = f"{e['rumour']} / {e['source']}"
        if e.get("amends"):
            what += f" (amends {short(e['amends'])})"
        rows.append(
            [
                e["recorded_at"][:19].replace("T", " "),
                e["recorded_by"],
                e["type"],
                what,
                short(e["id"]),
            ]
        )
    print_table(["RECORDED AT", "BY", "TYPE", "WHAT", "ID"], rows, wrap=("WHAT",))


@click.command()
@click.option("--as-of", metavar="DATE", help="Records as known on DATE. [default: today]")
@click.option(
    "--known-at",
    metavar="TIMESTAMP",
    help="As the ledger held it then: entries recorded later are left out.",
)
@click.option(
    "--sort",
    type=click.Choice(("reliability", "claims", "brier")),
    default="reliability",
    show_default=True,
)
@click.option(
    "--similar",
    is_flag=True,
    help="Instead, pairs of sources that may be one outlet under two names, with the "
    "alias that would join their records.",
)
@config_option
@json_option
@db_option
@click.pass_context
def sources(
    ctx: click.Context,
    as_of: str | None,
    known_at: str | None,
    sort: str,
    similar: bool,
    config: str | None,
    as_json: bool,
    db: str | None,
) -> None:
    """The league table of sources: claims, track record and reliability.

    Example:

        rumour sources --sort brier
    """
    from rumour_ledger.projections.audit import league
    from rumour_ledger.projections.config import load_settings
    from rumour_ledger.projections.evidence import parse_moment

    if similar:
        _similar_sources(ctx, db, as_json)
        return
    settings = load_settings(config)
    with open_ledger_for(ctx, db) as ledger, ledger.reading() as conn:
        moment = parse_moment(as_of, known_at, ledger.app.clock().astimezone().date())
        table = league(conn, moment, settings, sort)
    if as_json:
        print_json(table)
        return
    rows = []
    for r in table:
        hit = "-" if r["hit_rate"] is None else f"{r['hit_rate']:.0%}"
        brier = "-" if r["brier"] is None else f"{r['brier']:.3f}"
        note = "" if r["enough_data"] else "not enough data"
        rows.append(
            [
                r["source"],
                r["claims"],
                r["relayed_by_others"],
                r["scored"],
                r["right"],
                r["wrong"],
                hit,
                brier,
                f"{r['reliability']:.0%}",
                note,
            ]
        )
    print_table(
        [
            "SOURCE",
            "CLAIMS",
            "RELAYED BY OTHERS",
            "SCORED",
            "RIGHT",
            "WRONG",
            "HIT RATE",
            "BRIER",
            "RELIABILITY",
            "",
        ],
        rows,
        title=f"as of {moment.as_of.isoformat()}",
        wrap=("SOURCE",),
    )


def _similar_sources(ctx: click.Context, db: str | None, as_json: bool) -> None:
    from rumour_ledger.projections.similar import similar_sources

    with open_ledger_for(ctx, db) as ledger, ledger.reading() as conn:
        pairs = similar_sources(conn)
    if as_json:
        print_json(pairs)
        return
    print_table(
        ["SOURCE", "CLAIMS", "MAY BE THE SAME AS", "CLAIMS", "LIKENESS", "TO JOIN THEM"],
        [
            [p["source"], p["claims"], p["similar"], p["similar_claims"], p["likeness"], p["alias"]]
            for p in pairs
        ],
        wrap=("SOURCE", "MAY BE THE SAME AS", "TO JOIN THEM"),
    )


@click.group()
def alias() -> None:
    """Declare that one name stands for another (recorded as an event).

    Example:

        rumour alias source "Diario Sport" "Sport"
    """


@click.group()
def unalias() -> None:
    """Make a name stand only for itself again (recorded as an event).

    Example:

        rumour unalias source "Diario Sport"
    """


def _alias_command(kind: str) -> None:
    @alias.command(
        name=kind,
        help=f"Make NAME stand for CANONICAL, a {kind} name.\n\n"
        f"Example:\n\n    rumour alias {kind} NAME CANONICAL",
    )
    @click.argument("name")
    @click.argument("canonical")
    @recorder_option
    @stored_json_option
    @db_option
    @click.pass_context
    def declare(
        ctx: click.Context,
        name: str,
        canonical: str,
        recorded_by: str | None,
        as_json: bool,
        db: str | None,
    ) -> None:
        from rumour_ledger.ledger.aliases import make_alias

        declaration = make_alias(kind, name, canonical)
        with open_ledger_for(ctx, db, recorded_by, create=True) as ledger:
            changed = ledger.app.declare_alias(declaration)
        if as_json:
            from rumour_ledger.cli.stored import stored_alias

            print_json(stored_alias(declaration, added=changed))
            return
        click.echo(f"{name} = {canonical}" if changed else "already in force: nothing added")

    @unalias.command(
        name=kind,
        help=f"Make NAME, a {kind} name, stand only for itself.\n\n"
        f"Example:\n\n    rumour unalias {kind} NAME",
    )
    @click.argument("name")
    @recorder_option
    @stored_json_option
    @db_option
    @click.pass_context
    def remove(
        ctx: click.Context, name: str, recorded_by: str | None, as_json: bool, db: str | None
    ) -> None:
        from rumour_ledger.ledger.aliases import make_unalias

        removal = make_unalias(kind, name)
        # Nothing to withdraw where there is no ledger: none is made at a mistyped path.
        with open_ledger_for(ctx, db, recorded_by) as ledger:
            changed = ledger.app.remove_alias(removal)
        if as_json:
            from rumour_ledger.cli.stored import stored_alias

            print_json(stored_alias(removal, added=changed))
            return
        click.echo(f"{name} stands for itself" if changed else "not an alias now: nothing added")


for _kind in KINDS:
    _alias_command(_kind)


@click.command(name="aliases")
@click.option("--known-at", metavar="TIMESTAMP", help="As the ledger held them then.")
@json_option
@db_option
@click.pass_context
def aliases_(ctx: click.Context, known_at: str | None, as_json: bool, db: str | None) -> None:
    """The aliases in force: each name and the name it stands for.

    Example:

        rumour aliases --json
    """
    from rumour_ledger.projections.audit import aliases_in_force
    from rumour_ledger.projections.evidence import parse_moment

    with open_ledger_for(ctx, db) as ledger, ledger.reading() as conn:
        moment = parse_moment(None, known_at, ledger.app.today)
        rows = aliases_in_force(conn, moment.known_at)
    if as_json:
        print_json(rows)
        return
    print_table(
        ["KIND", "NAME", "STANDS FOR", "RESOLVES TO"],
        [[r["kind"], r["name"], r["canonical"], r["resolves_to"]] for r in rows],
    )
