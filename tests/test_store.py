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
    with pytest.raises(
        StoreError,
        match=r"cannot connect to the ledger at postgresql://127\.0\.0\.1:1/none: connection ref",
    ):
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


def _postgres_has(sql: str, *params: object) -> bool:
    import psycopg

    from conftest import POSTGRES_URL

    with psycopg.connect(**open_store(POSTGRES_URL).connect_params()) as conn:
        row = conn.execute(sql, params).fetchone()
    return bool(row and row[0])


NEEDS_A_LEDGER = {
    "board": [],
    "list": [],
    "show": ["Xabi Alonso -> Real Madrid"],
    "export": [],
    "rebuild": [],
    "aliases": [],
    # Writes that act on what is already there: nothing to act on, so nothing is made.
    "retract": ["6fd07a73", "--reason", "wrong"],
    "recast": ["Xabi Alonso -> Real Madrid", "--role", "coach", "--reason", "wrong"],
    "unalias": ["club", "Bayern"],
}


@pytest.mark.parametrize("verb", list(NEEDS_A_LEDGER))
def test_a_read_at_a_place_with_no_ledger_is_refused_and_creates_nothing(location, store, verb):
    """Item 6 of issue 16: a mistyped path, or a database with no ledger, stays as it was."""
    from click.testing import CliRunner

    from rumour_ledger.cli.main import cli

    if store == "sqlite":
        location = str(Path(location).parent / "none" / "nothere.db")
    args = [verb, *NEEDS_A_LEDGER[verb]]
    result = CliRunner().invoke(cli, args, env={"RUMOUR_DB": location})
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: no ledger at ")
    assert "`rumour import` or `rumour report` creates one" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    if store == "sqlite":
        assert not Path(location).parent.exists()
    else:
        schema = open_store(location).schema
        assert not _postgres_has("SELECT 1 FROM pg_namespace WHERE nspname = %s", schema)


def test_open_ledger_without_create_refuses_an_empty_file_and_keeps_it_empty(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    with pytest.raises(StoreError, match="no ledger at"):
        open_ledger(empty, create=False)
    assert empty.stat().st_size == 0


def test_a_read_opens_an_existing_ledger(location):
    open_ledger(location).close()  # a write's open creates it
    with open_ledger(location, create=False) as opened:
        assert opened.catch_up() == 0


@pytest.mark.parametrize(
    "schema",
    [
        'x";CREATE TABLE public.pwned(i int);--',
        "Upper",
        "1digit",
        "with space",
        "x" * 64,
    ],
)
def test_a_schema_name_that_would_need_quoting_is_refused(schema):
    from urllib.parse import quote

    with pytest.raises(StoreError, match="schema name"):
        open_store(f"postgresql://alice@db.example/desk?schema={quote(schema)}")


def test_a_password_with_an_unescaped_at_sign_is_read_the_same_by_every_connection():
    """Item 11 of issue 16: one parse for the events, the read models and raw reads."""
    from sqlalchemy.engine import make_url

    store = open_store("postgresql://alice:p@ss:w%2Frd@db.example:6543/desk?sslmode=require")
    env = store.event_env()
    params = store.connect_params()
    read_models = make_url(store.sqlalchemy_url())
    assert (env["POSTGRES_HOST"], env["POSTGRES_PASSWORD"]) == ("db.example", "p@ss:w/rd")
    assert (params["host"], params["password"], params["sslmode"]) == (
        "db.example",
        "p@ss:w/rd",
        "require",
    )
    assert (read_models.host, read_models.password, read_models.port) == (
        "db.example",
        "p@ss:w/rd",
        6543,
    )
    assert "p@ss" not in store.describe()
