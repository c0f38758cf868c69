"""Verification of a ledger from its stored rows alone, and the ledger-wide digest.

Every stored event carries `digest`, the seal (ledger/chain.py) of its topic, stream, version,
recorded-at time and fields, chained to the digest of the event before it in its stream (the
first to GENESIS). `verify` recomputes every seal from the raw rows, with nothing decoded by
the application: it needs only the rows and the event classes' field lists.

The ledger digest is a hash chain over the whole log, in log (notification) order:

    D(0) = 64 zeros;  D(n) = SHA-256(D(n-1) || H(row n))

where H(row) is SHA-256 over the row's stream id, version, topic and stored state bytes, each
length-prefixed. It is printed as `rl1:N:D(N)`. Because it covers every stored byte in order,
and the chain is prefix-checkable, `verify --digest rl1:N:X` can tell "unchanged", "events
added since (the first N are as they were)" and "events removed, altered or reordered".
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rumour_ledger.ledger.chain import GENESIS, seal
from rumour_ledger.ledger.errors import LedgerError
from rumour_ledger.ledger.store import Store, no_ledger

DIGEST_SCHEME = "rl1"
# ASCII digits only (str.isdigit takes any script's), and few enough for any real ledger.
DIGEST_COUNT = re.compile(r"[0-9]{1,19}")
ZERO = bytes(32)
HEX64 = re.compile(r"[0-9a-f]{64}")
HEX32 = re.compile(r"[0-9a-f]{32}")
_DIGEST_IN_BYTES = re.compile(rb'"digest":"([0-9a-f]{64})"')
MAX_SEARCHES = 200  # failing events for which a misplaced link is looked for
MAX_GAP_LISTED = 20  # a longer run of missing versions is named as one
MAX_ADDED_LISTED = 1_000

REASONS = {
    "undecodable": "its stored bytes do not decode as an event of its type",
    "not-canonical": "its stored bytes differ from the canonical encoding of what they say",
    "unknown-topic": "its topic is not an event type of the ledger, or not of this stream",
    "digest-mismatch": "its stored digest does not seal its content after its predecessor",
    "broken-link": "it is sealed, but at another place in its stream than where it is stored",
    "missing": "this version of the stream is not stored, though later ones are",
    "out-of-order": "it comes after a later version of its stream in the log",
    "duplicate-id": "its event id is also the id of another stored event",
}


# What the ledger's events look like, from the domain's own event classes ------------------


@dataclass(frozen=True, slots=True)
class EventType:
    """One stored event type: the keys of its state, in order, and the fields it seals."""

    topic: str
    aggregate: str  # the topic of the aggregate whose streams it belongs to
    kind: str  # "rumour", "alias", ...
    keys: tuple[str, ...]
    sealed: tuple[str, ...]
    types: dict[str, tuple[type, ...]]
    creates: bool
    id_field: str | None
    # Fields added to a type after events of it were stored: such an older event has none,
    # is sealed without them, and reads as the class default.
    optional: frozenset[str] = frozenset()

    def expected(self, values: dict[str, Any]) -> tuple[str, ...]:
        """The keys a state of this type must have, in order, given the ones it has."""
        return tuple(k for k in self.keys if k in values or k not in self.optional)


_TYPES: dict[str, type] = {
    "str": str,
    "None": type(None),
    "bool": bool,
    "int": int,
    "date": date,
    "datetime": datetime,
    "UUID": uuid.UUID,
    "uuid.UUID": uuid.UUID,
}


def _types(annotation: object) -> tuple[type, ...]:
    names = [part.strip() for part in str(annotation).split("|")]
    if not all(name in _TYPES for name in names):
        return ()
    return tuple(_TYPES[name] for name in names)


def event_types() -> dict[str, EventType]:
    """Every sealed event type of the ledger's aggregates, by topic."""
    from eventsourcing.domain import Aggregate

    import rumour_ledger.ledger.application  # noqa: F401  (loads every aggregate of the ledger)

    found: dict[str, EventType] = {}
    for aggregate in _subclasses(Aggregate):
        if not aggregate.__module__.startswith("rumour_ledger.ledger.") or "TOPIC" not in vars(
            aggregate
        ):
            continue
        for member in vars(aggregate).values():
            if not (isinstance(member, type) and issubclass(member, Aggregate.Event)):
                continue
            topic = getattr(member, "TOPIC", None)  # eventsourcing re-creates the classes
            described = dataclasses.fields(member)
            fields = {f.name: f.type for f in described}
            if not topic or "digest" not in fields:
                continue  # only sealed events are ever stored
            keys = tuple(k for k in fields if k not in ("originator_id", "originator_version"))
            sealed = tuple(k for k in keys if k not in ("timestamp", "originator_topic", "digest"))
            found[topic] = EventType(
                topic=topic,
                aggregate=aggregate.TOPIC,
                kind=aggregate.__name__.lower(),
                keys=keys,
                sealed=sealed,
                types={k: _types(fields[k]) for k in sealed},
                creates="originator_topic" in keys,
                id_field=next((k for k in ("claim_id", "event_id") if k in sealed), None),
                optional=frozenset(
                    f.name for f in described if f.default is not dataclasses.MISSING
                ),
            )
    return found


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_subclasses(sub))
    return out


