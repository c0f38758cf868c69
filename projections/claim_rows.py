"""The claims read model's rows, decoded straight from stored event states by their topics."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

from eventsourcing.persistence import (
    DatetimeAsISO,
    JSONTranscoder,
    Mapper,
    Notification,
    UUIDAsHex,
)
from eventsourcing.utils import resolve_topic

from rumour_ledger.ledger.aliases import Alias
from rumour_ledger.ledger.application import DateAsISO
from rumour_ledger.ledger.claims import RESTORATION, move_label
from rumour_ledger.ledger.domain import EVENT_BY_KIND, Rumour
from rumour_ledger.ledger.errors import DamagedEvent, StoreError
from rumour_ledger.ledger.names import name_key, optional_key

Row = tuple[Any, ...]
State = dict[str, Any]
UTC_OFFSET = timedelta(0)

# Column orders of the rows below; the inserts name these columns, so order is all they fix.
RUMOUR_COLUMNS = (
    "id",
    "subject",
    "from_club",
    "to_club",
    "role",
    "subject_key",
    "from_key",
    "to_key",
    "label",
    "opened_at",
    "position",
)
CLAIM_COLUMNS = (
    "id",
    "rumour_id",
    "position",
    "kind",
    "source",
    "source_key",
    "cites",
    "cites_key",
    "official",
    "published",
    "claim",
    "url",
    "recorded_by",
    "recorded_at",
    "retracts",
    "reason",
)
AMENDMENT_COLUMNS = ("id", "amends", "position")
HIDING_COLUMNS = ("id", "rumour_id", "hidden", "reason", "position", "recorded_by", "recorded_at")
ALIAS_COLUMNS = (
    "id",
    "alias_id",
    "kind",
    "name",
    "name_key",
    "action",
    "canonical",
    "canonical_key",
    "position",
    "recorded_by",
    "recorded_at",
)
# The transcodings whose stored form rows are read from directly (see StateReader).
PLAIN_TRANSCODINGS = {"uuid_hex": UUIDAsHex, "datetime_iso": DatetimeAsISO, "date_iso": DateAsISO}


def naive_utc(stamp: datetime) -> datetime:
    """Timestamps are stored as naive UTC so SQLite and PostgreSQL compare them alike."""
    if stamp.utcoffset() == UTC_OFFSET:
        return stamp.replace(tzinfo=None)  # already UTC: skip astimezone, the costly part
    return stamp.astimezone(UTC).replace(tzinfo=None)


def moment_text(stamp: datetime) -> str:
    """A timestamp as naive UTC text, exactly as SQLAlchemy writes DateTime to SQLite.

    PostgreSQL parses the same text into TIMESTAMP WITHOUT TIME ZONE, so one row serves both.
    """
    return naive_utc(stamp).isoformat(" ", "microseconds")


def day_text(day: date) -> str:
    """A date as text, exactly as SQLAlchemy writes Date to SQLite (and PostgreSQL reads)."""
    return day.isoformat()


@lru_cache(maxsize=1 << 14)  # a few thousand distinct days cover most ledgers
def _stored_day_text(data: str) -> str:
    return day_text(date.fromisoformat(data))


def hex_of(value: Any) -> str:
    """A UUID field: its stored form {"_type_": "uuid_hex", "_data_": uuid.hex}, or a UUID."""
    return value["_data_"] if type(value) is dict else value.hex


def moment_of(value: Any) -> str:
    """A timestamp field, stored form or datetime, as moment_text."""
    if type(value) is dict:
        data = value["_data_"]
        # DatetimeAsISO wrote datetime.isoformat(): for a time in UTC that is the naive text
        # with "T" for " " and "+00:00" after, and ".ffffff" only if there are microseconds.
        if data.endswith("+00:00"):
            if len(data) == 25:
                return f"{data[:10]} {data[11:19]}.000000"
            if len(data) == 32:
                return f"{data[:10]} {data[11:26]}"
        value = datetime.fromisoformat(data)  # what DatetimeAsISO.decode does
    return moment_text(value)


def day_of(value: Any) -> str:
    """A date field, stored form or date, as day_text."""
    return _stored_day_text(value["_data_"]) if type(value) is dict else day_text(value)


class StateReader:
    """Turns a stored state back into the dict of its event's fields, as the mapper would,
    minus building the event object and, with the JSON transcoder set up as the ledger sets it
    up, minus decoding the typed values: those stay in their stored form and the row
    builders read their data (hex_of, moment_of, day_of accept both forms)."""

    def __init__(self, mapper: Mapper[Any]) -> None:
        self.cipher = mapper.cipher
        self.compressor = mapper.compressor
        transcoder = mapper.transcoder
        if plain_json(transcoder):
            self.decode: Callable[[bytes], State] = _plain_decoder()
        else:
            self.decode = transcoder.decode

    def __call__(self, stored: bytes) -> State:
        if self.cipher:
            stored = self.cipher.decrypt(stored)
        if self.compressor:
            stored = self.compressor.decompress(stored)
        return self.decode(stored)


def plain_json(transcoder: Any) -> bool:
    """True if typed values are stored as the library's JSON transcoder writes them, with the
    transcodings the ledger registers, so their data can be read without decoding them."""
    if type(transcoder) is not JSONTranscoder:
        return False
    names = transcoder.names
    return all(type(names.get(name)) is kind for name, kind in PLAIN_TRANSCODINGS.items())


def _plain_decoder() -> Callable[[bytes], State]:
    decode = json.JSONDecoder().decode

    def plain(stored: bytes) -> State:
        return decode(stored.decode("utf8"))  # as JSONTranscoder.decode, without its hook

    return plain


@dataclass
class Batch:
    """The rows that one slice of the notification log adds to the read model."""

    rumours: list[Row] = field(default_factory=list)
    claims: list[Row] = field(default_factory=list)
    retractions: list[dict[str, Any]] = field(default_factory=list)
    aliases: list[dict[str, Any]] = field(default_factory=list)
    # (rumour id, role) of each recast, in log order: the latest of a rumour wins.
    recasts: list[tuple[str, str]] = field(default_factory=list)
    # (claim id, the id it amends, position) of each amendment's corrected claim.
    amendments: list[Row] = field(default_factory=list)
    hidings: list[Row] = field(default_factory=list)

    def __len__(self) -> int:
        return (
            len(self.rumours)
            + len(self.claims)
            + len(self.aliases)
            + len(self.recasts)
            + len(self.hidings)
        )

    def add(self, topic: str, state: State, originator: str, position: int) -> None:
        """Add the rows of one stored event: its topic, its state, its stream's id in hex."""
        kind = CLAIM_KINDS.get(topic)
        if kind is not None:
            self.claims.append(claim_row(state, originator, position, kind))
            amends = state.get("amends")  # absent from claims stored before amendments
            if amends is not None:
                self.amendments.append((hex_of(state["claim_id"]), hex_of(amends), position))
        elif topic == OPENED:
            self.rumours.append(opened_row(state, originator, position))
        elif topic == RETRACTED:
            self.claims.append(retraction_row(state, originator, position))
            self.retractions.append(
                {
                    "target": hex_of(state["retracts"]),
                    "retracted_by": hex_of(state["claim_id"]),
                    "retracted_at": moment_of(state["timestamp"]),
                }
            )
        elif topic == RESTORED:
            self.claims.append(restoration_row(state, originator, position))
            # In log order with the retractions: a claim retracted, restored and retracted
            # again in one batch ends retracted.
            self.retractions.append(
                {
                    "target": None,
                    "restores": hex_of(state["restores"]),
                    "retracted_by": hex_of(state["claim_id"]),
                    "retracted_at": moment_of(state["timestamp"]),
                }
            )
        elif topic in ALIAS_TOPICS:
            self.aliases.append(alias_row(state, originator, position, topic))
        elif topic in HIDING_TOPICS:
            self.hidings.append(
                (
                    hex_of(state["event_id"]),
                    originator,
                    topic == HIDDEN,
                    state["reason"],
                    position,
                    state["recorded_by"],
                    moment_of(state["timestamp"]),
                )
            )
        elif topic == RECAST:
            self.recasts.append((originator, state["role"]))
        else:
            self.add(known_topic(topic), state, originator, position)

    def add_notification(self, notification: Notification, read: StateReader) -> None:
        stream = notification.originator_id.hex  # type: ignore[union-attr]
        try:
            state = read(notification.state)
        except ValueError as error:  # bad JSON, or not UTF-8 (UnicodeDecodeError)
            problem = f"{type(error).__name__}: {str(error).splitlines()[0]}"
            raise DamagedEvent(stream, notification.originator_version, problem) from None
        self.add(notification.topic, state, stream, notification.id)


