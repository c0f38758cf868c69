"""Whole answers shared by the CLI and the web desk: the board's pages, text filter and orders."""

from __future__ import annotations

from datetime import date

import pytest

from conftest import EXAMPLES
from rumour_ledger.ledger.errors import InvalidClaim
from rumour_ledger.projections.answers import PAGE_SIZE, board_page, recorded_since
from rumour_ledger.projections.board import Moment, board
from rumour_ledger.projections.likelihood import Settings

DEFAULTS = Settings()
END_OF_2024 = Moment(date(2024, 12, 31))


@pytest.fixture
def demo(ledger):
    from rumour_ledger.ledger.interchange import read_entries

    with (EXAMPLES / "alonso-2024.jsonl").open("rb") as data:
        entries = read_entries(data, "demo", today=ledger.app.today, now=ledger.app.clock())
        ledger.app.import_entries(entries, file="demo")
    return ledger


def page(ledger, **options) -> list[dict]:
    with ledger.reading() as conn:
        return board_page(conn, END_OF_2024, DEFAULTS, **options)


def whole(ledger) -> list[dict]:
    with ledger.reading() as conn:
        return board(conn, END_OF_2024, DEFAULTS)


def test_pages_of_the_board_are_consecutive_slices_of_the_whole_board(demo):
    rows = whole(demo)
    assert len(rows) == 3
    for number in (1, 2, 3, 4):
        assert page(demo, limit=1, page=number) == rows[number - 1 : number]
    assert page(demo, limit=2, page=2) == rows[2:]
    assert page(demo, page=1) == rows[:PAGE_SIZE]


def test_the_text_filter_keeps_moves_naming_every_word_without_regard_to_case_or_accents(demo):
    shown = [r["label"] for r in page(demo, text="ALONSO bayern")]
    assert shown == ["Xabi Alonso: Bayer Leverkusen -> Bayern Munich"]
    assert [r["subject"] for r in page(demo, text="Ancélotti")] == ["Carlo Ancelotti"]
    assert page(demo, text="nobody at all") == []


def test_the_board_can_be_ordered_by_label_last_claim_or_origins(demo):
    rows = whole(demo)
    by_label = page(demo, sort="label")
    assert [r["label"] for r in by_label] == sorted(r["label"] for r in rows)
    last = [r["last_claim"] for r in page(demo, sort="last_claim")]
    assert last == sorted(last, reverse=True)
    origins = [r["origins"] for r in page(demo, sort="origins")]
    assert origins == sorted(origins, reverse=True)
    assert page(demo, sort="likelihood") == rows


@pytest.mark.parametrize(("options", "field"), [({"sort": "luck"}, "sort"), ({"page": 0}, "page")])
def test_an_unknown_order_or_page_is_refused(demo, options, field):
    with pytest.raises(InvalidClaim) as refused:
        page(demo, **options)
    assert refused.value.field == field


def test_audit_log_since_a_bare_day_starts_at_its_midnight():
    stamp = recorded_since("2025-01-02", date(2026, 1, 1))
    assert stamp is not None and stamp.isoformat() == "2025-01-02T00:00:00+00:00"
    assert recorded_since(None, date(2026, 1, 1)) is None
