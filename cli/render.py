"""Rendering for the terminal: JSON out, tables out, and no control character left raw."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import click

from rumour_ledger.ledger.names import first_unseen, is_unseen

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe(value: object) -> str:
    """Text as shown in a terminal: control characters escaped, so data cannot repaint it."""
    if value is None:
        return ""
    text = str(value)
    if text.isascii() and text.isprintable():
        return text  # most cells: nothing to escape, and a table may hold millions
    escaped = _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
    if first_unseen(escaped) is None:
        return escaped
    # Old ledgers may hold names from before they were refused (U+202E would reverse a row).
    return "".join(f"\\u{ord(c):04x}" if is_unseen(c) else c for c in escaped)


def print_json(data: Any) -> None:
    """A command's answer in the machine format its flags chose (--json unless another):
    JSON, newline-delimited JSON, CSV or TSV."""
    from rumour_ledger.cli.main import output_format

    chosen = output_format() or "json"
    if chosen == "json":
        _print_document(data if not isinstance(data, Iterator) else list(data))
    elif chosen == "nl":
        print_nl(data)
    else:
        _print_delimited(_rows_of(data), "\t" if chosen == "tsv" else ",")


def _print_document(data: Any) -> None:
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


def print_nl(data: Any) -> None:
    """Newline-delimited JSON: one object a line, written as it comes."""
    import json

    encode = json.JSONEncoder(ensure_ascii=False).encode
    for row in _rows_of(data):
        click.echo(encode(row))


def _rows_of(data: Any) -> Iterable[Any]:
    """The rows of an answer: a list is its rows; an answer that holds one list of rows
    (a rumour's events, its days) is that list; any other answer is one row."""
    if not isinstance(data, dict):
        return data
    lists = [value for value in data.values() if isinstance(value, list)]
    if len(lists) == 1 and all(isinstance(row, dict) for row in lists[0]):
        return lists[0]
    if not lists:
        return [data]
    raise click.UsageError("this answer holds several lists: print it with --json")


def _print_delimited(rows: Iterable[Any], delimiter: str) -> None:
    """CSV or TSV with a header of every key, in the order keys first appear; nested values
    as JSON text, true/false as words, nothing as an empty cell."""
    import csv
    import io
    import json

    listed = list(rows)
    header: dict[str, None] = {}
    for row in listed:
        header.update(dict.fromkeys(row))

    def cell(value: Any) -> Any:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        return value

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for start in range(0, len(listed), STREAM_ROWS):
        for row in listed[start : start + STREAM_ROWS]:
            writer.writerow([cell(row.get(key)) for key in header])
        click.echo(out.getvalue(), nl=False)
        out.seek(0)
        out.truncate()
    if not listed:
        click.echo(out.getvalue(), nl=False)


# Past this many rows a table is streamed plainly: rich lays every row out before it
# prints one, about 0.4 ms a row, so `board` of 272,515 moves took 200 s and 3.1 GB.
RICH_ROWS = 1_000
# Rows formatted and written at a time when streaming.
STREAM_ROWS = 1_000
# Columns are set apart by this many spaces when streaming, as rich's padding sets them.
GAP = 2


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    title: str | None = None,
    wrap: Sequence[str] = (),
) -> None:
    """A table for people; only the columns named in `wrap` fold, data is never markup.

    Piped or redirected, every row is one line and nothing folds, so `grep` and `wc -l`
    see one line per row."""
    import shutil

    if not _is_terminal() and _output_format() != "table":
        _stream_table(headers, rows, title, (), width=0)
        return
    width = max(shutil.get_terminal_size((120, 24)).columns, 100)
    if len(rows) > RICH_ROWS:
        _stream_table(headers, rows, title, wrap, width)
        return

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
    Console(width=width, soft_wrap=False, highlight=False).print(table)


def _output_format() -> str | None:
    from rumour_ledger.cli.main import output_format

    return output_format()


def _is_terminal() -> bool:
    import sys

    return bool(getattr(sys.stdout, "isatty", lambda: False)())


def _stream_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    title: str | None,
    wrap: Sequence[str],
    width: int,
) -> None:
    """A long table in the same shape, written a slice of rows at a time: each column as
    wide as its widest cell, the `wrap` columns narrowed (and their cells folded) to fit."""
    widths = [_width(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], _width(safe(cell)))
    folding = [i for i, h in enumerate(headers) if h in wrap]
    excess = sum(widths) + GAP * (len(widths) + 1) - width
    for i in folding:
        narrowed = max(_width(headers[i]), 10, widths[i] - max(excess, 0))
        excess -= widths[i] - narrowed
        widths[i] = narrowed
    head = [] if title is None else [safe(title), ""]
    head += [*_lines(headers, widths, folding), " " + "\u2500" * (sum(widths) + GAP * len(widths))]
    click.echo("\n".join(head))
    for start in range(0, len(rows), STREAM_ROWS):
        chunk = rows[start : start + STREAM_ROWS]
        shown = (_lines([safe(c) for c in row], widths, folding) for row in chunk)
        click.echo("\n".join(line for lines in shown for line in lines))


def _lines(cells: Sequence[str], widths: list[int], folding: list[int]) -> list[str]:
    """A row's cells set out in columns of these widths: the folding columns' text over
    as many lines as it needs, the other cells on the first."""
    folded = {i: _fold(cells[i], widths[i]) for i in folding}
    height = max((len(parts) for parts in folded.values()), default=1)
    gap = " " * GAP
    lines = []
    for k in range(height):
        texts = [_part(folded.get(i, [cell]), k) for i, cell in enumerate(cells)]
        if "".join(texts).isascii():  # a character a column: str.ljust pads it
            padded = gap.join(text.ljust(w) for text, w in zip(texts, widths, strict=True))
        else:
            padded = gap.join(_pad(text, w) for text, w in zip(texts, widths, strict=True))
        lines.append((gap + padded).rstrip())
    return lines


def _part(lines: list[str], k: int) -> str:
    return lines[k] if k < len(lines) else ""


def _width(text: str) -> int:
    """Columns the text takes in a terminal (most cells are ASCII: one column a character)."""
    if text.isascii():
        return len(text)
    from rich.cells import cell_len

    return cell_len(text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _fold(text: str, width: int) -> list[str]:
    """Text in lines no wider than width: broken between words, and inside a word only
    where the word alone is wider."""
    if _width(text) <= width:
        return [text]
    from rich.cells import chop_cells

    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        joined = f"{line} {word}" if line else word
        if _width(joined) <= width:
            line = joined
            continue
        if line:
            lines.append(line)
        pieces = chop_cells(word, width) if _width(word) > width else [word]
        lines.extend(pieces[:-1])
        line = pieces[-1]
    lines.append(line)
    return lines


def short(event_id: str | None) -> str:
    return "" if not event_id else event_id[:8]
