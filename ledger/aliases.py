"""The Alias aggregate: one name declared to mean another, by events audited and replayed."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from rumour_ledger.ledger.chain import GENESIS, seal
from rumour_ledger.ledger.claims import NAMESPACE, check_name
from rumour_ledger.ledger.errors import InvalidClaim
from rumour_ledger.ledger.names import name_key


class AliasKind(StrEnum):
    """What a name names: a source (outlet, journalist), a club, or a person."""

    SOURCE = "source"
    CLUB = "club"
    PERSON = "person"


def check_kind(value: object) -> AliasKind:
    try:
        return AliasKind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in AliasKind)
        raise InvalidClaim("kind", f"{value!r} is not one of {allowed}") from None


def alias_id(kind: AliasKind, name: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, json.dumps(["alias", kind.value, name_key(name)]))


def check_alias(kind: object, name: object, canonical: object) -> tuple[AliasKind, str, str]:
    """An alias from typed values: two names that differ once case and accents are folded."""
    checked = check_kind(kind), check_name("name", name), check_name("canonical", canonical)
    if name_key(checked[1]) == name_key(checked[2]):
        raise InvalidClaim("canonical", "a name cannot be an alias of itself")
    return checked


class Alias(Aggregate):
    """Whether a name stands for another name, and which; changed only by new events."""

    TOPIC = "rumour-ledger:Alias"

    class Created(Aggregate.Created):
        """The library's base creation event; aliases are created by Declared."""

        TOPIC = "rumour-ledger:Alias.Created"

    class Declared(Created):
        TOPIC = "rumour-ledger:Alias.Declared"
        event_id: uuid.UUID
        kind: str
        name: str
        canonical: str
        recorded_by: str
        digest: str

    class Redeclared(Aggregate.Event):
        TOPIC = "rumour-ledger:Alias.Redeclared"
        event_id: uuid.UUID
        canonical: str
        recorded_by: str
        digest: str

    class Removed(Aggregate.Event):
        TOPIC = "rumour-ledger:Alias.Removed"
        event_id: uuid.UUID
        recorded_by: str
        digest: str

    @staticmethod
    def create_id(kind: str, name: str) -> uuid.UUID:
        return alias_id(AliasKind(kind), name)

    @classmethod
    def declare(
        cls,
        kind: AliasKind,
        name: str,
        canonical: str,
        recorded_by: str,
        recorded_at: datetime,
        event_id: uuid.UUID | None = None,
    ) -> Alias:
        fields: dict[str, Any] = {
            "event_id": event_id or _event_id("alias", kind, name, canonical, 1),
            "kind": kind.value,
            "name": name,
            "canonical": canonical,
            "recorded_by": recorded_by,
        }
        digest = seal(GENESIS, cls.Declared.TOPIC, alias_id(kind, name), 1, recorded_at, fields)
        return cls(timestamp=recorded_at, digest=digest, **fields)

    @event(Declared)
    def __init__(
        self,
        event_id: uuid.UUID,
        kind: str,
        name: str,
        canonical: str,
        recorded_by: str,
        digest: str,
        timestamp: datetime,
    ) -> None:
        self.kind = kind
        self.name = name
        self.canonical: str | None = canonical
        self.head = digest
        self.event_ids = [event_id.hex]

    def holds(self, event_id: uuid.UUID) -> bool:
        return event_id.hex in self.event_ids

    def redeclare(
        self,
        canonical: str,
        recorded_by: str,
        recorded_at: datetime,
        event_id: uuid.UUID | None = None,
    ) -> bool:
        """Point the name at a canonical name; False if that is already in force."""
        if (event_id and self.holds(event_id)) or self._points_at(canonical):
            return False
        fields: dict[str, Any] = {
            "event_id": event_id or self._next_id("alias", canonical),
            "canonical": canonical,
            "recorded_by": recorded_by,
        }
        digest = self._seal(self.Redeclared.TOPIC, recorded_at, fields)
        self._redeclared(timestamp=recorded_at, digest=digest, **fields)
        return True

    def remove(
        self, recorded_by: str, recorded_at: datetime, event_id: uuid.UUID | None = None
    ) -> bool:
        """Stop the name standing for another; False if it does not now."""
        if (event_id and self.holds(event_id)) or self.canonical is None:
            return False
        fields: dict[str, Any] = {
            "event_id": event_id or self._next_id("unalias", None),
            "recorded_by": recorded_by,
        }
        digest = self._seal(self.Removed.TOPIC, recorded_at, fields)
        self._removed(timestamp=recorded_at, digest=digest, **fields)
        return True

    def _points_at(self, canonical: str) -> bool:
        return self.canonical is not None and name_key(self.canonical) == name_key(canonical)

    def _next_id(self, action: str, canonical: str | None) -> uuid.UUID:
        return _event_id(action, AliasKind(self.kind), self.name, canonical, self.version + 1)

    def _seal(self, topic: str, recorded_at: datetime, fields: dict[str, Any]) -> str:
        return seal(self.head, topic, self.id, self.version + 1, recorded_at, fields)

    @event(Redeclared)
    def _redeclared(
        self,
        event_id: uuid.UUID,
        canonical: str,
        recorded_by: str,
        digest: str,
        timestamp: datetime,
    ) -> None:
        self.canonical = canonical
        self.head = digest
        self.event_ids.append(event_id.hex)

    @event(Removed)
    def _removed(
        self, event_id: uuid.UUID, recorded_by: str, digest: str, timestamp: datetime
    ) -> None:
        self.canonical = None
        self.head = digest
        self.event_ids.append(event_id.hex)


def _event_id(
    action: str, kind: AliasKind, name: str, canonical: str | None, version: int
) -> uuid.UUID:
    """Derived from what the event says and where it stands in its stream."""
    content = [action, kind.value, name_key(name), canonical and name_key(canonical), version]
    return uuid.uuid5(NAMESPACE, json.dumps(content))


@dataclass(frozen=True, slots=True)
class AliasDeclaration:
    """From now on, `name` (of this kind) stands for `canonical`."""

    kind: AliasKind
    name: str
    canonical: str

    @property
    def alias_id(self) -> uuid.UUID:
        return alias_id(self.kind, self.name)


@dataclass(frozen=True, slots=True)
class AliasRemoval:
    """From now on, `name` stands only for itself."""

    kind: AliasKind
    name: str

    @property
    def alias_id(self) -> uuid.UUID:
        return alias_id(self.kind, self.name)


def make_alias(kind: object, name: object, canonical: object) -> AliasDeclaration:
    return AliasDeclaration(*check_alias(kind, name, canonical))


def make_unalias(kind: object, name: object) -> AliasRemoval:
    return AliasRemoval(check_kind(kind), check_name("name", name))


def check_no_cycle(names: dict[str, str], name: str, canonical: str) -> None:
    """Refuse a declaration whose canonical name already leads back to the name."""
    seen = {name_key(name)}
    key = name_key(canonical)
    while key in names:
        if key in seen:
            break
        seen.add(key)
        key = names[key]
    if key in seen:
        raise InvalidClaim("canonical", f"{canonical!r} already stands for {name!r}: a cycle")
