"""Rumours close to a move about to be opened: the likeness rule and the query behind it."""

from __future__ import annotations

from rumour_ledger.ledger.claims import Kind, make_claim, make_move
from rumour_ledger.projections.nearby import close_rumours, move_likeness


def record(ledger, subject, from_, to):
    move = make_move(subject, from_, to, "player")
    claim = make_claim(
        Kind.REPORT, move, source="Sport", published="2025-01-01", today=ledger.app.today
    )
    ledger.app.record(claim)
    return move


def test_a_typo_of_a_club_is_close_and_another_club_is_not():
    arsenal = ("declan rice", "west ham", "arsenal")
    assert move_likeness(make_move("Declan Rice", None, "Arsneal"), arsenal) > 80
    assert move_likeness(make_move("Declan Rice", None, "Liverpool"), arsenal) < 80
    assert move_likeness(make_move("Declan Ryce", "West Ham", "Arsenal"), arsenal) > 80
    # A move away from a club is not close to a move to one.
    assert move_likeness(make_move("Declan Rice", "West Ham", None), arsenal) == 0


def test_close_rumours_names_the_stored_ones_a_new_move_may_be_a_typo_of(ledger):
    record(ledger, "Declan Rice", "West Ham", "Arsenal")
    record(ledger, "Declan Rice", "West Ham", "Bayern Munich")
    record(ledger, "Kylian Mbappé", "Paris Saint-Germain", "Real Madrid")
    typo = record(ledger, "Declan Rice", None, "Arsneal")
    with ledger.reading() as conn:
        assert close_rumours(conn, typo) == ["Declan Rice: West Ham -> Arsenal"]
        # A move close to nothing stored hears of nothing.
        assert close_rumours(conn, make_move("Jude Bellingham", None, "Liverpool")) == []
