"""Choosing and opening a store: paths, URLs, and clear errors for stores that cannot be used."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from rumour_ledger.ledger.errors import StoreError
from rumour_ledger.ledger.store import default_path, open_store
from rumour_ledger.projections.bootstrap import open_ledger


def test_a_plain_path_and_a_sqlite_url_name_the_same_file(tmp_path):
    path = tmp_path / "l.db"
    assert open_store(str(path)).path == path.resolve()
    assert open_store(f"sqlite:///{path}").path == path.resolve()


def test_the_default_ledger_lives_in_the_user_data_directory(tmp_path):
    assert default_path().name == "ledger.db"
    assert str(default_path()).startswith(os.environ["XDG_DATA_HOME"])
    assert open_store(None).path == default_path().resolve()


def test_a_postgresql_url_selects_the_postgres_recorders():
    store = open_store("postgresql://alice:secret@db.example:6543/desk?schema=transfers")
    env = store.event_env()
    assert env["PERSISTENCE_MODULE"] == "rumour_ledger.ledger.pgstore:LedgerPostgresFactory"
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.example",
        "6543",
        "desk",
    )
    assert env["POSTGRES_SCHEMA"] == "transfers"
    assert store.sqlalchemy_url().startswith("postgresql+psycopg://alice:secret@")
    assert "schema" not in store.sqlalchemy_url()
    assert "secret" not in store.describe()


def test_an_unsupported_url_is_a_clear_error():
    with pytest.raises(StoreError, match="unsupported database URL mysql://"):
        open_store("mysql://root@localhost/x")


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a database at all, just some words\n" * 20)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="is not a ledger database"):
        open_ledger(path)
    assert path.read_bytes() == before


def test_a_sqlite_database_of_something_else_is_refused_untouched(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.close()
    with pytest.raises(StoreError, match="not a rumour ledger"):
        open_ledger(path)
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
    conn.close()
    assert tables == ["recipes"]


def test_an_unreachable_postgresql_server_is_a_clear_error():
    with pytest.raises(StoreError, match=r"cannot use the ledger at postgresql://127\.0\.0\.1:1/"):
        open_ledger("postgresql+psycopg://nobody@127.0.0.1:1/none")


def test_a_read_only_ledger_can_be_read_but_not_written(tmp_path: Path):
    """Read-only by its URL, which binds root too (file modes: tests/test_trust_hostile.py)."""
    from rumour_ledger.ledger.claims import Kind, make_claim, make_move
    from rumour_ledger.projections.views import rumour_list

    path = tmp_path / "ro.db"
    with open_ledger(path) as ledger:
        move = make_move("Xabi Alonso", None, "Real Madrid")
        ledger.app.record(
            make_claim(
                Kind.REPORT, move, source="Sport", published="2024-10-28", today=ledger.app.today
            )
        )
        ledger.catch_up()
    before = path.read_bytes()
    with open_ledger(f"sqlite:///{path}?mode=ro") as ledger:
        assert ledger.store.read_only
        with ledger.reading() as conn:
            assert [r["subject"] for r in rumour_list(conn)] == ["Xabi Alonso"]
        again = make_claim(
            Kind.DENIAL, move, source="Kicker", published="2024-10-29", today=ledger.app.today
        )
        with pytest.raises(StoreError, match="read-only"):
            ledger.app.record(again)
    assert path.read_bytes() == before


def test_a_sqlite_url_takes_only_the_read_only_option(tmp_path: Path):
    assert not open_store(f"sqlite:///{tmp_path}/a.db?mode=rw").read_only
    with pytest.raises(StoreError, match="only option"):
        open_store(f"sqlite:///{tmp_path}/a.db?cache=shared")
    with pytest.raises(StoreError, match=r"no ledger at .* to open read-only"):
        open_store(f"sqlite:///{tmp_path}/missing.db?mode=ro")
