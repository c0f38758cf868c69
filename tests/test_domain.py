"""The domain's rules, without any store: names, moves, claims, and the Rumour aggregate."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from rumour_ledger.ledger.chain import GENESIS, seal
from rumour_ledger.ledger.claims import (
    Kind,
    Role,
    make_claim,
    make_move,
    make_recasting,
    make_retraction,
)
from rumour_ledger.ledger.domain import Rumour
from rumour_ledger.ledger.errors import AlreadyRetracted, InvalidClaim, UnknownEvent
from rumour_ledger.ledger.names import name_key

TODAY = date(2026, 1, 15)
NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)


def alonso_to_real():
    return make_move("Xabi Alonso", "Bayer Leverkusen", "Real Madrid", "coach")


def sport_report(**overrides):
    values = {"source": "Sport", "published": "2024-10-28", "today": TODAY}
    values.update(overrides)
    return make_claim(Kind.REPORT, alonso_to_real(), **values)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Mbappé", "mbappe"),
        ("Kylian  Mbappé ", "kylian mbappe"),
        ("Ødegaard", "odegaard"),
        ("Bayern München", "BAYERN MUNCHEN"),
        ("Straße", "strasse"),
    ],
)
def test_spellings_that_differ_in_case_accents_or_spacing_share_a_key(a, b):
    assert name_key(a) == name_key(b)


def test_the_same_move_typed_twice_is_one_rumour():
    first = make_move("Kylian Mbappé", "Paris Saint-Germain", "Real Madrid")
    second = make_move("kylian mbappe", "paris saint-germain ", "REAL MADRID")
    assert first.rumour_id == second.rumour_id


def test_a_move_keeps_its_names_as_first_typed_and_defaults_to_player():
    move = make_move("Kylian Mbappé", None, "Real Madrid")
    assert move.subject == "Kylian Mbappé"
    assert move.role is Role.PLAYER
    assert move.label == "Kylian Mbappé -> Real Madrid"


def test_a_move_away_with_no_destination_is_a_rumour_too():
    move = make_move("Carlo Ancelotti", "Real Madrid", None, "coach")
    assert move.label == "Carlo Ancelotti leaves Real Madrid"


def test_a_move_needs_a_club_to_leave_or_to_join():
    with pytest.raises(InvalidClaim, match="to: a move needs"):
        make_move("Xabi Alonso", None, None)


def test_a_move_cannot_go_to_the_club_it_leaves():
    with pytest.raises(InvalidClaim):
        make_move("Xabi Alonso", "Real Madrid", "real madrid")


@pytest.mark.parametrize(
    ("field", "subject", "from_", "to", "role"),
    [
        ("subject", "", None, "Real Madrid", None),
        ("subject", "   ", None, "Real Madrid", None),
        ("subject", "x" * 201, None, "Real Madrid", None),
        ("subject", 42, None, "Real Madrid", None),
        ("to", "Xabi Alonso", None, "Real\x1b[2JMadrid", None),
        ("from", "Xabi Alonso", "\x00", "Real Madrid", None),
        ("role", "Xabi Alonso", None, "Real Madrid", "manager"),
    ],
)
def test_bad_names_and_roles_are_refused_naming_the_field(field, subject, from_, to, role):
    with pytest.raises(InvalidClaim) as caught:
        make_move(subject, from_, to, role)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("published", "problem"),
    [
        ("2024-02-30", "not a real calendar date"),
        ("2024-13-01", "not a real calendar date"),
        ("28/10/2024", "YYYY-MM-DD"),
        ("2024-10-28T10:00", "YYYY-MM-DD"),
        ("2026-01-16", "in the future"),
        (None, "YYYY-MM-DD"),
    ],
)
def test_a_claim_needs_a_real_published_date_not_in_the_future(published, problem):
    with pytest.raises(InvalidClaim, match=problem) as caught:
        sport_report(published=published)
    assert caught.value.field == "date"


def test_today_is_a_valid_published_date():
    assert sport_report(published="2026-01-15").published == TODAY


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/a",
        "javascript:alert(1)",
        "example.org",
        "http://",
        "http://a b",
    ],
)
def test_a_url_must_be_http_or_https(url):
    with pytest.raises(InvalidClaim) as caught:
        sport_report(url=url)
    assert caught.value.field == "url"


def test_a_source_cannot_relay_itself():
    with pytest.raises(InvalidClaim, match="cites"):
        sport_report(cites="SPORT")


def test_a_confirmation_is_official_by_nature():
    claim = make_claim(
        Kind.CONFIRMATION,
        alonso_to_real(),
        source="Real Madrid",
        published="2025-05-25",
        today=TODAY,
    )
    assert claim.official is True


def test_claim_ids_derive_from_content_so_the_same_claim_twice_has_one_id():
    assert sport_report().claim_id == sport_report().claim_id
    assert sport_report().claim_id != sport_report(text="other words").claim_id


def test_recording_a_claim_twice_stores_it_once():
    rumour = Rumour.open(alonso_to_real(), "tester", NOW)
    claim = sport_report()
    assert rumour.record(claim, "tester", NOW, claim.claim_id) is True
    assert rumour.record(claim, "tester", NOW, claim.claim_id) is False
    events = rumour.collect_events()
    assert [type(e).__name__ for e in events] == ["Opened", "Reported"]


def test_the_rumour_id_is_the_moves_own():
    rumour = Rumour.open(alonso_to_real(), "tester", NOW)
    assert rumour.id == alonso_to_real().rumour_id


def test_each_event_is_sealed_and_chained_to_the_one_before():
    rumour = Rumour.open(alonso_to_real(), "tester", NOW)
    claim = sport_report()
    rumour.record(claim, "tester", NOW, claim.claim_id)
    opened, reported = rumour.collect_events()
    expected = seal(
        opened.digest,
        Rumour.Reported.TOPIC,
        rumour.id,
        2,
        NOW,
        {
            "claim_id": claim.claim_id,
            "source": "Sport",
            "cites": None,
            "official": False,
            "published": date(2024, 10, 28),
            "claim": None,
            "url": None,
            "recorded_by": "tester",
            "role": claim.move.role.value,  # sealed with the claim: it is the claim's own
            "amends": None,  # sealed too: a claim that corrects none says so
        },
    )
    assert reported.digest == expected
    assert opened.digest != GENESIS
    assert reported.timestamp == NOW


def test_a_retraction_withdraws_a_claim_but_keeps_it_on_record():
    rumour = Rumour.open(alonso_to_real(), "tester", NOW)
    claim = sport_report()
    rumour.record(claim, "tester", NOW, claim.claim_id)
    retraction = make_retraction(str(claim.claim_id), "wrong club", "2025-01-01", TODAY)
    assert rumour.retract(retraction, "tester", NOW, retraction.claim_id)
    assert rumour.holds(claim.claim_id)
    assert claim.claim_id.hex in rumour.retracted


def test_only_an_existing_claim_can_be_retracted():
    rumour = Rumour.open(alonso_to_real(), "tester", NOW)
    retraction = make_retraction(str(uuid.uuid4()), "oops", "2025-01-01", TODAY)
    with pytest.raises(UnknownEvent):
        rumour.retract(retraction, "tester", NOW, retraction.claim_id)


def test_a_claim_cannot_be_retracted_twice():
    rumour = Rumour.open(alonso_to_real(), "tester", NOW)
    claim = sport_report()
    rumour.record(claim, "tester", NOW, claim.claim_id)
    first = make_retraction(str(claim.claim_id), "wrong club", "2025-01-01", TODAY)
    second = make_retraction(str(claim.claim_id), "still wrong", "2025-01-02", TODAY)
    rumour.retract(first, "tester", NOW, first.claim_id)
    with pytest.raises(AlreadyRetracted):
        rumour.retract(second, "tester", NOW, second.claim_id)


def test_a_retraction_cannot_itself_be_retracted():
    rumour = Rumour.open(alonso_to_real(), "tester", NOW)
    claim = sport_report()
    rumour.record(claim, "tester", NOW, claim.claim_id)
    first = make_retraction(str(claim.claim_id), "wrong club", "2025-01-01", TODAY)
    rumour.retract(first, "tester", NOW, first.claim_id)
    undo = make_retraction(str(first.claim_id), "undo", "2025-01-02", TODAY)
    with pytest.raises(UnknownEvent):
        rumour.retract(undo, "tester", NOW, undo.claim_id)


def test_a_retraction_needs_a_reason():
    with pytest.raises(InvalidClaim, match="reason"):
        make_retraction(str(uuid.uuid4()), "  ", "2025-01-01", TODAY)


def test_a_used_id_takes_its_own_claim_again_but_no_other():
    from rumour_ledger.ledger.errors import ReusedId

    rumour = Rumour.open(alonso_to_real(), "desk", NOW)
    given = uuid.uuid4()  # an id from a file, not derived from the content
    assert rumour.record(sport_report(), "desk", NOW, given)
    assert not rumour.record(sport_report(), "desk", NOW, given)
    with pytest.raises(ReusedId):
        rumour.record(sport_report(source="Marca"), "desk", NOW, given)
    retraction = make_retraction(str(given), "misread", TODAY, TODAY)
    with pytest.raises(ReusedId):
        rumour.retract(retraction, "desk", NOW, given)
    replayed = Rumour.open(alonso_to_real(), "desk", NOW)
    for event in rumour.collect_events()[1:]:
        event.mutate(replayed)
    with pytest.raises(ReusedId):
        replayed.record(sport_report(source="Marca"), "desk", NOW, given)


def test_a_recast_is_sealed_chained_and_changes_only_the_role_shown():
    rumour = Rumour.open(alonso_to_real(), "tester", NOW)
    claim = sport_report()
    rumour.record(claim, "tester", NOW, claim.claim_id)
    role = rumour.role
    recasting = make_recasting("Xabi Alonso", "Bayer Leverkusen", "Real Madrid", "other", "why")
    assert rumour.recast(recasting, "tester", NOW)
    assert not rumour.recast(recasting, "tester", NOW)  # already "other": nothing added
    *_, reported, recast = rumour.collect_events()
    fields = {
        "event_id": recast.event_id,
        "role": "other",
        "reason": "why",
        "recorded_by": "tester",
    }
    assert recast.digest == seal(reported.digest, Rumour.Recast.TOPIC, rumour.id, 3, NOW, fields)
    assert (rumour.role, role) == ("other", alonso_to_real().role.value)
    assert rumour.move.role is Role.OTHER


def test_a_recast_names_its_role_and_reason():
    with pytest.raises(InvalidClaim, match="role"):
        make_recasting("Xabi Alonso", None, "Real Madrid", None, "why")
    with pytest.raises(InvalidClaim, match="reason"):
        make_recasting("Xabi Alonso", None, "Real Madrid", "coach", "  ")
