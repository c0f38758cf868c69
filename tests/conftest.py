"""Fixtures: every test gets its own ledger (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

POSTGRES_URL = os.environ.get("RUMOUR_TEST_POSTGRES_URL", "").strip()
STORES = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not POSTGRES_URL, reason="RUMOUR_TEST_POSTGRES_URL is not set"),
    ),
]
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


class FixedClock:
    """A clock that starts at a fixed moment and ticks a millisecond per reading."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment


@pytest.fixture(autouse=True)
def _isolated_user_data(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test may touch the real user's ledger or depend on who runs it."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("RUMOUR_DB", raising=False)
    monkeypatch.setenv("RUMOUR_USER", "tester")


def _postgres_schema_url(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}schema={schema}"


def drop_postgres_schema(schema: str) -> None:
    import psycopg

    from rumour_ledger.ledger.store import open_store

    env = open_store(POSTGRES_URL).event_env()
    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> str:
    """Which store the test runs on: a parameter, so each test runs on both."""
    return request.param


@pytest.fixture
def new_location(store: str, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes fresh, empty ledger locations of the store under test, cleaned up after."""
    schemas: list[str] = []

    def make() -> str:
        if store == "sqlite":
            return str(tmp_path / f"ledger-{uuid.uuid4().hex[:8]}.db")
        schema = f"test_{uuid.uuid4().hex[:12]}"
        schemas.append(schema)
        return _postgres_schema_url(schema)

    yield make
    for schema in schemas:
        drop_postgres_schema(schema)


@pytest.fixture
def location(new_location: Callable[[], str]) -> str:
    return new_location()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def ledger(location: str, clock: FixedClock) -> Iterator[object]:
    from rumour_ledger.projections.bootstrap import open_ledger

    with open_ledger(location, clock=clock, user="tester") as opened:
        yield opened


@pytest.fixture
def open_fresh(
    new_location: Callable[[], str], clock: FixedClock
) -> Iterator[Callable[[], object]]:
    """Opens any number of fresh ledgers inside one test (for hypothesis examples)."""
    from rumour_ledger.projections.bootstrap import open_ledger

    opened: list = []

    def make() -> object:
        ledger = open_ledger(new_location(), clock=clock, user="tester")
        opened.append(ledger)
        return ledger

    yield make
    for ledger in opened:
        ledger.close()


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def rumour_on_demo(location: str) -> Callable[..., object]:
    """Runs `rumour ARGS --db LOCATION` in-process on a ledger holding the demo."""
    from click.testing import CliRunner

    from rumour_ledger.cli.main import cli

    runner = CliRunner()

    def run(*args: str) -> object:
        return runner.invoke(cli, [*args, "--db", location])

    imported = run("import", str(EXAMPLES / "alonso-2024.jsonl"))
    assert imported.exit_code == 0, imported.output
    run.location = location  # type: ignore[attr-defined]
    return run
