"""`rumour help [COMMAND...]`: the help of the tool or of any command, as --help prints it."""

from __future__ import annotations

import click

from rumour_ledger.cli.main import CONTEXT


@click.command("help", context_settings=CONTEXT)
@click.argument("command", nargs=-1)
@click.pass_context
def help_(ctx: click.Context, command: tuple[str, ...]) -> None:
    """Show the help of rumour, or of one of its commands.

    Example:

        rumour help audit source
    """
    target: click.Command = ctx.find_root().command
    context = ctx.find_root()
    for name in command:
        found = target.get_command(context, name) if isinstance(target, click.Group) else None
        if found is None:
            raise click.UsageError(f"no such command: {' '.join(command)}", ctx)
        context = click.Context(found, info_name=name, parent=context)
        target = found
    click.echo(target.get_help(context))
