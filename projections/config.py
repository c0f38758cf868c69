"""The likelihood model's settings as a user tunes them: a TOML file, else the defaults."""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from rumour_ledger.ledger.errors import LedgerError
from rumour_ledger.ledger.names import name_key
from rumour_ledger.projections.likelihood import Settings

TUNABLES = {f.name for f in fields(Settings)} - {"reliabilities", "outcomes"}
# A settings file is a few lines; anything bigger is the wrong file (or /dev/zero).
LARGEST_CONFIG_BYTES = 1 << 20


def default_config_path() -> Path:
    from platformdirs import user_config_path

    return user_config_path("rumour-ledger", appauthor=False) / "config.toml"


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Settings from [likelihood] and [reliability] of a TOML file; missing file, defaults."""
    chosen = Path(path) if path else default_config_path()
    if not chosen.exists():
        if path:
            raise LedgerError(f"config file {chosen} does not exist")
        return Settings()
    text = read_config_text(chosen)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise LedgerError(f"{chosen}: not a valid TOML file ({error})") from None
    except RecursionError:
        raise LedgerError(f"{chosen}: not a valid TOML file (nested too deeply)") from None
    return settings_from(data, str(chosen))


def read_config_text(path: Path) -> str:
    """The file's text: a regular file of at most LARGEST_CONFIG_BYTES, in UTF-8.

    Opened without blocking and checked with fstat before reading, so a named pipe cannot
    hang the command and a device cannot feed it gigabytes."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise LedgerError(f"cannot read config file {path}: {error.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise LedgerError(f"config file {path} is not a regular file")
        with os.fdopen(handle, "rb", closefd=False) as file:
            data = file.read(LARGEST_CONFIG_BYTES + 1)
    except OSError as error:
        raise LedgerError(f"cannot read config file {path}: {error.strerror}") from None
    finally:
        os.close(handle)
    if len(data) > LARGEST_CONFIG_BYTES:
        raise LedgerError(f"config file {path} is larger than {LARGEST_CONFIG_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise LedgerError(f"{path}: not a valid TOML file (not UTF-8: {error.reason})") from None


def settings_from(data: dict[str, Any], where: str = "config") -> Settings:
    """Settings from parsed TOML; a LedgerError naming the first bad key and what it needs."""
    model = _table(data, "likelihood", where)
    unknown = sorted(set(model) - TUNABLES)
    if unknown:
        raise LedgerError(f"{where}: unknown setting likelihood.{unknown[0]}")
    tuned = {key: _number(where, f"likelihood.{key}", value) for key, value in model.items()}
    reliabilities: dict[str, float] = {}
    for name, value in _table(data, "reliability", where).items():
        setting = f"reliability.{name!r}"
        key = name_key(name)
        if not key:
            raise LedgerError(f"{where}: {setting} is not a source's name")
        number = _number(where, setting, value)
        if not 0.0 < number < 1.0:
            raise LedgerError(f"{where}: {setting} must be strictly between 0 and 1, got {value}")
        reliabilities[key] = number
    try:
        return Settings(**tuned, reliabilities=reliabilities)
    except ValueError as error:  # Settings names the field; say which table it is in
        raise LedgerError(f"{where}: likelihood.{error}") from None


def _table(data: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise LedgerError(f"{where}: {name} must be a table ([{name}]), got {_kind(table)}")
    return table


def _number(where: str, setting: str, value: Any) -> float:
    # bool is an int to Python, but `prior = true` is a mistake, not 1.0.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LedgerError(f"{where}: {setting} must be a number, got {_kind(value)}")
    try:
        return float(value)
    except OverflowError:  # an integer too big for a float
        raise LedgerError(f"{where}: {setting} is too large a number") from None


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    kinds = {bool: "a boolean", str: "a string", int: "an integer", float: "a number"}
    return kinds.get(type(value), type(value).__name__)