# Decoding a stored state strictly, as eventsourcing's JSON transcoder writes it ------------


class Undecodable(Exception):
    pass


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "datetime_iso": datetime.fromisoformat,
    "date_iso": date.fromisoformat,
    "uuid_hex": uuid.UUID,
    "decimal_str": Decimal,
}


def _pairs(pairs: list[tuple[str, Any]]) -> Any:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise Undecodable("a key appears twice")
    obj = dict(pairs)
    if len(obj) == 2 and "_type_" in obj and "_data_" in obj:
        decoder = _DECODERS.get(obj["_type_"]) if isinstance(obj["_type_"], str) else None
        if decoder is None or not isinstance(obj["_data_"], str):
            raise Undecodable(f"unknown encoded type {obj['_type_']!r}")
        try:
            return decoder(obj["_data_"])
        except (ValueError, ArithmeticError):
            raise Undecodable(f"bad {obj['_type_']} value {obj['_data_']!r}") from None
    return obj


def _encode_special(obj: Any) -> dict[str, Any]:
    if isinstance(obj, datetime):
        return {"_type_": "datetime_iso", "_data_": obj.isoformat()}
    if isinstance(obj, date):
        return {"_type_": "date_iso", "_data_": obj.isoformat()}
    if isinstance(obj, uuid.UUID):
        return {"_type_": "uuid_hex", "_data_": obj.hex}
    if isinstance(obj, Decimal):
        return {"_type_": "decimal_str", "_data_": str(obj)}
    raise TypeError(type(obj).__name__)


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=_encode_special)


def decode_state(state: object) -> dict[str, Any]:
    """A stored state as values; raises Undecodable for anything eventsourcing would not read."""
    if not isinstance(state, bytes):
        raise Undecodable(f"stored as {type(state).__name__}, not bytes")
    try:
        text = state.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Undecodable(f"not UTF-8 (byte {error.start + 1})") from None
    try:
        value = json.loads(text, object_pairs_hook=_pairs)
    except (json.JSONDecodeError, RecursionError) as error:
        raise Undecodable(f"not JSON ({getattr(error, 'msg', error)})") from None
    if not isinstance(value, dict):
        raise Undecodable("not a JSON object")
    return value


def encode_state(values: dict[str, Any]) -> bytes:
    return _ENCODER.encode(values).encode("utf-8")


