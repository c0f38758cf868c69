"""The claims as CSV: the table `rumour export --format csv` writes, and read back strictly.

A CSV holds claims only (reports, denials, confirmations). Each row is checked by the same
rules as a JSON line (`interchange.parse_entry`), errors name `FILE:LINE: field ...`, and
what a spreadsheet does to a file is undone: a byte-order mark, CRLF line ends, empty cells
(null), cells left off the end of a row (empty), TRUE/FALSE in capitals.
"""

from __future__ import annotations

import codecs
import csv
import io
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from typing import Any, BinaryIO

from rumour_ledger.ledger.application import Entry
from rumour_ledger.ledger.claims import Kind, check_event_id
from rumour_ledger.ledger.errors import ImportFailed, InvalidClaim
from rumour_ledger.ledger.interchange import CLAIM_FIELDS, MAX_LINE, parse_entry

# The export's header, in its order. `retracted` and `retracted_by` say what the ledger
# held; a CSV cannot carry the retraction itself (its reason, its id, when it was recorded).
# Nor can it carry an amendment's link (`amends`): the retraction it pairs with is not in it.
CSV_COLUMNS = (*(f for f in CLAIM_FIELDS if f != "amends"), "retracted", "retracted_by")
CLAIM_TYPES = tuple(k.value for k in Kind if k is not Kind.RETRACTION)
BOOLEANS = {"true": True, "false": False}
# Told a claim id; says whether the ledger already holds that claim.
Held = Callable[[uuid.UUID], bool]


def csv_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The header, then each row (the CSV_COLUMNS of one claim) as one CSV record."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
    yield buffer.getvalue()


def read_csv_entries(
    stream: BinaryIO | Iterable[bytes],
    file: str,
    *,
    today: date,
    now: datetime,
    held: Held = lambda _id: False,
) -> Iterator[Entry]:
    """Every row after the header as an Entry, naming file, line and field for the first
    thing that is wrong. A row marked retracted must be a claim the ledger already holds
    (then it is skipped as any claim held is): its retraction cannot come from a CSV."""
    rows = csv.reader(_text_lines(stream, file), strict=True)
    header = _header(rows, file)
    while True:
        line = rows.line_num + 1
        try:
            cells = next(rows)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportFailed(file, line, f"not valid CSV ({error})") from None
        if not any(cells):
            continue  # a blank line, or a row of empty cells a spreadsheet left behind
        if len(cells) > len(header):
            raise ImportFailed(
                file, line, f"{len(cells)} cells, but the header has {len(header)} columns"
            )
        try:
            yield _entry(dict(zip(header, cells, strict=False)), today, now, line, held)
        except InvalidClaim as error:
            raise ImportFailed(file, line, f"field {error}") from None
        except ValueError as error:
            raise ImportFailed(file, line, str(error)) from None


def _text_lines(stream: BinaryIO | Iterable[bytes], file: str) -> Iterator[str]:
    """The stream's lines as text, a byte-order mark dropped and line ends kept (the csv
    module reads CRLF and line breaks inside quoted cells itself)."""
    decode = codecs.getincrementaldecoder("utf-8-sig")()
    readline = getattr(stream, "readline", None)
    chunks = iter(lambda: readline(MAX_LINE + 1), b"") if readline else iter(stream)
    for number, raw in enumerate(chunks, 1):
        if len(raw) > MAX_LINE:
            raise ImportFailed(file, number, f"line is longer than 1 MiB ({MAX_LINE:,} bytes)")
        try:
            yield decode.decode(raw)
        except UnicodeDecodeError as error:
            raise ImportFailed(file, number, f"not valid UTF-8 (byte {error.start + 1})") from None


def _header(rows: Any, file: str) -> list[str]:
    try:
        header = [name.strip() for name in next(rows)]
    except StopIteration:
        raise ImportFailed(
            file, 1, "no header: expected the columns of export --format csv"
        ) from None
    except csv.Error as error:
        raise ImportFailed(file, 1, f"not valid CSV ({error})") from None
    seen: set[str] = set()
    for name in header:
        if name not in CSV_COLUMNS:
            # Refused, not ignored: a column the import would drop is data the desk meant to keep.
            raise ImportFailed(file, 1, f"column {name!r}: not a column of export --format csv")
        if name in seen:
            raise ImportFailed(file, 1, f"column {name}: given twice")
        seen.add(name)
    if "type" not in seen:
        raise ImportFailed(file, 1, "column type: missing")
    return header


def _entry(cells: dict[str, str], today: date, now: datetime, line: int, held: Held) -> Entry:
    obj: dict[str, Any] = {name: value or None for name, value in cells.items()}
    retracted = _boolean("retracted", obj.pop("retracted", None))
    retracted_by = obj.pop("retracted_by", None)
    if retracted_by is not None:
        check_event_id("retracted_by", retracted_by)
    if obj.get("type") not in CLAIM_TYPES:
        raise InvalidClaim(
            "type",
            f"{obj.get('type')!r} is not one of {', '.join(CLAIM_TYPES)} (a CSV holds claims)",
        )
    if "official" in obj:
        obj["official"] = _boolean("official", obj["official"])
    entry = parse_entry(obj, today=today, now=now, line=line)
    if retracted and not held(entry.id):
        raise InvalidClaim(
            "retracted",
            "the claim is not in the ledger, and a CSV cannot carry its retraction "
            "(move retractions with the JSON Lines export)",
        )
    return entry


def _boolean(field: str, value: str | None) -> bool | None:
    if value is None:
        return None
    try:
        return BOOLEANS[value.strip().lower()]
    except KeyError:
        raise InvalidClaim(field, f"{value!r} is not true or false") from None
