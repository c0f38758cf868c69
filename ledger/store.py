"""Where a ledger lives: a database URL or file path turned into settings for each layer."""

from __future__ import annotations

import dataclasses
import os
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, parse_qsl, quote, unquote, urlsplit

from rumour_ledger.ledger.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

APP_NAME = "rumour-ledger"
EVENTS_TABLE = "stored_events"
# How long any wait for a lock lasts before a command says the ledger is busy, on both
# stores: SQLite's busy timeout, PostgreSQL's lock_timeout. RUMOUR_LOCK_TIMEOUT sets it.
LOCK_TIMEOUT_VARIABLE = "RUMOUR_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT_SECONDS = 15
MAX_LOCK_TIMEOUT_SECONDS = 3600
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5
# A schema name goes into DDL and into the connection's search_path option: only names that
# need no quoting anywhere (PostgreSQL's own limit is 63 bytes).
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def default_path() -> Path:
    """The SQLite file used when no database is named: the user's data directory."""
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "ledger.db"


@dataclass(frozen=True)
class PostgresAddress:
    """A PostgreSQL server, database and login, as its URL gave them (percent-decoded)."""

    host: str
    port: int
    database: str
    username: str
    password: str | None
    options: tuple[tuple[str, str], ...] = ()  # libpq's, from the query: sslmode=require ...

    def sqlalchemy_url(self) -> URL:
        """The same parts for SQLAlchemy, built from them rather than parsed from text."""
        from sqlalchemy.engine import URL

        return URL.create(
            "postgresql+psycopg",
            username=self.username,
            password=self.password,
            host=self.host,
            port=self.port,
            database=self.database,
            query=dict(self.options),
        )


