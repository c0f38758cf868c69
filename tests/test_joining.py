"""Claims without a from club: which stored rumour they join, and naming a from-less rumour."""

from __future__ import annotations

import pytest

from rumour_ledger.ledger.aliases import make_alias
from rumour_ledger.ledger.claims import Kind, make_claim, make_move
from rumour_ledger.ledger.errors import AmbiguousMove
from rumour_ledger.projections.joining import move_to_record
from rumour_ledger.projections.views import find_rumour


def record(ledger, subject, from_, to, source="Sport"):
    move = make_move(subject, from_, to, "coach")
    claim = make_claim(
        Kind.REPORT, move, source=source, published="2024-03-01", today=ledger.app.today
    )
    ledger.app.record(claim)
    return move


def joined(ledger, subject, to):
    with ledger.reading() as conn:
        return move_to_record(conn, make_move(subject, None, to, "coach"))


def test_a_claim_without_from_joins_the_one_rumour_of_its_subject_and_destination(ledger):
    record(ledger, "Xabi Alonso", "Bayer Leverkusen", "Bayern Munich")
    record(ledger, "Xabi Alonso", "Bayer Leverkusen", "Real Madrid")
    move = joined(ledger, "xabi alonso", "BAYERN MUNICH")
    assert (move.subject, move.from_, move.to) == (
        "Xabi Alonso",
        "Bayer Leverkusen",
        "Bayern Munich",
    )
    assert move.role.value == "coach"
    # Nothing stored to join: the move as typed, a rumour without a from club.
    alone = joined(ledger, "Xabi Alonso", "Liverpool")
    assert (alone.from_, alone.to) == (None, "Liverpool")


def test_the_aliases_in_force_apply_when_a_claim_looks_for_its_rumour(ledger):
    record(ledger, "Xabi Alonso", "Bayer Leverkusen", "Bayern Munich")
    ledger.app.declare_alias(make_alias("club", "FC Bayern München", "Bayern Munich"))
    ledger.app.declare_alias(make_alias("person", "Alonso", "Xabi Alonso"))
    move = joined(ledger, "Alonso", "FC Bayern München")
    assert move.label == "Xabi Alonso: Bayer Leverkusen -> Bayern Munich"


def test_several_rumours_of_one_subject_and_destination_want_a_from_club(ledger):
    record(ledger, "Xabi Alonso", "Bayer Leverkusen", "Bayern Munich")
    record(ledger, "Xabi Alonso", "Real Sociedad", "Bayern Munich")
    with pytest.raises(AmbiguousMove) as raised:
        joined(ledger, "Xabi Alonso", "Bayern Munich")
    assert str(raised.value) == (
        "'Xabi Alonso -> Bayern Munich' matches several rumours: "
        "'Xabi Alonso: Bayer Leverkusen -> Bayern Munich', "
        "'Xabi Alonso: Real Sociedad -> Bayern Munich'; give --from to say which"
    )


def test_a_move_with_a_from_club_is_recorded_as_typed(ledger):
    record(ledger, "Xabi Alonso", "Bayer Leverkusen", "Bayern Munich")
    with ledger.reading() as conn:
        typed = make_move("Xabi Alonso", "Real Sociedad", "Bayern Munich")
        assert move_to_record(conn, typed) == typed


def test_a_rumour_without_a_from_club_is_named_by_its_own_label(ledger):
    record(ledger, "Xabi Alonso", None, "Bayern Munich")
    record(ledger, "Xabi Alonso", "Bayer Leverkusen", "Bayern Munich")
    with ledger.reading() as conn:
        assert find_rumour(conn, "Xabi Alonso -> Bayern Munich").from_ is None
        named = find_rumour(conn, "Xabi Alonso: Bayer Leverkusen -> Bayern Munich")
        assert named.from_ == "Bayer Leverkusen"
