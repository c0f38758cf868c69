"""Rendering for the terminal: JSON out, tables out, and no control character left raw."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import click

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe(value: object) -> str:
    """Text as shown in a terminal: control characters escaped, so data cannot repaint it."""
    if value is None:
        return ""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], str(value))


def print_json(data: Any) -> None:
    import json

    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    title: str | None = None,
    wrap: Sequence[str] = (),
) -> None:
    """A table for people; only the columns named in `wrap` fold, data is never markup."""
    import shutil

    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    shown = None if title is None else Text(safe(title))
    table = Table(title=shown, title_justify="left", box=box.SIMPLE_HEAD)
    for header in headers:
        table.add_column(header, overflow="fold", no_wrap=header not in wrap)
    for row in rows:
        table.add_row(*(Text(safe(cell)) for cell in row))
    width = max(shutil.get_terminal_size((120, 24)).columns, 100)
    Console(width=width, soft_wrap=False, highlight=False).print(table)


def short(event_id: str | None) -> str:
    return "" if not event_id else event_id[:8]
