"""What a timeline chart draws: the days up to shortly after the move settles."""

from __future__ import annotations

from datetime import date, timedelta

from rumour_ledger.projections.chart import TAIL_DAYS, settled


def days(values: list[float], events_on: tuple[int, ...] = ()) -> list[dict]:
    start = date(2024, 1, 1)
    return [
        {
            "date": (start + timedelta(days=i)).isoformat(),
            "likelihood": v,
            "status": "confirmed" if v == 1.0 else "open",
            "events": [{"type": "report"}] if i in events_on else [],
        }
        for i, v in enumerate(values)
    ]


def test_a_move_confirmed_long_ago_is_drawn_to_shortly_after_it_settled():
    saga = days([0.3] * 10 + [0.6] * 50 + [1.0] * 1000, events_on=(0, 10, 60))
    drawn = settled(saga)
    assert len(drawn) == 60 + TAIL_DAYS + 1
    assert drawn == saga[: len(drawn)]


def test_a_move_still_moving_is_drawn_to_its_last_day():
    decaying = days([0.5 - i / 1000 for i in range(300)], events_on=(0,))
    assert settled(decaying) == decaying


def test_a_long_saga_keeps_a_tail_in_proportion():
    long = days([0.2 + i / 10_000 for i in range(2000)] + [1.0] * 2000, events_on=(0, 2000))
    assert len(settled(long)) == 2001 + round(0.05 * 2001)
    assert settled([]) == []