@dataclass(frozen=True)
class Store:
    """A ledger's database: SQLite (a file) or PostgreSQL (a server, maybe a schema)."""

    url: str
    dialect: str
    path: Path | None = None
    schema: str | None = None
    read_only: bool = False
    lock_timeout: int = DEFAULT_LOCK_TIMEOUT_SECONDS  # seconds
    # The PostgreSQL URL, parsed once with its defaults filled in: every connection (the
    # events, the read models, raw reads) is made from these parts.
    address: PostgresAddress | None = field(default=None, compare=False, repr=False)

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
                "SQLITE_LOCK_TIMEOUT": str(self.lock_timeout),
            }
        address = self.postgres_address()
        env = {
            # The built-in recorders, able to run under a role that may only INSERT.
            "PERSISTENCE_MODULE": "rumour_ledger.ledger.pgstore:LedgerPostgresFactory",
            "POSTGRES_DBNAME": address.database,
            "POSTGRES_HOST": address.host,
            "POSTGRES_PORT": str(address.port),
            "POSTGRES_USER": address.username,
            "POSTGRES_PASSWORD": address.password or "",
            "POSTGRES_CONNECT_TIMEOUT": str(POSTGRES_CONNECT_TIMEOUT_SECONDS),
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "4",
            "POSTGRES_LOCK_TIMEOUT": str(self.lock_timeout),
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
        return self.postgres_address().sqlalchemy_url().render_as_string(hide_password=False)

    def postgres_address(self) -> PostgresAddress:
        """The parsed PostgreSQL URL, without the schema option (ours, not the driver's)."""
        assert self.address is not None
        return self.address

    def connect_params(self) -> dict[str, Any]:
        """Keyword arguments for psycopg.connect, from the one parsed URL."""
        address = self.postgres_address()
        params: dict[str, Any] = {
            "host": address.host,
            "port": address.port,
            "dbname": address.database,
            "user": address.username,
            "connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS,
        }
        if address.password:
            params["password"] = address.password
        params.update(address.options)
        # Every lock this connection waits for (rows, tables, the DDL's advisory lock) is
        # bounded like the events' write lock.
        options = [f"-clock_timeout={self.lock_timeout}s"]
        if self.schema:
            options.append(f"-csearch_path={self.schema}")
        params["options"] = " ".join(options)
        return params

    def describe(self) -> str:
        """The store for messages, without any password."""
        if self.dialect == "sqlite":
            return str(self.path)
        address = self.postgres_address()
        where = f"{address.host}:{address.port}/{address.database}"
        return f"postgresql://{where}" + (f" (schema {self.schema})" if self.schema else "")


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "postgres"


def lock_timeout_seconds() -> int:
    """The lock timeout RUMOUR_LOCK_TIMEOUT asks for, in whole seconds; 15 if unset."""
    text = os.environ.get(LOCK_TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_LOCK_TIMEOUT_SECONDS
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_LOCK_TIMEOUT_SECONDS):
        raise StoreError(
            f"{LOCK_TIMEOUT_VARIABLE}={text[:20]!r}: give a whole number of seconds "
            f"from 1 to {MAX_LOCK_TIMEOUT_SECONDS}"
        )
    return int(text)


def open_store(location: str | os.PathLike[str] | None) -> Store:
    """A URL (sqlite:///..., postgresql+psycopg://...) or a plain file path."""
    return dataclasses.replace(_located(location), lock_timeout=lock_timeout_seconds())


def _located(location: str | os.PathLike[str] | None) -> Store:
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
        return _postgres_store(text.split("://", 1)[1])
    raise StoreError(
        f"unsupported database URL {scheme}://...: use a file path, sqlite:///FILE "
        "or postgresql+psycopg://USER@HOST/DB"
    )


def _postgres_store(rest: str) -> Store:
    """A PostgreSQL URL (what follows the scheme), parsed once. urllib takes the user and
    password to end at the last `@` before the host, as libpq does, so an unescaped `@` in a
    password reads the same for every connection. Parsed here rather than by SQLAlchemy's
    make_url (which splits at the first `@`) because a command that only appends must not
    load SQLAlchemy: 150 ms of its time."""
    parts = urlsplit("postgresql://" + rest)
    try:
        port = parts.port or 5432
    except ValueError:
        raise StoreError("the port of a PostgreSQL URL must be a number from 1 to 65535") from None
    options = parse_qsl(parts.query)
    schemas = [value for key, value in options if key == "schema"]
    if len(schemas) > 1:
        raise StoreError("give ?schema= once in a PostgreSQL URL")
    schema = schemas[0] if schemas else None
    if schema is not None and not SCHEMA_NAME.fullmatch(schema):
        raise StoreError(
            f"schema name {schema!r}: use 1-63 lowercase letters, digits and _, "
            "not starting with a digit"
        )
    address = PostgresAddress(
        host=parts.hostname or "127.0.0.1",
        port=port,
        database=unquote(parts.path.lstrip("/")) or "postgres",
        username=unquote(parts.username or "") or _os_user(),
        password=unquote(parts.password) if parts.password else None,
        options=tuple((key, value) for key, value in options if key != "schema"),
    )
    url = "postgresql+psycopg://" + rest
    return Store(url=url, dialect="postgresql", schema=schema, address=address)


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


def sqlite_has_ledger(path: Path) -> bool:
    """True if the file holds a ledger's events table (check_sqlite_file has vetted it)."""
    if not path.is_file() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(sqlite_uri(path, read_only=True), uri=True)
    try:
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (EVENTS_TABLE,)
        ).fetchone()
    except sqlite3.Error as error:
        raise sqlite_open_error(path, error) from None
    finally:
        conn.close()
    return found is not None


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


# What libpq says when a connection fails, and what that means to the user. psycopg gives no
# SQLSTATE for a failed connection, so its message is all there is to go on.
_CONNECTION_FAILURES: tuple[tuple[str, str], ...] = (
    (r"failed to resolve host|could not translate host name", "unknown host {host}"),
    (r"Connection refused", "connection refused at {host}:{port} (is the server running?)"),
    (r"timeout expired|timed out", "no answer from {host}:{port} (timed out)"),
    (r"database \".*\" does not exist", "no database {database} at {host}:{port}"),
    (
        r"authentication failed|role \".*\" does not exist|no pg_hba\.conf entry|"
        r"password|authentication",
        "authentication failed for user {username}",
    ),
)


def connection_failure(store: Store, error: BaseException) -> StoreError:
    """Why a PostgreSQL connection failed, in one line that never holds the password."""
    text = str(error).strip()
    address = store.postgres_address()
    for pattern, reason in _CONNECTION_FAILURES:
        if re.search(pattern, text):
            detail = reason.format(
                host=address.host,
                port=address.port,
                database=address.database,
                username=address.username,
            )
            break
    else:
        lines = text.splitlines()
        detail = lines[0] if lines else type(error).__name__
        if address.password:
            detail = detail.replace(address.password, "***")
    return StoreError(f"cannot connect to the ledger at {store.describe()}: {detail}")


def no_ledger(store: Store) -> StoreError:
    """A read on a path or database that holds no ledger: nothing is created for it."""
    return StoreError(
        f"no ledger at {store.describe()}; `rumour import` or `rumour report` creates one"
    )
