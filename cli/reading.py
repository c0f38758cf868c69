"""Commands that read the ledger: list and show."""

from __future__ import annotations

from typing import Any

import click

from rumour_ledger.cli.main import clock_options, db_option, json_option, open_ledger_for
from rumour_ledger.cli.render import print_json, print_table, short


def _clocks(ledger: Any, as_of: str | None, known_at: str | None) -> tuple[Any, Any]:
    from rumour_ledger.projections.evidence import parse_moment

    moment = parse_moment(as_of, known_at, ledger.app.today)
    return (None if as_of is None else moment.as_of), moment.known_at


@click.command(name="list")
@clock_options
@json_option
@db_option
@click.pass_context
def list_(
    ctx: click.Context, as_of: str | None, known_at: str | None, as_json: bool, db: str | None
) -> None:
    """Every rumour with its counts of reports, denials and confirmations.

    Counts leave out retracted entries; LAST CLAIM is the latest published date. Names
    that aliases join are one row, as on the board.

    Example:

        rumour list --as-of 2024-12-10 --json
    """
    from rumour_ledger.projections.views import rumour_list

    with open_ledger_for(ctx, db) as ledger, ledger.reading() as conn:
        rows = rumour_list(conn, *_clocks(ledger, as_of, known_at))
    if as_json:
        print_json(rows)
        return
    print_table(
        ["ID", "RUMOUR", "ROLE", "REPORTS", "DENIALS", "CONFIRMED", "LAST CLAIM"],
        [
            [
                short(r["id"]),
                r["label"],
                r["role"],
                r["reports"],
                r["denials"],
                r["confirmations"],
                r["last_claim"],
            ]
            for r in rows
        ],
        wrap=("RUMOUR",),
    )


@click.command()
@click.argument("rumour")
@clock_options
@json_option
@db_option
@click.pass_context
def show(
    ctx: click.Context,
    rumour: str,
    as_of: str | None,
    known_at: str | None,
    as_json: bool,
    db: str | None,
) -> None:
    """Every event of one rumour in published-date order.

    RUMOUR is a short id or text such as "Xabi Alonso -> Real Madrid".

    Example:

        rumour show "Xabi Alonso -> Real Madrid"
    """
    from rumour_ledger.projections.answers import history_answer
    from rumour_ledger.projections.views import find_rumour

    with open_ledger_for(ctx, db) as ledger, ledger.reading() as conn:
        ref = find_rumour(conn, rumour)
        answer = history_answer(conn, ref, *_clocks(ledger, as_of, known_at))
    events = answer["events"]
    if as_json:
        print_json(answer)
        return
    rows = []
    for e in events:
        if e["type"] == "retraction":
            what = f"retracts {short(e['retracts'])}: {e['reason']}"
        elif e["type"] == "restoration":
            what = f"undoes {short(e['restores'])}: {e['reason']}"
        else:
            what = e["claim"] or ""
        if e["amends"]:
            what = f"amends {short(e['amends'])}" + (f": {what}" if what else "")
        source = e["source"] or ""
        if e["cites"]:
            source += f" (citing {e['cites']})"
        kind = e["type"] + (f" [{_withdrawn(e)}]" if e["retracted"] else "")
        if e["official"]:
            kind += " [official]"
        rows.append(
            [
                e["date"],
                kind,
                source,
                what,
                short(e["id"]),
                e["recorded_at"][:16].replace("T", " "),
                e["recorded_by"],
            ]
        )
    print_table(
        ["DATE", "TYPE", "SOURCE", "CLAIM", "ID", "RECORDED AT", "BY"],
        rows,
        title=f"{ref.label} ({ref.role}) {short(ref.to_dict()['id'])}",
        wrap=("SOURCE", "CLAIM"),
    )


def _withdrawn(entry: dict[str, Any]) -> str:
    """What a withdrawn entry is shown as: a claim retracted, a retraction undone."""
    return "undone" if entry["type"] == "retraction" else "retracted"
