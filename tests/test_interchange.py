"""Reading the interchange format: every bad line is named by file, line and field."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

import pytest

from rumour_ledger.ledger.errors import ImportFailed
from rumour_ledger.ledger.interchange import read_entries

TODAY = date(2026, 1, 15)
NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)
GOOD = {
    "type": "report",
    "subject": "Xabi Alonso",
    "from": "Bayer Leverkusen",
    "to": "Real Madrid",
    "role": "coach",
    "source": "SPOX",
    "cites": "Sport",
    "date": "2024-10-28",
}


def parse(raw: bytes, name: str = "in.jsonl"):
    return list(read_entries(io.BytesIO(raw), name, today=TODAY, now=NOW))


def with_line(obj) -> bytes:
    return (json.dumps(GOOD) + "\n" + json.dumps(obj) + "\n").encode()


def test_a_good_line_becomes_an_entry_with_its_line_number():
    (entry,) = parse((json.dumps(GOOD) + "\n").encode())
    assert entry.line == 1
    assert entry.item.cites == "Sport"
    assert entry.item.official is False


def test_blank_lines_and_a_byte_order_mark_are_tolerated():
    raw = b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\n\n   \n"
    assert len(parse(raw)) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"date": "2024-02-30"}, "in.jsonl:2: field date: '2024-02-30' is not a real"),
        ({"type": "rumour"}, "in.jsonl:2: field type: 'rumour' is not one of"),
        ({"colour": "red"}, "in.jsonl:2: field colour: unknown field"),
        ({"official": "yes"}, "in.jsonl:2: field official: must be true or false"),
        ({"subject": ""}, "in.jsonl:2: field subject: must not be empty"),
        ({"from": None, "to": None}, "in.jsonl:2: field to: a move needs"),
        ({"url": "ftp://x.org"}, "in.jsonl:2: field url:"),
        ({"role": "boss"}, "in.jsonl:2: field role:"),
        ({"recorded_at": "yesterday"}, "in.jsonl:2: field recorded_at:"),
        (
            {"recorded_at": "2027-01-01T00:00:00+00:00"},
            "in.jsonl:2: field recorded_at:",
        ),
        ({"id": "not-an-id"}, "in.jsonl:2: field id:"),
        ({"source": ["Sport"]}, "in.jsonl:2: field source: must be text"),
    ],
)
def test_a_bad_field_is_named_with_file_and_line(change, message):
    with pytest.raises(ImportFailed) as caught:
        parse(with_line({**GOOD, **change}))
    assert str(caught.value).startswith(message)


def test_a_retraction_takes_only_its_own_fields():
    retraction = {"type": "retraction", "retracts": "0" * 32, "reason": "x", "to": "Y"}
    with pytest.raises(ImportFailed, match=r"in\.jsonl:2: field to: unknown field"):
        parse(with_line(retraction))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"type": "report"\n', "in.jsonl:1: not valid JSON"),
        (b"[1, 2]\n", "in.jsonl:1: expected a JSON object"),
        (json.dumps(GOOD).encode() + b"\n\xff\xfe\n", "in.jsonl:2: not valid UTF-8"),
        (json.dumps(GOOD)[:-5].encode(), "in.jsonl:1: not valid JSON"),
    ],
)
def test_broken_lines_are_named(raw, message):
    with pytest.raises(ImportFailed) as caught:
        parse(raw)
    assert str(caught.value).startswith(message)


def test_a_key_given_twice_is_refused_naming_it():
    text = json.dumps(GOOD)[:-1] + ', "source": "Marca"}'
    with pytest.raises(ImportFailed, match=r"^in\.jsonl:2: field source: given twice$"):
        parse((json.dumps(GOOD) + "\n" + text + "\n").encode())


class Endless(io.RawIOBase):
    """A stream of one line that never ends, counting what was read from it."""

    def __init__(self) -> None:
        self.read_so_far = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        buffer[:] = b"x" * len(buffer)
        self.read_so_far += len(buffer)
        return len(buffer)


def test_a_line_longer_than_the_cap_is_refused_without_reading_it_whole():
    from rumour_ledger.ledger.interchange import MAX_LINE

    endless = Endless()
    stream = io.BufferedReader(endless)
    with pytest.raises(ImportFailed, match=r"^in\.jsonl:1: line is longer than 1 MiB"):
        list(read_entries(stream, "in.jsonl", today=TODAY, now=NOW))
    assert endless.read_so_far < 2 * MAX_LINE


def test_a_line_just_under_the_cap_is_read():
    from rumour_ledger.ledger.interchange import MAX_LINE

    line = json.dumps(GOOD)
    padded = line + " " * (MAX_LINE - len(line) - 1) + "\n"
    assert len(padded) == MAX_LINE
    (entry,) = parse(padded.encode())
    assert entry.item.source == "SPOX"
