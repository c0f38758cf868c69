"""The score command: how right the board's likelihoods were on rumours that resolved."""

from __future__ import annotations

from pathlib import Path

import click

from rumour_ledger.cli.likelihood import config_option
from rumour_ledger.cli.main import (
    db_option,
    json_option,
    known_at_option,
    open_ledger_for,
    plot_option,
)
from rumour_ledger.cli.render import print_json, print_table


def _offsets(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[int, ...]:
    try:
        offsets = tuple(sorted({int(part) for part in value.split(",")}, reverse=True))
    except ValueError:
        raise click.BadParameter("give whole numbers of days, e.g. 90,30,7,1") from None
    from rumour_ledger.ledger.errors import InvalidClaim
    from rumour_ledger.projections.calibration import check_horizons

    try:
        check_horizons(offsets)
    except InvalidClaim as error:
        raise click.BadParameter(error.problem) from None
    return offsets


@click.command()
@click.option("--as-of", metavar="DATE", help="Score what had resolved by DATE. [default: today]")
@known_at_option
@click.option(
    "--horizon",
    "offsets",
    default="90,30,7,1",
    show_default=True,
    metavar="DAYS[,DAYS...]",
    callback=_offsets,
    help="How many days before each resolution to read the board.",
)
@plot_option("the reliability diagram")
@config_option
@json_option
@db_option
@click.pass_context
def score(
    ctx: click.Context,
    as_of: str | None,
    known_at: str | None,
    offsets: tuple[int, ...],
    plot: Path | None,
    config: str | None,
    as_json: bool,
    db: str | None,
) -> None:
    """Score the board's likelihoods on every rumour that resolved: Brier, log loss, AUC,
    a reliability table, and the same for the prior alone and for majority stance.

    Each rumour is read as the board stood on each day before it resolved: track records
    learned only from what had resolved by then.

    Example:

        rumour score --horizon 90,30,7,1 --plot reliability.png
    """
    from rumour_ledger.projections.calibration import forecasts
    from rumour_ledger.projections.calibration import score as scored
    from rumour_ledger.projections.config import load_settings
    from rumour_ledger.projections.evidence import parse_moment

    settings = load_settings(config)
    with open_ledger_for(ctx, db) as ledger, ledger.reading() as conn:
        moment = parse_moment(as_of, known_at, ledger.app.clock().astimezone().date())
        made = forecasts(conn, moment, settings, offsets)
    result = {
        "as_of": moment.as_of.isoformat(),
        "known_at": None if moment.known_at is None else moment.known_at.isoformat(),
        "days_before": list(offsets),
        **scored(made),
        "forecasts_made": [f.to_dict() for f in made],
    }
    if plot is not None and made:
        from rumour_ledger.projections.chart import draw_reliability

        draw_reliability(result, plot, f"reliability as of {moment.as_of.isoformat()}")
    if as_json:
        print_json(result)
        return
    if not made:
        click.echo("no resolved rumour to score yet")
        return
    click.echo(
        f"{result['rumours']} resolved rumours, {result['forecasts']} forecasts "
        f"({', '.join(str(o) for o in offsets)} days before resolution)"
    )
    rows = []
    for name, s in [("model", result["model"]), *result["baselines"].items()]:
        rows.append(
            [
                name.replace("_", " "),
                f"{s['brier']:.3f}",
                f"{s['log_loss']:.3f}",
                f"{s['accuracy']:.0%}",
                "-" if s["auc"] is None else f"{s['auc']:.3f}",
            ]
        )
    print_table(["FORECAST", "BRIER", "LOG LOSS", "ACCURACY", "AUC"], rows)
    bins = [
        [
            f"{b['low']:.1f}-{b['high']:.1f}",
            b["count"],
            "-" if b["mean_forecast"] is None else f"{b['mean_forecast']:.2f}",
            "-" if b["happened"] is None else f"{b['happened']:.0%}",
        ]
        for b in result["model"]["reliability"]
        if b["count"]
    ]
    print_table(
        ["LIKELIHOOD", "COUNT", "MEAN FORECAST", "HAPPENED"], bins, title="reliability of the model"
    )
    if plot is not None:
        click.echo(f"reliability diagram written to {plot}", err=True)
