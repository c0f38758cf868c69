"""The likelihood model's settings as a user tunes them: a TOML file, else the defaults."""

from __future__ import annotations

import os
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from rumour_ledger.ledger.errors import LedgerError
from rumour_ledger.ledger.names import name_key
from rumour_ledger.projections.likelihood import Settings

TUNABLES = {f.name for f in fields(Settings)} - {"reliabilities"}


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
    try:
        data = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as error:
        raise LedgerError(f"{chosen}: not a valid TOML file ({error})") from None
    return settings_from(data, str(chosen))


def settings_from(data: dict[str, Any], where: str = "config") -> Settings:
    model = data.get("likelihood", {})
    unknown = sorted(set(model) - TUNABLES)
    if unknown:
        raise LedgerError(f"{where}: unknown setting likelihood.{unknown[0]}")
    table = data.get("reliability", {})
    try:
        reliabilities = {name_key(str(k)): float(v) for k, v in table.items()}
        return Settings(**{k: float(v) for k, v in model.items()}, reliabilities=reliabilities)
    except (TypeError, ValueError) as error:
        raise LedgerError(f"{where}: {error}") from None
