"""Commands that find things: search claims, list the clubs and people, sum up a ledger."""

from __future__ import annotations

from typing import Any

import click

from rumour_ledger.cli.main import db_option, json_option, open_ledger_for
from rumour_ledger.cli.render import print_json, print_table, short

TYPES = ("report", "denial", "confirmation", "collapse", "retraction", "restoration")


def _known_at_option(func: Any) -> Any:
    return click.option(
        "--known-at",
        metavar="TIMESTAMP",
        help="As the ledger held it then: entries recorded later are left out "
        "(a bare date means the end of that day, UTC).",
    )(func)


def _moment(ledger: Any, known_at: str | None) -> Any:
    from rumour_ledger.projections.evidence import parse_moment

    return parse_moment(None, known_at, ledger.app.today).known_at


@click.command()
@click.argument("text", required=False)
@click.option("--source", metavar="NAME", help="Claims by this source, or citing it.")
@click.option("--club", metavar="NAME", help="Claims on moves from or to this club.")
@click.option("--person", metavar="NAME", help="Claims on moves of this person.")
@click.option(
    "--type", "kinds", type=click.Choice(TYPES), multiple=True, help="Only this type (repeatable)."
)
@click.option("--since", metavar="DATE", help="Published on or after DATE.")
@click.option("--until", metavar="DATE", help="Published on or before DATE.")
@click.option("--live", is_flag=True, help="Leave out retracted claims.")
@click.option("--limit", type=click.IntRange(min=1, max=10**9), help="At most this many rows.")
@_known_at_option
@json_option
@db_option
@click.pass_context
def search(
    ctx: click.Context,
    text: str | None,
    source: str | None,
    club: str | None,
    person: str | None,
    kinds: tuple[str, ...],
    since: str | None,
    until: str | None,
    live: bool,
    limit: int | None,
    known_at: str | None,
    as_json: bool,
    db: str | None,
) -> None:
    """Find claims by words of the claim, source, club, person, type and published dates.

    TEXT matches anywhere in the claim's text, ignoring case. A name matches ignoring case
    and accents, through the aliases in force, or as part of a longer name ("ancelotti"
    finds "Carlo Ancelotti"). Every filter given must hold; rows come in published-date
    order, retracted claims marked (retractions themselves with --type retraction).

    Example:

        rumour search Clásico --club "Real Madrid" --since 2024-10-01 --type report
    """
    from datetime import date

    from rumour_ledger.ledger.claims import check_date
    from rumour_ledger.projections.search import Query
    from rumour_ledger.projections.search import search as find

    with open_ledger_for(ctx, db) as ledger, ledger.reading() as conn:
        query = Query(
            text=text,
            source=source,
            club=club,
            person=person,
            kinds=kinds,
            since=None if since is None else check_date("since", since, date.max),
            until=None if until is None else check_date("until", until, date.max),
            known_at=_moment(ledger, known_at),
            live=live,
            limit=limit,
        )
        rows = list(find(conn, query))
    if as_json:
        print_json(rows)
        return
    table = []
    for e in rows:
        source_text = (e["source"] or "") + (f" (citing {e['cites']})" if e["cites"] else "")
        kind = e["type"] + (" [retracted]" if e["retracted"] else "")
        what = e["claim"]
        if e["type"] == "retraction":
            what = f"retracts {short(e['retracts'])}"
        elif e["type"] == "restoration":
            what = f"undoes {short(e['restores'])}"
        table.append([e["date"], kind, e["rumour"], source_text, what or "", short(e["id"])])
    print_table(
        ["DATE", "TYPE", "RUMOUR", "SOURCE", "CLAIM", "ID"],
        table,
        wrap=("RUMOUR", "SOURCE", "CLAIM"),
    )


def _entities_command(kind_name: str, noun: str, example: str) -> click.Command:
    @_known_at_option
    @click.option("--as-of", metavar="DATE", help="Only claims published on or before DATE.")
    @json_option
    @db_option
    @click.pass_context
    def command(
        ctx: click.Context, known_at: str | None, as_of: str | None, as_json: bool, db: str | None
    ) -> None:
        from rumour_ledger.ledger.aliases import AliasKind
        from rumour_ledger.projections.evidence import parse_moment
        from rumour_ledger.projections.search import entities

        with open_ledger_for(ctx, db) as ledger, ledger.reading() as conn:
            moment = parse_moment(as_of, known_at, ledger.app.today)
            day = None if as_of is None else moment.as_of
            rows = entities(conn, AliasKind(kind_name), moment.known_at, day)
        if as_json:
            print_json(rows)
            return
        print_table(
            [noun.upper(), "RUMOURS", "CLAIMS"],
            [[r["name"], r["rumours"], r["claims"]] for r in rows],
            wrap=(noun.upper(),),
        )

    command.__doc__ = (
        f"Every {noun} the ledger names, with its rumours and claims, most spoken of first.\n\n"
        "Aliases in force are merged into the name they stand for.\n\n"
        f"Example:\n\n    {example}\n"
    )
    return click.command(name=f"{noun}s" if noun != "person" else "people")(command)


clubs = _entities_command("club", "club", "rumour clubs --json")
people = _entities_command("person", "person", "rumour people")


@click.command()
@_known_at_option
@json_option
@db_option
@click.pass_context
def stats(ctx: click.Context, known_at: str | None, as_json: bool, db: str | None) -> None:
    """How much the ledger holds: rumours, entries by type, sources, clubs, people, dates.

    Example:

        rumour stats --json
    """
    from rumour_ledger.projections.search import ledger_summary

    with open_ledger_for(ctx, db) as ledger, ledger.reading() as conn:
        summary = ledger_summary(conn, _moment(ledger, known_at))
    if as_json:
        print_json(summary)
        return
    print_table(["WHAT", "COUNT"], [[k.replace("_", " "), v] for k, v in summary.items()])
