"""Where a ledger lives: a database URL or file path turned into settings for each layer."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from rumour_ledger.ledger.errors import StoreError

APP_NAME = "rumour-ledger"
EVENTS_TABLE = "stored_events"
SQLITE_LOCK_TIMEOUT_SECONDS = 15


def default_path() -> Path:
    """The SQLite file used when no database is named: the user's data directory."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "ledger.db"


@dataclass(frozen=True)
class Store:
    """A ledger's database: SQLite (a file) or PostgreSQL (a server, maybe a schema)."""

    url: str
    dialect: str
    path: Path | None = None
    schema: str | None = None
    read_only: bool = False

    def sqlite_uri(self) -> str:
        """The SQLite file as a URI (file:...?mode=ro when opened read-only)."""
        assert self.path is not None
        return sqlite_uri(self.path, read_only=self.read_only)

    def event_env(self) -> dict[str, str]:
        """Settings for eventsourcing's own recorders, which hold the events."""
        if self.dialect == "sqlite":
            assert self.path is not None
            return {
                # The built-in recorders, with executemany inserts and streamed imports.
                "PERSISTENCE_MODULE": "rumour_ledger.ledger.sqlitestore:LedgerSQLiteFactory",
                "SQLITE_DBNAME": self.sqlite_uri() if self.read_only else str(self.path),
                "SQLITE_LOCK_TIMEOUT": str(SQLITE_LOCK_TIMEOUT_SECONDS),
            }
        parts = urlsplit(self.url)
        env = {
            # The built-in recorders, able to run under a role that may only INSERT.
            "PERSISTENCE_MODULE": "rumour_ledger.ledger.pgstore:LedgerPostgresFactory",
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "") or _os_user(),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "4",
            "POSTGRES_LOCK_TIMEOUT": "15",
        }
        if self.schema:
            env["POSTGRES_SCHEMA"] = self.schema
        return env

    def sqlalchemy_url(self) -> str:
        """The URL for the read models, which SQLAlchemy keeps beside the events."""
        if self.dialect == "sqlite":
            if self.read_only:
                return f"sqlite:///{self.sqlite_uri()}&uri=true"
            return f"sqlite:///{self.path}"
        parts = urlsplit(self.url)
        query = "&".join(
            f"{k}={v}"
            for k, values in parse_qs(parts.query).items()
            if k != "schema"
            for v in values
        )
        return parts._replace(query=query).geturl()

    def describe(self) -> str:
        """The store for messages, without any password."""
        if self.dialect == "sqlite":
            return str(self.path)
        parts = urlsplit(self.url)
        host = parts.hostname or "127.0.0.1"
        where = f"{host}:{parts.port or 5432}{parts.path}"
        return f"postgresql://{where}" + (f" (schema {self.schema})" if self.schema else "")


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "postgres"


def open_store(location: str | os.PathLike[str] | None) -> Store:
    """A URL (sqlite:///..., postgresql+psycopg://...) or a plain file path."""
    if location is None or str(location).strip() == "":
        return _sqlite_store(default_path())
    text = str(location).strip()
    if "://" not in text:
        return _sqlite_store(Path(text))
    scheme = text.split("://", 1)[0].lower()
    if scheme.startswith("sqlite"):
        path, _, query = text.split("://", 1)[1].partition("?")
        if not path.startswith("/") or path in ("/", "/:memory:"):
            raise StoreError(f"{text!r}: give the SQLite file as sqlite:///path/to/file")
        read_only = _sqlite_options(text, query)
        return _sqlite_store(Path(path[1:]), read_only)  # sqlite:///rel.db, sqlite:////abs.db
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        url = "postgresql+psycopg://" + text.split("://", 1)[1]
        schema = parse_qs(urlsplit(url).query).get("schema", [None])[0]
        return Store(url=url, dialect="postgresql", schema=schema)
    raise StoreError(
        f"unsupported database URL {scheme}://...: use a file path, sqlite:///FILE "
        "or postgresql+psycopg://USER@HOST/DB"
    )


def _sqlite_options(text: str, query: str) -> bool:
    """The one option a SQLite URL takes: ?mode=ro (read-only) or ?mode=rw; True if read-only."""
    options = parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(options) - {"mode"})
    modes = options.get("mode", ["rw"])
    if unknown or len(modes) != 1 or modes[0] not in ("ro", "rw"):
        raise StoreError(f"{text!r}: the only option of a SQLite URL is ?mode=ro (read-only)")
    return modes[0] == "ro"


def _sqlite_store(path: Path, read_only: bool = False) -> Store:
    path = path.expanduser().resolve()
    check_sqlite_file(path)
    if read_only and not path.exists():
        raise StoreError(f"no ledger at {path} to open read-only")
    if path.exists() and not os.access(path, os.W_OK):
        read_only = True  # a file we may not write: reads work, writes say it is read-only
    return Store(url=f"sqlite:///{path}", dialect="sqlite", path=path, read_only=read_only)


def sqlite_uri(path: Path, *, read_only: bool = False) -> str:
    """A SQLite URI for a file path; special characters in the path are escaped."""
    return f"file:{quote(str(path))}" + ("?mode=ro" if read_only else "")


def check_sqlite_file(path: Path) -> None:
    """Refuse a file that exists but is not a SQLite ledger, before anything writes to it."""
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a ledger file")
    if not path.exists() or path.stat().st_size == 0:
        return
    try:
        conn = sqlite3.connect(sqlite_uri(path, read_only=True), uri=True)
    except sqlite3.Error as error:
        raise sqlite_open_error(path, error) from None
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.OperationalError as error:
        raise sqlite_open_error(path, error) from None
    except sqlite3.DatabaseError as error:
        raise StoreError(f"{path} is not a ledger database ({error})") from None
    finally:
        conn.close()
    if tables and EVENTS_TABLE not in tables:
        raise StoreError(f"{path} is a SQLite database but not a rumour ledger")


def sqlite_open_error(path: Path, error: BaseException) -> StoreError:
    """Why a SQLite ledger cannot be opened, as the user can act on it."""
    text = str(error)
    if ("readonly" in text or "unable to open" in text) and not os.access(path.parent, os.W_OK):
        return StoreError(
            f"cannot read {path}: its folder is read-only, and SQLite must create "
            f"{path.name}-shm beside it to read a ledger; copy the ledger to a writable folder"
        )
    return StoreError(f"cannot open {path}: {text}")


def prepare(store: Store) -> None:
    """Make sure a new SQLite ledger's folder exists; PostgreSQL needs nothing."""
    if store.path is not None:
        try:
            store.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create {store.path.parent}: {error}") from None