# The findings ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Damage:
    """One damaged (or missing) stored event."""

    stream: str
    kind: str
    label: str
    version: int | None
    position: int | None
    reason: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "kind": self.kind,
            "label": self.label,
            "version": self.version,
            "position": self.position,
            "reason": self.reason,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class Since:
    """How the ledger compares with a digest taken earlier."""

    digest: str
    events_then: int
    events_now: int
    prefix_intact: bool
    added: list[tuple[str, int]] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return self.prefix_intact and self.events_now == self.events_then

    def message(self) -> str:
        if self.unchanged:
            return f"the ledger matches digest {self.digest} ({self.events_then} events)"
        if self.events_now < self.events_then:
            return (
                f"{_n(self.events_then - self.events_now, 'event')} removed since the digest: "
                f"it covered {self.events_then}, the ledger now holds {self.events_now}"
            )
        if self.prefix_intact:
            return (
                f"{_n(self.events_now - self.events_then, 'event')} added since the digest: "
                f"the {self.events_then} it covered are unchanged, the ledger now holds "
                f"{self.events_now}"
            )
        return (
            f"the ledger no longer matches the digest: of its first {self.events_then} events, "
            "some were removed, altered, inserted or reordered since"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "digest": self.digest,
            "unchanged": self.unchanged,
            "events_then": self.events_then,
            "events_now": self.events_now,
            "first_events_unchanged": self.prefix_intact,
            "added": [{"stream": s, "version": v} for s, v in self.added],
            "message": self.message(),
        }


@dataclass
class Report:
    """What verification found."""

    events: int = 0
    streams: int = 0
    digest: str = ""
    damaged: list[Damage] = field(default_factory=list)
    unverified: int = 0
    guard_problems: list[str] = field(default_factory=list)
    since: Since | None = None

    @property
    def ok(self) -> bool:
        since_ok = self.since is None or self.since.unchanged
        return not self.damaged and not self.guard_problems and since_ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "streams": self.streams,
            "digest": self.digest,
            "damaged": [d.to_dict() for d in self.damaged],
            "unverified": self.unverified,
            "guards": {"ok": not self.guard_problems, "problems": self.guard_problems},
            "since": None if self.since is None else self.since.to_dict(),
        }


# The ledger digest ----------------------------------------------------------------------


def _part(value: object) -> bytes:
    if value is None:
        data = b"N"
    elif isinstance(value, bytes | bytearray | memoryview):
        data = b"B" + bytes(value)
    elif isinstance(value, str):
        data = b"S" + value.encode("utf-8", "surrogatepass")
    else:
        data = b"R" + repr(value).encode("utf-8", "surrogatepass")
    return len(data).to_bytes(8, "big") + data


def row_hash(stream: object, version: object, topic: object, state: object) -> bytes:
    return hashlib.sha256(b"".join(_part(v) for v in (stream, version, topic, state))).digest()


class LogChain:
    """D(n) = SHA-256(D(n-1) || H(row n)), over the rows in log order."""

    def __init__(self) -> None:
        self.value = ZERO
        self.count = 0

    def add(self, stream: object, version: object, topic: object, state: object) -> None:
        self.value = hashlib.sha256(self.value + row_hash(stream, version, topic, state)).digest()
        self.count += 1

    @property
    def digest(self) -> str:
        return format_digest(self.count, self.value.hex())


def format_digest(count: int, hex_value: str) -> str:
    return f"{DIGEST_SCHEME}:{count}:{hex_value}"


def parse_digest(text: str) -> tuple[int, str]:
    """`rl1:N:HEX` as (N, HEX); a LedgerError for anything else."""
    parts = text.strip().split(":")
    if (
        len(parts) != 3
        or parts[0] != DIGEST_SCHEME
        or not DIGEST_COUNT.fullmatch(parts[1])
        or not HEX64.fullmatch(parts[2].lower())
    ):
        shown = text.strip() if len(text.strip()) <= 100 else text.strip()[:100] + "..."
        raise LedgerError(
            f"{shown!r} is not a ledger digest: expected {DIGEST_SCHEME}:EVENTS:HEX, "
            "as `rumour digest` prints it"
        )
    return int(parts[1]), parts[2].lower()


# Verification -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Event:
    position: int | None
    stream: str
    version: int
    etype: EventType | None
    values: dict[str, Any] | None  # decoded state, when it decodes
    stored: str | None  # the stored digest (found even in undecodable bytes when possible)
    problem: tuple[str, str] | None  # (reason, detail) found from the row alone