OPENED = Rumour.Opened.TOPIC
RETRACTED = Rumour.Retracted.TOPIC
RECAST = Rumour.Recast.TOPIC
RESTORED = Rumour.Restored.TOPIC
HIDDEN = Rumour.Hidden.TOPIC
HIDING_TOPICS = {HIDDEN, Rumour.Unhidden.TOPIC}
CLAIM_KINDS = {cls.TOPIC: kind.value for kind, cls in EVENT_BY_KIND.items()}
ALIAS_TOPICS = {cls.TOPIC for cls in (Alias.Declared, Alias.Redeclared, Alias.Removed)}
ROW_TOPICS = {OPENED, RETRACTED, RESTORED, *HIDING_TOPICS, RECAST, *CLAIM_KINDS, *ALIAS_TOPICS}


@lru_cache(maxsize=64)
def known_topic(topic: str) -> str:
    """The current topic of an event stored under an older one the library still resolves."""
    try:
        cls = resolve_topic(topic)
    except Exception:  # the library raises several kinds for a topic it cannot resolve
        cls = None
    current = getattr(cls, "TOPIC", None)
    if current == topic or current not in ROW_TOPICS:
        raise StoreError(f"the ledger holds an event of unknown topic {topic!r}")
    return str(current)


def opened_row(state: State, rumour_id: str, position: int) -> Row:
    subject, from_, to = state["subject"], state["from_"], state["to"]
    return (
        rumour_id,
        subject,
        from_,
        to,
        state["role"],
        name_key(subject),
        optional_key(from_),
        optional_key(to),
        move_label(subject, from_, to),
        moment_of(state["timestamp"]),
        position,
    )


