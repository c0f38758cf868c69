"""The interchange format: JSON Lines of claims and retractions, read strictly, written stably."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any, BinaryIO

from rumour_ledger.ledger.aliases import make_alias, make_unalias
from rumour_ledger.ledger.application import Entry
from rumour_ledger.ledger.claims import (
    EARLIEST,
    RESTORATION,
    Kind,
    check_event_id,
    check_name,
    make_claim,
    make_hiding,
    make_move,
    make_recasting,
    make_restoration,
    make_retraction,
)
from rumour_ledger.ledger.errors import ImportFailed, InvalidClaim

CLAIM_FIELDS = (
    "type",
    "id",
    "subject",
    "from",
    "to",
    "role",
    "source",
    "cites",
    "official",
    "date",
    "claim",
    "url",
    "amends",  # only on an amendment's corrected claim: the id of the claim it corrects
    "recorded_by",
    "recorded_at",
)
RETRACTION_FIELDS = (
    "type",
    "id",
    "retracts",
    "reason",
    "date",
    "recorded_by",
    "recorded_at",
)
RESTORATION_FIELDS = ("type", "id", "restores", "reason", "recorded_by", "recorded_at")
ALIAS_FIELDS = ("type", "id", "kind", "name", "canonical", "recorded_by", "recorded_at")
UNALIAS_FIELDS = ("type", "id", "kind", "name", "recorded_by", "recorded_at")
RECAST_FIELDS = (
    "type",
    "id",
    "subject",
    "from",
    "to",
    "role",
    "reason",
    "recorded_by",
    "recorded_at",
)
HIDING_FIELDS = ("type", "id", "subject", "from", "to", "reason", "recorded_by", "recorded_at")
TYPES = (
    *(k.value for k in Kind),
    RESTORATION,
    "alias",
    "unalias",
    "recast",
    "hide",
    "unhide",
)
FIELDS_BY_TYPE = {
    **{k.value: CLAIM_FIELDS for k in Kind},
    Kind.RETRACTION.value: RETRACTION_FIELDS,
    RESTORATION: RESTORATION_FIELDS,
    "alias": ALIAS_FIELDS,
    "unalias": UNALIAS_FIELDS,
    "recast": RECAST_FIELDS,
    "hide": HIDING_FIELDS,
    "unhide": HIDING_FIELDS,
}
_ALLOWED = {kind: frozenset(fields) for kind, fields in FIELDS_BY_TYPE.items()}


# The longest line read, its newline included: far above any real claim (whose text is at
# most 10,000 characters), and small enough that a hostile line costs 1 MiB, not its size.
MAX_LINE = 1 << 20


def read_entries(
    lines: Iterable[bytes] | BinaryIO, file: str, *, today: date, now: datetime
) -> Iterator[Entry]:
    """Parse every line, naming file, line and field for the first thing that is wrong."""
    for number, raw in enumerate(_bounded(lines), start=1):
        if len(raw) > MAX_LINE:
            raise ImportFailed(file, number, f"line is longer than 1 MiB ({MAX_LINE:,} bytes)")
        text = _decode(raw, number, file)
        if not text.strip():
            continue
        try:
            yield parse_entry(_load(text), today=today, now=now, line=number)
        except InvalidClaim as error:
            raise ImportFailed(file, number, f"field {error}") from None
        except ValueError as error:
            raise ImportFailed(file, number, str(error)) from None


def _bounded(lines: Iterable[bytes] | BinaryIO) -> Iterator[bytes]:
    """The lines of a stream, each read up to one byte past the cap (iterating a file would
    read a line whole, however long); other iterables of lines are already in memory."""
    readline = getattr(lines, "readline", None)
    if readline is None:
        yield from lines
        return
    while line := readline(MAX_LINE + 1):
        yield line


def _decode(raw: bytes, number: int, file: str) -> str:
    if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ImportFailed(file, number, f"not valid UTF-8 (byte {error.start + 1})") from None


MAX_DEPTH = 32


def _too_deep(text: str) -> bool:
    """Nesting deeper than any interchange line needs; the JSON decoder would recurse for
    each level. Cheap for ordinary lines, which hold few brackets."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _load(text: str) -> dict[str, Any]:
    if _too_deep(text):
        raise ValueError(f"not valid here: JSON nested more than {MAX_DEPTH} deep")
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {type(value).__name__}")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are all different: with a key given twice, which one the line
    meant is unknowable (json would keep the last)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise InvalidClaim(_shown(key), "given twice")
            seen.add(key)
    return obj


def _shown(key: str) -> str:
    """A key is the user's text: shown quoted unless plainly printable."""
    plain = key.isprintable() and not any(c.isspace() for c in key)
    return key if plain and key else repr(key)


def parse_entry(obj: dict[str, Any], *, today: date, now: datetime, line: int = 0) -> Entry:
    """One interchange object as an Entry, checked by the domain's own rules."""
    kind = obj.get("type")
    if kind not in TYPES:
        raise InvalidClaim("type", f"{kind!r} is not one of {', '.join(TYPES)}")
    unknown = sorted(obj.keys() - _ALLOWED[kind])
    if unknown:
        raise InvalidClaim(_shown(unknown[0]), f"unknown field for a {kind}")
    if kind == "alias":
        item: Any = make_alias(obj.get("kind"), obj.get("name"), obj.get("canonical"))
    elif kind == "unalias":
        item = make_unalias(obj.get("kind"), obj.get("name"))
    elif kind == "recast":
        item = make_recasting(
            obj.get("subject"), obj.get("from"), obj.get("to"), obj.get("role"), obj.get("reason")
        )
    elif kind in ("hide", "unhide"):
        item = make_hiding(
            obj.get("subject"), obj.get("from"), obj.get("to"), kind == "hide", obj.get("reason")
        )
    elif kind == RESTORATION:
        item = make_restoration(obj.get("restores"), obj.get("reason"))
    elif kind == Kind.RETRACTION:
        item = make_retraction(
            obj.get("retracts"), obj.get("reason"), obj.get("date") or today, today
        )
    else:
        move = make_move(obj.get("subject"), obj.get("from"), obj.get("to"), obj.get("role"))
        item = make_claim(
            Kind(kind),
            move,
            source=obj.get("source"),
            cites=obj.get("cites"),
            official=obj.get("official"),
            published=obj.get("date"),
            text=obj.get("claim"),
            url=obj.get("url"),
            today=today,
            amends=obj.get("amends"),
        )
    return Entry(
        item=item,
        event_id=None if obj.get("id") is None else check_event_id("id", obj["id"]),
        recorded_by=None
        if obj.get("recorded_by") is None
        else check_name("recorded_by", obj["recorded_by"]),
        recorded_at=check_recorded_at(obj.get("recorded_at"), now),
        line=line,
    )


def check_recorded_at(value: object, now: datetime) -> datetime | None:
    """An ISO timestamp (UTC if no offset is given), not later than now."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidClaim("recorded_at", "must be an ISO timestamp")
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidClaim("recorded_at", f"{value!r} is not an ISO timestamp") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    try:
        stamp = stamp.astimezone(UTC)
    except OverflowError:
        raise InvalidClaim("recorded_at", f"{value} is out of range") from None
    if stamp.year < EARLIEST.year:
        raise InvalidClaim("recorded_at", f"{value} is before {EARLIEST.year}")
    if stamp > now:
        raise InvalidClaim("recorded_at", f"{value} is in the future")
    return stamp


def dump_line(obj: dict[str, Any]) -> str:
    """One object as one line: keys in the format's order, text kept as typed."""
    return json.dumps(obj, ensure_ascii=False)
