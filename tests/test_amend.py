"""Amendments: the corrected claim as a rule of the domain, sealed, stored with its
retraction in one transaction, and shown linked by the read models."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from rumour_ledger.ledger.chain import seal
from rumour_ledger.ledger.claims import Kind, make_amendment, make_claim, make_move
from rumour_ledger.ledger.domain import Rumour
from rumour_ledger.ledger.errors import AlreadyRetracted, InvalidClaim, LedgerError

TODAY = date(2026, 1, 15)
NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)
OLD_ID = uuid.UUID("6fd07a73-bc06-5d53-a18f-187ac1b0e486")


def sport(**changes):
    move = make_move("Xabi Alonso", "Bayer Leverkusen", "Real Madrid", "coach")
    fields = {"source": "Sport", "cites": "Marca", "published": "2024-10-28", "text": "soon"}
    return make_claim(Kind.REPORT, move, today=TODAY, **{**fields, **changes})


def test_an_amendment_copies_what_it_does_not_change_and_names_the_claim_it_amends():
    amendment = make_amendment(sport(), OLD_ID, {"date": "2024-10-27"}, "a day early", TODAY, TODAY)
    claim = amendment.claim
    assert claim.published == date(2024, 10, 27) and claim.amends == OLD_ID
    assert (claim.source, claim.cites, claim.text) == ("Sport", "Marca", "soon")
    assert claim.move.role.value == "coach" and claim.move.from_ == "Bayer Leverkusen"
    assert amendment.retraction.retracts == OLD_ID
    assert amendment.retraction.reason == "a day early"


def test_an_empty_value_clears_an_optional_field_and_a_new_club_is_another_rumour():
    amendment = make_amendment(
        sport(), OLD_ID, {"cites": "", "to": "Bayern Munich"}, "no relay", TODAY, TODAY
    )
    assert amendment.claim.cites is None
    assert amendment.claim.move.rumour_id != sport().move.rumour_id


def test_an_amendment_that_changes_nothing_or_breaks_a_rule_is_refused():
    with pytest.raises(InvalidClaim, match="nothing to change"):
        make_amendment(sport(), OLD_ID, {"source": "Sport", "to": "real madrid"}, "x", TODAY, TODAY)
    with pytest.raises(InvalidClaim, match="source: must not be empty"):
        make_amendment(sport(), OLD_ID, {"source": ""}, "x", TODAY, TODAY)
    with pytest.raises(InvalidClaim, match="date"):
        make_amendment(sport(), OLD_ID, {"date": "2099-01-01"}, "x", TODAY, TODAY)
    with pytest.raises(InvalidClaim, match="reason"):
        make_amendment(sport(), OLD_ID, {"date": "2024-10-27"}, " ", TODAY, TODAY)


def test_a_correction_that_says_what_an_earlier_claim_said_is_a_claim_of_its_own():
    # Amended back to what was first recorded: the id must differ, or it would be skipped.
    assert sport(amends=OLD_ID).claim_id != sport().claim_id
    assert sport(amends=OLD_ID).claim_id != sport(amends=uuid.uuid4()).claim_id


def test_the_claim_it_amends_is_sealed_with_the_corrected_claim():
    claim = sport(amends=OLD_ID)
    rumour = Rumour.open(claim.move, "tester", NOW)
    rumour.record(claim, "tester", NOW, claim.claim_id)
    opened, reported = rumour.collect_events()
    fields = {
        "claim_id": claim.claim_id,
        "source": "Sport",
        "cites": "Marca",
        "official": False,
        "published": date(2024, 10, 28),
        "claim": "soon",
        "url": None,
        "recorded_by": "tester",
        "role": "coach",
        "amends": OLD_ID,
    }
    assert reported.digest == seal(opened.digest, Rumour.Reported.TOPIC, rumour.id, 2, NOW, fields)
    assert reported.amends == OLD_ID


# On a ledger ------------------------------------------------------------------------------


def stored(ledger, claim):
    return ledger.app.record(claim).id


def test_an_amendment_stores_the_retraction_and_the_claim_and_shows_them_linked(ledger):
    from rumour_ledger.ledger.integrity import verify_store
    from rumour_ledger.projections.audit import audit_log
    from rumour_ledger.projections.views import find_rumour, rumour_history

    old = stored(ledger, sport())
    amendment = ledger.app.make_amendment(old, {"to": "Bayern Munich"}, "wrong club", TODAY)
    retracted, corrected = ledger.app.amend(amendment)
    assert retracted.added and corrected.added and corrected.rumour_id != retracted.rumour_id
    # The same amendment again adds nothing; another correction of the same claim is refused.
    assert not ledger.app.amend(amendment)[1].added
    other = make_amendment(sport(), old, {"to": "Liverpool"}, "wrong club", TODAY, TODAY)
    with pytest.raises(AlreadyRetracted):
        ledger.app.amend(other)
    with ledger.reading() as conn:
        [was] = rumour_history(conn, find_rumour(conn, "Xabi Alonso -> Real Madrid"))[:1]
        assert was["retracted"] and was["amends"] is None
        [now] = rumour_history(conn, find_rumour(conn, "Xabi Alonso -> Bayern Munich"))
        assert now["amends"] == str(old) and now["id"] == str(corrected.id)
        trail = {e["id"]: e for e in audit_log(conn)}
        assert trail[str(corrected.id)]["amends"] == str(old)
        assert trail[str(retracted.id)]["amends"] is None
    assert verify_store(ledger.store).ok
    # A rebuilt read model links them the same.
    ledger.rebuild()
    with ledger.reading() as conn:
        [now] = rumour_history(conn, find_rumour(conn, "Xabi Alonso -> Bayern Munich"))
        assert now["amends"] == str(old)


def test_an_amendment_that_fails_on_its_second_rumour_leaves_nothing(ledger, monkeypatch):
    from rumour_ledger.ledger.integrity import digest_store

    old = stored(ledger, sport())
    before = digest_store(ledger.store)
    amendment = ledger.app.make_amendment(old, {"to": "Bayern Munich"}, "wrong club", TODAY)
    real_record = Rumour.record

    def failing(self, claim, *args):
        if claim.amends is not None:
            raise LedgerError("the corrected claim failed")
        return real_record(self, claim, *args)

    monkeypatch.setattr(Rumour, "record", failing)
    with pytest.raises(LedgerError, match="corrected claim failed"):
        ledger.app.amend(amendment)
    monkeypatch.setattr(Rumour, "record", real_record)
    assert digest_store(ledger.store) == before
    # The claim is not retracted: it can still be amended.
    assert ledger.app.amend(amendment)[0].added


def test_a_store_that_refuses_the_pair_stores_neither(ledger, monkeypatch):
    from eventsourcing.persistence import PersistenceError

    from rumour_ledger.ledger.integrity import digest_store

    old = stored(ledger, sport())
    before = digest_store(ledger.store)
    amendment = ledger.app.make_amendment(old, {"to": "Bayern Munich"}, "wrong club", TODAY)
    recorder = ledger.app.recorder
    real_insert = recorder.insert_events

    def insert(events, **kwargs):
        # Both events reach the store in one call, or the pair could be split.
        assert len(events) == 3  # the retraction, the new rumour's opening, the claim
        raise PersistenceError("disk full")

    monkeypatch.setattr(recorder, "insert_events", insert)
    with pytest.raises(LedgerError, match="disk full"):
        ledger.app.amend(amendment)
    monkeypatch.setattr(recorder, "insert_events", real_insert)
    assert digest_store(ledger.store) == before