@dataclass
class _Stream:
    id: str
    kind: str = "stream"
    aggregate: str | None = None
    label: str = ""
    next: int = 1
    prev: list[str] | None = field(default_factory=lambda: [GENESIS])
    pending: dict[int, _Event] = field(default_factory=dict)
    max_logged: int = 0
    digests: dict[str, int] = field(default_factory=dict)  # stored digest -> version
    failures: list[_Event] = field(default_factory=list)


class Verifier:
    """Feed it every stored row in log order; then `finish` gives the report."""

    def __init__(self, types: dict[str, EventType] | None = None, since: str | None = None):
        self.types = event_types() if types is None else types
        self.since = None if since is None else (since.strip(), *parse_digest(since))
        self.chain = LogChain()
        self.at_since = ZERO if self.since is not None and self.since[1] == 0 else None
        self.added: list[tuple[str, int]] = []
        self.streams: dict[str, _Stream] = {}
        self.report = Report()
        self.ids: dict[str, tuple[str, int]] = {}
        self.searches = 0

    # feeding ------------------------------------------------------------------------------

    def add(
        self, position: int | None, stream: object, version: object, topic: object, state: object
    ) -> None:
        self.chain.add(stream, version, topic, state)
        if self.since is not None:
            if self.chain.count == self.since[1]:
                self.at_since = self.chain.value
            elif self.chain.count > self.since[1] and len(self.added) < MAX_ADDED_LISTED:
                self.added.append((str(stream), version if isinstance(version, int) else -1))
        event = self._decode(position, stream, version, topic, state)
        if event is None:
            return
        st = self.streams.setdefault(event.stream, _Stream(event.stream))
        if event.version <= st.max_logged:
            self._damage(
                st, event, "out-of-order", f"stored in the log after version {st.max_logged}"
            )
        st.max_logged = max(st.max_logged, event.version)
        if event.version in st.pending or event.version < st.next:
            self._damage(st, event, "undecodable", "a second event with this version")
            return
        st.pending[event.version] = event
        self._drain(st)

    def _decode(
        self, position: int | None, stream: object, version: object, topic: object, state: object
    ) -> _Event | None:
        stream_id = stream if isinstance(stream, str) else repr(stream)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            st = self.streams.setdefault(stream_id, _Stream(stream_id))
            self.report.damaged.append(
                Damage(
                    stream_id,
                    st.kind,
                    st.label,
                    None,
                    position,
                    "undecodable",
                    f"version {version!r} is not a positive whole number",
                )
            )
            return None
        event = _Event(position, stream_id, version, None, None, None, None)
        if isinstance(state, bytes):
            found = _DIGEST_IN_BYTES.findall(state)
            event.stored = found[-1].decode() if found else None
        if not HEX32.fullmatch(stream_id):
            event.problem = ("undecodable", f"stream id {stream!r} is not 32 hex digits")
            return event
        etype = self.types.get(topic) if isinstance(topic, str) else None
        if etype is None:
            event.problem = ("unknown-topic", f"topic {topic!r}")
            return event
        event.etype = etype
        try:
            values = decode_state(state)
            self._check_shape(etype, values)
        except Undecodable as error:
            event.problem = ("undecodable", str(error))
            return event
        event.values = values
        event.stored = values["digest"]
        assert isinstance(state, bytes)
        if encode_state(values) != state:
            event.problem = ("not-canonical", "the same values encode to other bytes")
        return event

    @staticmethod
    def _check_shape(etype: EventType, values: dict[str, Any]) -> None:
        keys = tuple(values)
        expected = etype.expected(values)
        if keys != expected:
            missing = [k for k in expected if k not in values]
            extra = [k for k in keys if k not in etype.keys]
            if missing or extra:
                what = [f"missing {k!r}" for k in missing] + [f"unexpected {k!r}" for k in extra]
                raise Undecodable("fields differ: " + ", ".join(what))
            raise Undecodable("fields are out of their order")
        stamp = values["timestamp"]
        if not isinstance(stamp, datetime) or stamp.tzinfo is None:
            raise Undecodable("timestamp is not a date and time with an offset")
        if not isinstance(values["digest"], str) or not HEX64.fullmatch(values["digest"]):
            raise Undecodable("digest is not 64 hex digits")
        if etype.creates and values["originator_topic"] != etype.aggregate:
            raise Undecodable(f"originator_topic is not {etype.aggregate!r}")
        for name in etype.sealed:
            if name not in values:
                continue  # an optional field an older event has not got
            allowed = etype.types.get(name)
            value = values[name]
            if allowed and not _is_a(value, allowed):
                raise Undecodable(f"field {name!r} has the wrong type ({type(value).__name__})")

    # linking each stream in version order ---------------------------------------------------

    def _drain(self, st: _Stream) -> None:
        while st.next in st.pending:
            self._link(st, st.pending.pop(st.next))
            st.next += 1

    def _link(self, st: _Stream, event: _Event) -> None:
        prev, st.prev = st.prev, None
        if event.stored is not None:
            st.digests.setdefault(event.stored, event.version)
        if event.etype is not None and event.values is not None:
            self._place(st, event)
        if event.problem is not None:
            self._damage(st, event, *event.problem)
            if event.values is None:
                st.prev = None if event.stored is None else [event.stored]
                return
        assert event.values is not None and event.etype is not None
        self._check_id(st, event)
        if prev is None:
            self.report.unverified += 1  # its predecessor is missing or unreadable
            st.prev = [event.stored] if event.stored else None
            return
        for candidate in prev:
            if self._seal(event, candidate, event.version) == event.stored:
                st.prev = [event.stored]
                return
        computed = self._seal(event, prev[0], event.version)
        st.prev = [d for d in (event.stored, computed) if d]
        if event.problem is None:
            self._damage(st, event, "digest-mismatch", "content or digest changed since sealed")
            st.failures.append(event)

    def _place(self, st: _Stream, event: _Event) -> None:
        """Checks that belong to a stream: it opens with a creation event, all of one kind."""
        etype, values = event.etype, event.values
        assert etype is not None and values is not None
        if event.version == 1:
            if etype.creates:
                st.kind, st.aggregate = etype.kind, etype.aggregate
                st.label = _label(values)
            elif event.problem is None:
                event.problem = (
                    "broken-link",
                    f"a stream must open with a creation event, not {etype.topic}",
                )
        elif etype.creates and event.problem is None:
            event.problem = (
                "broken-link",
                f"a creation event ({etype.topic}) at version {event.version}",
            )
        if st.aggregate is not None and etype.aggregate != st.aggregate and event.problem is None:
            event.problem = ("unknown-topic", f"{etype.topic} in a {st.kind} stream")

    def _check_id(self, st: _Stream, event: _Event) -> None:
        etype, values = event.etype, event.values
        assert etype is not None and values is not None
        if etype.id_field is None:
            return
        key = str(values[etype.id_field])
        other = self.ids.setdefault(key, (st.id, event.version))
        if other != (st.id, event.version):
            self._damage(
                st,
                event,
                "duplicate-id",
                f"{etype.id_field} {key} is also at {other[0]} version {other[1]}",
            )

    @staticmethod
    def _seal(event: _Event, previous: str, version: int) -> str:
        etype, values = event.etype, event.values
        assert etype is not None and values is not None
        # Sealed as the domain sealed it: an older event without an optional field, without it.
        fields = {name: values[name] for name in etype.sealed if name in values}
        return seal(
            previous, etype.topic, uuid.UUID(event.stream), version, values["timestamp"], fields
        )

    def _damage(self, st: _Stream, event: _Event, reason: str, detail: str) -> None:
        self.report.damaged.append(
            Damage(st.id, st.kind, st.label, event.version, event.position, reason, detail)
        )

    # the end ------------------------------------------------------------------------------

    def finish(self) -> Report:
        for st in self.streams.values():
            while st.pending:
                first = min(st.pending)
                self._missing(st, st.next, first - 1)
                st.next, st.prev = first, None
                self._drain(st)
            for event in st.failures:
                if self.searches < MAX_SEARCHES:
                    self.searches += 1
                    self._explain(st, event)
        self.report.damaged.sort(key=_order)
        self.report.events = self.chain.count
        self.report.streams = len(self.streams)
        self.report.digest = self.chain.digest
        if self.since is not None:
            text, count, value = self.since
            intact = self.at_since is not None and self.at_since.hex() == value
            self.report.since = Since(text, count, self.chain.count, intact, self.added)
        return self.report

    def _missing(self, st: _Stream, first: int, last: int) -> None:
        """Name each missing version; a long gap (a forged far version) by its first."""
        if last - first >= MAX_GAP_LISTED:
            detail = f"versions {first} to {last} are not stored, though later ones are"
            self.report.damaged.append(
                Damage(st.id, st.kind, st.label, first, None, "missing", detail)
            )
            return
        for version in range(first, last + 1):
            self.report.damaged.append(
                Damage(st.id, st.kind, st.label, version, None, "missing", "not stored")
            )

    def _explain(self, st: _Stream, event: _Event) -> None:
        """A failing event sealed at another place of its stream is a broken link, not edited."""
        candidates = [(GENESIS, 0), *st.digests.items()]
        for previous, at in candidates:
            for version in {at + 1, event.version - 1, event.version, event.version + 1}:
                if version < 1 or previous == event.stored:
                    continue
                if self._seal(event, previous, version) != event.stored:
                    continue
                where = "the start of its stream" if at == 0 else f"the event now at version {at}"
                detail = f"sealed as version {version}, after {where}"
                for i, damage in enumerate(self.report.damaged):
                    if (damage.stream, damage.version, damage.reason) == (
                        st.id,
                        event.version,
                        "digest-mismatch",
                    ):
                        self.report.damaged[i] = dataclasses.replace(
                            damage, reason="broken-link", detail=detail
                        )
                return


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _order(damage: Damage) -> tuple[str, int, int]:
    return (damage.stream, damage.version or 0, damage.position or 0)


