"""Commands about likelihood: board, why, timeline, conflicts and rebuild."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from rumour_ledger.cli.main import (
    Fraction,
    clock_options,
    db_option,
    json_option,
    open_ledger_for,
    plot_option,
    stored_json_option,
)
from rumour_ledger.cli.render import print_json, print_table, safe, short

STATUSES = ("open", "confirmed", "denied", "not_happened", "all")
# projections.answers.SORTS, spelled out here: importing it would load SQLAlchemy at start-up.
BOARD_SORTS = ("likelihood", "last_claim", "label", "origins")
SPARKS = "▁▂▃▄▅▆▇█"


def moment_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--as-of",
            metavar="DATE",
            help="Only claims published on or before DATE count; decay is measured to DATE. "
            "[default: today]",
        ),
        click.option(
            "--known-at",
            metavar="TIMESTAMP",
            help="As the ledger held it then: entries recorded later are ignored "
            "(a bare date means the end of that day, UTC).",
        ),
        config_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--config",
        envvar="RUMOUR_CONFIG",
        metavar="FILE",
        help="Likelihood settings (TOML). [env: RUMOUR_CONFIG; default: config.toml in "
        "your config directory, if present]",
    )(func)


def _today(ledger: Any) -> Any:
    return ledger.app.clock().astimezone().date()


@click.command(name="board")
@moment_options
@click.option("--status", type=click.Choice(STATUSES), default="all", show_default=True)
@click.option(
    "--min",
    "minimum",
    type=Fraction(),
    default=0.0,
    metavar="P",
    help="Only moves at least this likely (0..1).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    metavar="N",
    help="Only the N most likely moves (after --status and --min).",
)
@click.option(
    "--text",
    metavar="WORDS",
    help="Only moves whose names (subject, clubs) hold every one of these words.",
)
@click.option(
    "--sort",
    type=click.Choice(BOARD_SORTS),
    default="likelihood",
    show_default=True,
    help="Order of the rows; any but likelihood reads the whole board.",
)
@click.option(
    "--page",
    type=click.IntRange(min=1),
    metavar="N",
    help="The Nth page of --limit rows (50 a page without --limit).",
)
@json_option
@db_option
@click.pass_context
def board_(
    ctx: click.Context,
    as_of: str | None,
    known_at: str | None,
    config: str | None,
    status: str,
    minimum: float,
    limit: int | None,
    text: str | None,
    sort: str,
    page: int | None,
    as_json: bool,
    db: str | None,
) -> None:
    """Every rumoured move with its likelihood, most likely first.

    Example:

        rumour board --as-of 2024-12-31 --status open --limit 20
    """
    from rumour_ledger.projections.answers import board_page
    from rumour_ledger.projections.board import parse_moment
    from rumour_ledger.projections.config import load_settings

    settings = load_settings(config)
    with open_ledger_for(ctx, db) as ledger, ledger.reading() as conn:
        moment = parse_moment(as_of, known_at, _today(ledger))
        rows = board_page(
            conn, moment, settings, status, minimum, limit, text=text, sort=sort, page=page
        )
    if as_json:
        print_json(rows)
        return
    print_table(
        [
            "ID",
            "RUMOUR",
            "ROLE",
            "LIKELIHOOD",
            "STATUS",
            "ORIGINS",
            "RELAYS",
            "DENIALS",
            "LAST CLAIM",
        ],
        [
            [
                short(r["id"]),
                r["label"],
                r["role"],
                f"{r['likelihood']:.0%}",
                r["status"].replace("_", " ") + (", in conflict" if r["conflict"] else ""),
                r["origins"],
                r["relays"],
                r["denials"],
                r["last_claim"],
            ]
            for r in rows
        ],
        title=f"as of {moment.as_of.isoformat()}"
        + (f", as known at {moment.known_at.isoformat()}" if moment.known_at else ""),
        wrap=("RUMOUR",),
    )


@click.command()
@click.argument("rumour")
@moment_options
@json_option
@db_option
@click.pass_context
def why(
    ctx: click.Context,
    rumour: str,
    as_of: str | None,
    known_at: str | None,
    config: str | None,
    as_json: bool,
    db: str | None,
) -> None:
    """Explain one rumour's likelihood: the prior, then every counted piece of evidence.

    Relays are listed under the origin they cite; they add nothing of their own.

    Example:

        rumour why "Xabi Alonso -> Real Madrid" --as-of 2024-12-31
    """
    from rumour_ledger.projections.answers import why_answer
    from rumour_ledger.projections.board import (
        conflicts_of_rumour,
        explain_rumour,
        parse_moment,
    )
    from rumour_ledger.projections.config import load_settings
    from rumour_ledger.projections.views import find_rumour

    settings = load_settings(config)
    with open_ledger_for(ctx, db) as ledger, ledger.reading() as conn:
        ref = find_rumour(conn, rumour)
        moment = parse_moment(as_of, known_at, _today(ledger))
        if as_json:
            print_json(why_answer(conn, ref, moment, settings))
            return
        explained = explain_rumour(conn, ref, moment, settings)
        in_conflict = conflicts_of_rumour(conn, ref, moment)
    click.echo(safe(f"{ref.label} ({ref.role}) {short(ref.to_dict()['id'])}"))
    for conflict, others in in_conflict:
        click.echo(safe(f"in conflict with {', '.join(others)}; confirmations:"))
        for c in conflict.confirmations:
            line = f"  {c.published.isoformat()} {c.source}: {c.label} {short(c.to_dict()['id'])}"
            click.echo(safe(line))
    for line in explained.describe().splitlines():
        if not line.startswith("  ") or line.startswith(("  prior", "  ended", "  only")):
            click.echo(safe(line))
    rows = [
        ["", "prior", "", "", "", "", f"{explained.prior_log_odds:+.2f}", f"{explained.prior:.0%}"]
    ]
    for part in explained.contributions:
        origin = part.origin + (" [first-party]" if part.first_party else "")
        note = part.concurring_note()
        if note:
            origin += f" ({note})"
        rows.append(
            [
                part.published.isoformat(),
                origin,
                part.kind,
                f"{part.reliability:.0%}",
                f"{part.weight:+.2f}",
                f"{part.decay:.2f}",
                f"{part.log_odds:+.2f}",
                f"{part.points:+.1f} pts",
            ]
        )
        for relay in part.relays:
            dates = ", ".join(d.isoformat() for d in relay.published)
            rows.append(
                [dates, f"  relayed by {relay.source}", "", "", "", "", "", "(not counted)"]
            )
    rows.append(
        [
            "",
            "likelihood",
            explained.status.replace("_", " "),
            "",
            "",
            "",
            f"{explained.log_odds:+.2f}",
            f"{explained.likelihood:.0%}",
        ]
    )
    print_table(
        ["PUBLISHED", "ORIGIN", "STANCE", "RELIABILITY", "WEIGHT", "DECAY", "LOG-ODDS", "EFFECT"],
        rows,
        wrap=("ORIGIN",),
    )


@click.command()
@click.argument("rumour")
# --since/--until say it plainly: elsewhere --from/--to name clubs. Both are kept, as
# scripts use --from/--to.
@click.option(
    "--since", "--from", "start", metavar="DATE", help="First day. [default: first claim]"
)
@click.option("--until", "--to", "end", metavar="DATE", help="Last day. [default: today]")
@click.option("--known-at", metavar="TIMESTAMP", help="As the ledger held it then.")
@plot_option("the chart")
@config_option
@json_option
@db_option
@click.pass_context
def timeline(
    ctx: click.Context,
    rumour: str,
    start: str | None,
    end: str | None,
    known_at: str | None,
    plot: Path | None,
    config: str | None,
    as_json: bool,
    db: str | None,
) -> None:
    """The likelihood of one rumour day by day, with the claims that moved it.

    --since and --until (or --from and --to) are days here, not clubs.

    Example:

        rumour timeline "Xabi Alonso -> Real Madrid" --since 2024-01-01 --plot alonso.png
    """
    from rumour_ledger.ledger.claims import check_date
    from rumour_ledger.projections.answers import timeline_answer
    from rumour_ledger.projections.board import parse_moment
    from rumour_ledger.projections.config import load_settings
    from rumour_ledger.projections.views import find_rumour

    settings = load_settings(config)
    with open_ledger_for(ctx, db) as ledger, ledger.reading() as conn:
        ref = find_rumour(conn, rumour)
        moment = parse_moment(end, known_at, _today(ledger))
        first = None if start is None else check_date("from", start, moment.as_of)
        answer = timeline_answer(conn, ref, first, moment.as_of, settings, moment.known_at)
    points = answer["days"]
    if plot is not None:
        from rumour_ledger.projections.chart import draw_timeline

        draw_timeline(points, ref.label, plot, to_the_end=end is not None)
    if as_json:
        print_json(answer)
        return
    click.echo(safe(f"{ref.label} ({ref.role})"))
    if points:
        click.echo(f"{points[0]['date']} {sparkline(points)} {points[-1]['date']}")
    rows = []
    previous = None
    for point in points:
        moved = point["events"] or point["status"] != previous or point["resolved_by"]
        previous = point["status"]
        if not moved:
            continue
        what = "; ".join(
            f"{e['type']} by {e['source']}" + (f" (citing {e['cites']})" if e["cites"] else "")
            for e in point["events"]
        ) or (point["resolved_by"] or "")
        rows.append(
            [point["date"], f"{point['likelihood']:.0%}", point["status"].replace("_", " "), what]
        )
    print_table(["DATE", "LIKELIHOOD", "STATUS", "WHAT HAPPENED"], rows, wrap=("WHAT HAPPENED",))
    if plot is not None:
        click.echo(f"chart written to {plot}", err=True)


def sparkline(points: list[dict[str, Any]], width: int = 60) -> str:
    """A one-line chart of likelihood: each character the mean of a stretch of days."""
    values = [p["likelihood"] for p in points]
    size = max(1, -(-len(values) // width))
    chunks = [values[i : i + size] for i in range(0, len(values), size)]
    return "".join(SPARKS[min(7, int(sum(c) / len(c) * 8))] for c in chunks)


@click.command()
@clock_options
@json_option
@db_option
@click.pass_context
def conflicts(
    ctx: click.Context,
    as_of: str | None,
    known_at: str | None,
    as_json: bool,
    db: str | None,
) -> None:
    """Subjects confirmed to two or more destinations at once, with the confirmations.

    A conflict lasts until a retraction settles it.

    Example:

        rumour conflicts --as-of 2024-12-31
    """
    from rumour_ledger.projections.board import parse_moment
    from rumour_ledger.projections.conflicts import conflicts as find_conflicts

    with open_ledger_for(ctx, db) as ledger, ledger.reading() as conn:
        moment = parse_moment(as_of, known_at, _today(ledger))
        found = find_conflicts(conn, moment)
    if as_json:
        print_json([c.to_dict() for c in found])
        return
    rows = [
        [conflict.subject, c.label, c.source, c.published.isoformat(), short(c.to_dict()["id"])]
        for conflict in found
        for c in conflict.confirmations
    ]
    print_table(
        ["SUBJECT", "MOVE", "CONFIRMED BY", "PUBLISHED", "ID"],
        rows,
        title=f"as of {moment.as_of.isoformat()}"
        + (f", as known at {moment.known_at.isoformat()}" if moment.known_at else ""),
        wrap=("MOVE",),
    )


@click.command()
@click.option(
    "--progress",
    is_flag=True,
    help="Show each stage as it runs, even when standard error is not a terminal.",
)
@stored_json_option
@db_option
@click.pass_context
def rebuild(ctx: click.Context, progress: bool, as_json: bool, db: str | None) -> None:
    """Rebuild every read model from the first event.

    Example:

        rumour rebuild
    """
    from rumour_ledger.cli.progress import Phases, wanted

    phases = Phases() if wanted(progress) else None
    try:
        with open_ledger_for(ctx, db) as ledger:
            if phases is None:
                applied = ledger.rebuild()
            else:
                applied = ledger.rebuild(progress=phases.count, stage=phases.stage)
            if as_json:
                from rumour_ledger.cli.stored import rebuilt
                from rumour_ledger.projections.search import ledger_summary

                with ledger.reading() as conn:
                    summary = ledger_summary(conn)
    finally:
        if phases is not None:
            phases.close()
    if as_json:
        print_json(rebuilt(applied, summary))
        return
    click.echo(f"rebuilt read models from {applied} events")
