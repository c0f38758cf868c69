"""The `rumour serve` command: the read-only web desk over the ledger, on one address."""

from __future__ import annotations

import ipaddress

import click

from rumour_ledger.cli.likelihood import config_option
from rumour_ledger.cli.main import db_option, open_ledger_for

INSTALL = "pip install 'rumour-ledger[web]'"
TOKEN_ENV = "RUMOUR_SERVE_TOKEN"


def is_loopback(host: str) -> bool:
    """Only this machine can reach the address (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port."
)
@click.option(
    "--token",
    envvar=TOKEN_ENV,
    metavar="SECRET",
    help="Every request must carry it (?token=SECRET or Authorization: Bearer SECRET); "
    f"needed to listen beyond this machine. [env: {TOKEN_ENV}]",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.05, max=60),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="How often the server looks for new entries to show on open pages.",
)
@config_option
@db_option
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    token: str | None,
    interval: float,
    config: str | None,
    db: str | None,
) -> None:
    """Serve a read-only web view of the ledger: board, rumours, sources, audit log, JSON API.

    Open pages update when another writer records a claim. Listening beyond this machine
    needs --token.

    Example:

        rumour serve --port 8080
    """
    if not is_loopback(host) and not token:
        raise click.UsageError(
            f"--host {host} is reachable from other machines: give --token (or set {TOKEN_ENV})"
        )
    try:
        import uvicorn

        from rumour_ledger.cli.web.app import create_app
    except ImportError as error:
        raise click.ClickException(
            f"rumour serve needs the web extra ({error.name} is missing): {INSTALL}"
        ) from None
    from rumour_ledger.projections.config import load_settings

    settings = load_settings(config)
    with open_ledger_for(ctx, db) as ledger:
        app = create_app(ledger, settings, token=token, interval=interval)
        shown = f"[{host}]" if ":" in host else host
        click.echo(f"rumour desk on http://{shown}:{port}/ (Ctrl-C stops it)", err=True)
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            # Open live pages hold a stream each: do not wait on them to stop.
            timeout_graceful_shutdown=1,
        )