def claim_row(state: State, rumour_id: str, position: int, kind: str) -> Row:
    source, cites = state["source"], state["cites"]
    return (
        hex_of(state["claim_id"]),
        rumour_id,
        position,
        kind,
        source,
        name_key(source),
        cites,
        optional_key(cites),
        state["official"],
        day_of(state["published"]),
        state["claim"],
        state["url"],
        state["recorded_by"],
        moment_of(state["timestamp"]),
        None,
        None,
    )


def retraction_row(state: State, rumour_id: str, position: int) -> Row:
    return (
        hex_of(state["claim_id"]),
        rumour_id,
        position,
        "retraction",
        None,
        None,
        None,
        None,
        False,
        day_of(state["published"]),
        None,
        None,
        state["recorded_by"],
        moment_of(state["timestamp"]),
        hex_of(state["retracts"]),
        state["reason"],
    )


def restoration_row(state: State, rumour_id: str, position: int) -> Row:
    """A restoration: `retracts` holds the retraction it undoes; its day is its recording's."""
    recorded_at = moment_of(state["timestamp"])
    return (
        hex_of(state["claim_id"]),
        rumour_id,
        position,
        RESTORATION,
        None,
        None,
        None,
        None,
        False,
        recorded_at[:10],
        None,
        None,
        state["recorded_by"],
        recorded_at,
        hex_of(state["restores"]),
        state["reason"],
    )


def alias_row(state: State, alias_id: str, position: int, topic: str) -> dict[str, Any]:
    """An alias event; a redeclaration or removal takes its kind and name from its stream."""
    declared = topic == Alias.Declared.TOPIC
    canonical = None if topic == Alias.Removed.TOPIC else state["canonical"]
    return {
        "id": hex_of(state["event_id"]),
        "alias_id": alias_id,
        "kind": state["kind"] if declared else None,
        "name": state["name"] if declared else None,
        "name_key": name_key(state["name"]) if declared else None,
        "action": "unalias" if canonical is None else "alias",
        "canonical": canonical,
        "canonical_key": optional_key(canonical),
        "position": position,
        "recorded_by": state["recorded_by"],
        "recorded_at": moment_of(state["timestamp"]),
    }
