"""The hash chain: each event's digest seals its canonical bytes and its predecessor's digest."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime

GENESIS = "0" * 64


# Plain JSON values, canonical as they are: checked first, as nearly every field is one.
_PLAIN = frozenset({str, bool, int, float, type(None)})
# One encoder for every seal: json.dumps with options builds a new one per call.
_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


def canonical(value: object) -> object:
    """A plain-JSON form of an event field that never changes between versions."""
    if type(value) in _PLAIN:
        return value
    if type(value) is dict:
        return {str(k): v if type(v) in _PLAIN else canonical(v) for k, v in value.items()}
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return value


def seal(
    previous: str,
    topic: str,
    rumour_id: uuid.UUID,
    version: int,
    recorded_at: datetime,
    fields: Mapping[str, object],
) -> str:
    """The digest of one event: its type, place in its stream, time, fields and predecessor."""
    body = {
        "previous": previous,
        "topic": topic,
        "rumour": rumour_id.hex,
        "version": version,
        "recorded_at": recorded_at.isoformat(),
        "fields": canonical(fields),
    }
    return hashlib.sha256(_ENCODE(body).encode("utf-8")).hexdigest()
