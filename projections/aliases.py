"""The aliases in force: which name each source, club and person name stands for."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from rumour_ledger.ledger.aliases import AliasKind
from rumour_ledger.projections.claims import naive_utc
from rumour_ledger.projections.tables import aliases


@dataclass(frozen=True)
class Names:
    """Resolves normalised names to their canonical names, following chains of aliases."""

    maps: dict[str, dict[str, str]] = field(default_factory=dict)
    display: dict[str, dict[str, str]] = field(default_factory=dict)

    def resolve(self, kind: AliasKind, key: str | None) -> str | None:
        # A StrEnum member hashes and compares as its value: no .value lookup in this hot path.
        names = self.maps.get(kind)
        if not names or key not in names:
            return key
        seen = {key}
        while key in names:
            key = names[key]
            if key in seen:
                break  # a cycle cannot be declared; stop rather than loop if one is stored
            seen.add(key)
        return key

    def source(self, key: str | None) -> str | None:
        return self.resolve(AliasKind.SOURCE, key)

    def club(self, key: str | None) -> str | None:
        return self.resolve(AliasKind.CLUB, key)

    def person(self, key: str | None) -> str | None:
        return self.resolve(AliasKind.PERSON, key)

    def canonical_name(self, kind: AliasKind, key: str, fallback: str) -> str:
        """How a canonical name is shown: as typed in the alias declaration, if any."""
        return self.display.get(kind.value, {}).get(key, fallback)

    def aliases_of(self, kind: AliasKind, key: str) -> list[str]:
        """Every name key that resolves to this canonical key (itself included)."""
        names = self.maps.get(kind.value, {})
        found = {key}
        for other in names:
            if self.resolve(kind, other) == key:
                found.add(other)
        return sorted(found)

    @property
    def empty(self) -> bool:
        return not any(self.maps.values())


def declarations_in_force(conn: Connection, known_at: datetime | None = None) -> list[Any]:
    """The latest alias event of every name (now, or as recorded by known_at) that makes it
    stand for another."""
    query = select(aliases).order_by(aliases.c.position)
    if known_at is not None:
        query = query.where(aliases.c.recorded_at <= naive_utc(known_at))
    latest: dict[tuple[str, str], Any] = {}
    for row in conn.execute(query):
        latest[(row.kind, row.name_key)] = row
    return [row for _key, row in sorted(latest.items()) if row.action == "alias"]


def names_in_force(conn: Connection, known_at: datetime | None = None) -> Names:
    """The aliases as the ledger holds them now, or as it held them at known_at."""
    maps: dict[str, dict[str, str]] = defaultdict(dict)
    display: dict[str, dict[str, str]] = defaultdict(dict)
    for row in declarations_in_force(conn, known_at):
        maps[row.kind][row.name_key] = row.canonical_key
        display[row.kind].setdefault(row.canonical_key, row.canonical)
    return Names(dict(maps), dict(display))


def alias_map(conn: Connection, kind: AliasKind) -> dict[str, str]:
    """Name key -> canonical key of the aliases now in force, for one kind."""
    return names_in_force(conn).maps.get(kind.value, {})
