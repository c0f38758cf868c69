"""Helpers shared by the trust tests (no tests here): raw database access as an attacker has it,
demo ledgers, and generated interchange files."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conftest import EXAMPLES
from rumour_ledger.ledger.guards import PREFIX, event_tables
from rumour_ledger.ledger.store import Store, open_store

DEMO = EXAMPLES / "alonso-2024.jsonl"
ROOT = Path(__file__).resolve().parent.parent


class Db:
    """A plain DB-API connection to a ledger's database, in one open transaction."""

    def __init__(self, store: Store, conn: Any) -> None:
        self.store = store
        self.conn = conn
        self.sqlite = store.dialect == "sqlite"
        events, snapshots = event_tables(store)
        self.events = events.sql
        self.snapshots = snapshots.sql
        self.position = "rowid" if self.sqlite else "notification_id"

    def execute(self, sql: str, params: tuple = ()) -> Any:
        if not self.sqlite:
            sql = sql.replace("?", "%s")
        cursor = self.conn.cursor()
        cursor.execute(sql, params)
        return cursor

    def rows(self) -> list[tuple[int, str, int, str, bytes]]:
        """Every stored event: (position, stream hex, version, topic, state), in log order."""
        found = self.execute(
            f"SELECT {self.position}, originator_id, originator_version, topic, state "
            f"FROM {self.events} ORDER BY {self.position}"
        ).fetchall()
        return [(p, getattr(s, "hex", s), v, t, bytes(b)) for p, s, v, t, b in found]

    def drop_guards(self) -> None:
        """What an attacker with the owner's rights does first."""
        if self.sqlite:
            names = self.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?",
                (f"{PREFIX}%",),
            ).fetchall()
            for (name,) in names:
                self.execute(f"DROP TRIGGER {name}")
            return
        for table in (self.events, self.snapshots):
            self.execute(f"DROP TRIGGER IF EXISTS {PREFIX}_no_change ON {table}")
            self.execute(f"DROP TRIGGER IF EXISTS {PREFIX}_no_truncate ON {table}")

    def stream_id(self, hex_id: str) -> Any:
        """An originator id as the table stores it."""
        if self.sqlite:
            return hex_id
        import uuid

        return uuid.UUID(hex_id)

    def commit(self) -> None:
        self.conn.commit()

    def rollback(self) -> None:
        self.conn.rollback()


@contextmanager
def raw_db(location: str) -> Iterator[Db]:
    """The ledger's database underneath the application; rolled back unless committed."""
    store = open_store(location)
    if store.dialect == "sqlite":
        import sqlite3

        conn = sqlite3.connect(str(store.path), timeout=15)
        conn.execute("BEGIN")  # (legacy mode would not begin before DDL by itself)
    else:
        import psycopg

        env = store.event_env()
        conn = psycopg.connect(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"] or None,
        )
    try:
        yield Db(store, conn)
    finally:
        try:
            conn.rollback()
        finally:
            conn.close()


def stored_events(location: str) -> list[tuple[int, str, int, str, bytes]]:
    with raw_db(location) as db:
        return db.rows()


def import_text(ledger: Any, text: str, name: str = "test.jsonl") -> Any:
    from rumour_ledger.ledger.interchange import read_entries

    lines = io.BytesIO(text.encode("utf-8"))
    entries = read_entries(lines, name, today=ledger.app.today, now=ledger.app.clock())
    return ledger.app.import_entries(entries, file=name)


def fill(ledger: Any) -> None:
    """The demo, plus a retraction and a second claim per rumour: ~25 events in 4 streams."""
    text = DEMO.read_text(encoding="utf-8")
    first = json.loads(text.splitlines()[0])
    extra = dict(first, source="Extra", claim="A second look at the same story", date="2024-11-02")
    import_text(ledger, text + json.dumps(extra) + "\n")
    claim_id = next(iter(ledger.app.export_entries()))["id"]
    retraction = {"type": "retraction", "retracts": claim_id, "reason": "misread the piece"}
    import_text(ledger, json.dumps(retraction) + "\n")
    ledger.catch_up()


def generated_lines(count: int, *, tag: str = "", rumours: int = 40) -> list[str]:
    """Valid claims, all distinct, spread over a number of rumours."""
    lines = []
    for i in range(count):
        obj = {
            "type": ("report", "denial", "report", "confirmation")[i % 4],
            "subject": f"Player {i % rumours}",
            "from": "Club A",
            "to": f"Club {i % rumours % 7 + 2}",
            "source": f"Outlet {i % 13}",
            "date": f"2024-{i % 12 + 1:02d}-{i % 27 + 1:02d}",
            "claim": f"claim {tag} {i}: " + "x" * (i % 50),
        }
        lines.append(json.dumps(obj))
    return lines


def python_env(**extra: str) -> dict[str, str]:
    """The environment for a child python running the project (installed from this checkout,
    editable, as the README's test command installs it)."""
    env = dict(os.environ)
    env.update(extra)
    return env


PYTHON = sys.executable
