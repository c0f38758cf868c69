"""The `rumour` command: parse the command line, call the ledger, render the answer."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class RumourGroup(click.Group):
    """Turns the ledger's errors into one-line messages: no traceback reaches the user."""

    def invoke(self, ctx: click.Context) -> Any:
        from ledger.errors import LedgerError

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


def db_option(func: F) -> F:
    return click.option(
        "--db",
        "db",
        envvar="RUMOUR_DB",
        metavar="URL",
        help="Ledger database: a file path, sqlite:///FILE or "
        "postgresql+psycopg://USER@HOST/DB. [env: RUMOUR_DB; default: a SQLite file "
        "in your data directory]",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


def _chart_file(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    if value is not None and value.suffix.lower() not in (".png", ".svg"):
        raise click.BadParameter("the file must end in .png or .svg")
    return value


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


@click.group(cls=RumourGroup, context_settings=CONTEXT)
@click.version_option(package_name="rumour-ledger", prog_name="rumour")
@db_option
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


def open_ledger_for(ctx: click.Context, db: str | None, recorded_by: str | None = None):  # type: ignore[no-untyped-def]
    """The ledger named by the command's --db, else the group's, else the default."""
    from projections.bootstrap import open_ledger

    location = db or (ctx.find_root().obj or {}).get("db")
    return open_ledger(location, user=recorded_by)


def main() -> None:
    cli(prog_name="rumour")


# The command modules attach themselves to the group; they import nothing heavy.
from cli import audit, likelihood, reading, recording, score, transfer, trust  # noqa: E402, F401