def _is_a(value: object, allowed: tuple[type, ...]) -> bool:
    for kind in allowed:
        if kind is date and isinstance(value, datetime):
            continue
        if kind is int and isinstance(value, bool):
            continue
        if isinstance(value, kind):
            return True
    return False


def _label(values: dict[str, Any]) -> str:
    if isinstance(values.get("subject"), str):
        from rumour_ledger.ledger.claims import move_label

        return move_label(values["subject"], values.get("from_"), values.get("to"))
    if isinstance(values.get("name"), str):
        return f"{values.get('kind')} {values['name']}"
    return ""


def verify_rows(
    rows: Iterable[Any],
    *,
    since: str | None = None,
    guard_problems: list[str] | None = None,
    types: dict[str, EventType] | None = None,
) -> Report:
    """Verify rows (position, stream, version, topic, state) given in log order."""
    verifier = Verifier(types, since)
    for row in rows:
        verifier.add(row.position, row.stream, row.version, row.topic, row.state)
    report = verifier.finish()
    report.guard_problems = list(guard_problems or [])
    return report


def ledger_digest(rows: Iterable[Any]) -> tuple[str, int]:
    """The ledger digest and the number of streams, from rows in log order."""
    chain = LogChain()
    streams = set()
    for row in rows:
        chain.add(row.stream, row.version, row.topic, row.state)
        streams.add(row.stream if isinstance(row.stream, str) else repr(row.stream))
    return chain.digest, len(streams)


def verify_store(store: Store, since: str | None = None) -> Report:
    """Verify the ledger at a store from its raw rows, read-only, in one snapshot."""
    from rumour_ledger.ledger.raw import open_raw

    if since is not None:
        parse_digest(since)  # a malformed digest is refused before any reading
    with open_raw(store) as raw:
        if not raw.has_events_table():
            raise no_ledger(store)
        problems = raw.guard_problems()
        return verify_rows(raw.events(), since=since, guard_problems=problems)


def digest_store(store: Store) -> tuple[str, int]:
    """The ledger digest of the ledger at a store, and how many streams it has."""
    from rumour_ledger.ledger.raw import open_raw

    with open_raw(store) as raw:
        if not raw.has_events_table():
            raise no_ledger(store)
        return ledger_digest(raw.events())
