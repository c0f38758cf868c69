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
    """JSON on stdout: a list of rows one row to a line, as sqlite-utils prints them, and
    anything else indented."""
    import json

    if not (isinstance(data, list) and data and isinstance(data[0], dict)):
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    # Row by row, with json's C encoder (indenting takes its pure-Python one): `board
    # --json` of 272,515 moves took 6.7 s and 1.47 GB as one indented document, and takes
    # 4.8 s and 690 MB this way.
    encode = json.JSONEncoder(ensure_ascii=False).encode
    for start in range(0, len(data), 1000):
        chunk = ",\n ".join(encode(row) for row in data[start : start + 1000])
        end = ",\n " if start + 1000 < len(data) else "]\n"
        click.echo(("[" if start == 0 else "") + chunk + end, nl=False)


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
