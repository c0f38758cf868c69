"""Bulk-pass helpers that reach outside Python: they never stop a rewrite."""

from __future__ import annotations

import ctypes

import pytest

from rumour_ledger.projections import bulk


class NoTrim:
    """A C library without malloc_trim (macOS, musl)."""


def refusing(error: Exception):
    """A ctypes.CDLL that cannot load the C library."""

    def load(name: object) -> object:
        raise error

    return load


@pytest.mark.parametrize(
    "library",
    [
        lambda name: NoTrim(),
        refusing(TypeError("Windows loads no None")),
        refusing(OSError("no such library")),
    ],
)
def test_handing_back_memory_asks_nothing_of_a_library_without_malloc_trim(monkeypatch, library):
    monkeypatch.setattr(ctypes, "CDLL", library)
    assert bulk.hand_back_freed_memory() is None


def test_handing_back_memory_calls_malloc_trim_where_there_is_one(monkeypatch):
    asked = []

    class Glibc:
        def malloc_trim(self, pad: int) -> int:
            asked.append(pad)
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: Glibc())
    bulk.hand_back_freed_memory()
    assert asked == [0]
