"""Undoing a retraction: a restoration as a rule of the domain, counted from when it is
recorded (before then, on the known-at clock, the claim is still retracted), audited,
exported and imported, and the `unretract` command around it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from rumour_ledger.cli.main import cli
from rumour_ledger.ledger.claims import (
    Kind,
    make_claim,
    make_move,
    make_restoration,
    make_retraction,
)
from rumour_ledger.ledger.domain import Rumour
from rumour_ledger.ledger.errors import AlreadyRestored, AlreadyRetracted, UnknownEvent

TODAY = date(2026, 1, 15)
NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)


def sport(**changes):
    move = make_move("Xabi Alonso", "Bayer Leverkusen", "Real Madrid", "coach")
    fields = {"source": "Sport", "published": "2024-10-28", "text": "soon"}
    return make_claim(Kind.REPORT, move, today=TODAY, **{**fields, **changes})


# The rule, on the aggregate -------------------------------------------------------------------


def test_a_restoration_undoes_a_standing_retraction_once_and_the_claim_can_be_retracted_again():
    claim = sport()
    rumour = Rumour.open(claim.move, "tester", NOW)
    rumour.record(claim, "tester", NOW, claim.claim_id)
    retraction = make_retraction(claim.claim_id, "wrong", TODAY, TODAY)
    rumour.retract(retraction, "tester", NOW, retraction.claim_id)
    restoration = make_restoration(retraction.claim_id, "it was right")
    assert rumour.restore(restoration, "tester", NOW, restoration.claim_id)
    # The same restoration again is a skip; another undo of the same retraction is refused.
    assert not rumour.restore(restoration, "tester", NOW, restoration.claim_id)
    other = make_restoration(retraction.claim_id, "still right")
    with pytest.raises(AlreadyRestored, match="already undone"):
        rumour.restore(other, "tester", NOW, other.claim_id)
    # A new retraction withdraws the claim again, and may itself be undone.
    again = make_retraction(claim.claim_id, "wrong after all", TODAY, TODAY)
    assert rumour.retract(again, "tester", NOW, again.claim_id)
    with pytest.raises(AlreadyRetracted):
        third = make_retraction(claim.claim_id, "x", TODAY, TODAY)
        rumour.retract(third, "tester", NOW, third.claim_id)
    undo = make_restoration(again.claim_id, "right again")
    assert rumour.restore(undo, "tester", NOW, undo.claim_id)
    kinds = [type(e).__name__ for e in rumour.collect_events()]
    assert kinds == ["Opened", "Reported", "Retracted", "Restored", "Retracted", "Restored"]


def test_only_a_retraction_is_undone_and_a_retraction_is_not_retracted():
    claim = sport()
    rumour = Rumour.open(claim.move, "tester", NOW)
    rumour.record(claim, "tester", NOW, claim.claim_id)
    not_a_retraction = make_restoration(claim.claim_id, "x")
    with pytest.raises(UnknownEvent, match="only a retraction is undone"):
        rumour.restore(not_a_retraction, "tester", NOW, not_a_retraction.claim_id)
    retraction = make_retraction(claim.claim_id, "wrong", TODAY, TODAY)
    rumour.retract(retraction, "tester", NOW, retraction.claim_id)
    of_retraction = make_retraction(retraction.claim_id, "oops", TODAY, TODAY)
    with pytest.raises(UnknownEvent, match="rumour unretract"):
        rumour.retract(of_retraction, "tester", NOW, of_retraction.claim_id)
    restoration = make_restoration(retraction.claim_id, "right")
    rumour.restore(restoration, "tester", NOW, restoration.claim_id)
    of_restoration = make_retraction(restoration.claim_id, "oops", TODAY, TODAY)
    with pytest.raises(UnknownEvent, match="retract the claim"):
        rumour.retract(of_restoration, "tester", NOW, of_restoration.claim_id)


def test_a_restoration_needs_an_id_and_a_reason():
    from rumour_ledger.ledger.errors import InvalidClaim

    with pytest.raises(InvalidClaim, match="restores"):
        make_restoration("nope", "x")
    with pytest.raises(InvalidClaim, match="reason"):
        make_restoration(sport().claim_id, " ")


# On a ledger, both stores ----------------------------------------------------------------------


def counts(ledger, known_at=None):
    from rumour_ledger.projections.views import rumour_list

    with ledger.reading() as conn:
        return [row["reports"] for row in rumour_list(conn, known_at=known_at)]


def test_the_claim_counts_again_from_when_the_restoration_was_recorded(ledger, clock):
    from rumour_ledger.ledger.integrity import verify_store
    from rumour_ledger.projections.audit import audit_log
    from rumour_ledger.projections.search import Query, search
    from rumour_ledger.projections.views import find_rumour, rumour_history

    clock.set(NOW)
    claim_id = ledger.app.record(sport()).id
    clock.set(NOW + timedelta(hours=1))
    retraction = ledger.app.retract(make_retraction(claim_id, "wrong", TODAY, TODAY)).id
    clock.set(NOW + timedelta(hours=2))
    restored = ledger.app.restore(make_restoration(retraction, "it was right"))
    assert restored.added
    before, between, after = (NOW + timedelta(minutes=30 + 60 * h) for h in range(3))
    assert counts(ledger) == [1]
    assert counts(ledger, before) == [1]
    assert counts(ledger, between) == [0]  # as the ledger stood then: still retracted
    assert counts(ledger, after) == [1]
    with ledger.reading() as conn:
        ref = find_rumour(conn, "Xabi Alonso -> Real Madrid")
        now = {e["type"]: e for e in rumour_history(conn, ref)}
        assert not now["report"]["retracted"] and now["retraction"]["retracted"]
        assert now["restoration"]["restores"] == str(retraction)
        then = {e["type"]: e for e in rumour_history(conn, ref, known_at=between)}
        assert then["report"]["retracted"] and then["report"]["retracted_by"] == str(retraction)
        assert not then["retraction"]["retracted"] and "restoration" not in then
        assert [e["type"] for e in audit_log(conn)] == ["report", "retraction", "restoration"]
        found = list(search(conn, Query(known_at=between, live=True)))
        assert found == []
        assert len(list(search(conn, Query(live=True)))) == 1
    assert verify_store(ledger.store).ok
    # A rebuilt read model holds the same.
    ledger.rebuild()
    assert (counts(ledger), counts(ledger, between), counts(ledger, after)) == ([1], [0], [1])


def test_retracted_restored_and_retracted_again_each_time_as_it_stood(ledger, clock):
    clock.set(NOW)
    claim_id = ledger.app.record(sport()).id
    clock.set(NOW + timedelta(hours=1))
    first = ledger.app.retract(make_retraction(claim_id, "wrong", TODAY, TODAY)).id
    clock.set(NOW + timedelta(hours=2))
    ledger.app.restore(make_restoration(first, "right"))
    clock.set(NOW + timedelta(hours=3))
    ledger.app.retract(make_retraction(claim_id, "wrong after all", TODAY, TODAY))
    hours = [counts(ledger, NOW + timedelta(minutes=30 + 60 * h)) for h in range(4)]
    assert hours == [[1], [0], [1], [0]]
    assert counts(ledger) == [0]


def test_retracting_again_for_the_reason_already_undone_is_refused_not_skipped(ledger):
    claim_id = ledger.app.record(sport()).id
    first = ledger.app.retract(make_retraction(claim_id, "wrong", TODAY, TODAY)).id
    ledger.app.restore(make_restoration(first, "right"))
    with pytest.raises(AlreadyRetracted, match="give another reason"):
        ledger.app.retract(make_retraction(claim_id, "wrong", TODAY, TODAY))


def test_the_likelihood_board_counts_the_restored_claim_from_then_on(ledger, clock):
    from rumour_ledger.projections.board import board
    from rumour_ledger.projections.evidence import Moment
    from rumour_ledger.projections.likelihood import Settings

    def likelihood(known_at=None):
        with ledger.reading() as conn:
            [row] = board(conn, Moment(TODAY, known_at), Settings())
        return row["likelihood"]

    clock.set(NOW)
    claim_id = ledger.app.record(sport()).id
    # A second report keeps the move on the board while the first is retracted.
    ledger.app.record(sport(source="Marca", published="2024-10-20"))
    reported = likelihood()
    clock.set(NOW + timedelta(hours=1))
    retraction = ledger.app.retract(make_retraction(claim_id, "wrong", TODAY, TODAY)).id
    retracted = likelihood()
    clock.set(NOW + timedelta(hours=2))
    ledger.app.restore(make_restoration(retraction, "right"))
    assert retracted != reported
    assert likelihood() == reported
    assert likelihood(NOW + timedelta(minutes=90)) == retracted


def test_an_export_with_restorations_imports_to_the_same_bytes_and_digest(open_fresh, clock):
    from rumour_ledger.ledger.integrity import digest_store
    from rumour_ledger.ledger.interchange import dump_line, read_entries

    with open_fresh() as original, open_fresh() as copy:
        claim_id = original.app.record(sport()).id
        retraction = original.app.retract(make_retraction(claim_id, "wrong", TODAY, TODAY)).id
        original.app.restore(make_restoration(retraction, "right"))
        lines = [dump_line(obj) for obj in original.app.export_entries()]
        assert json.loads(lines[-1])["type"] == "restoration"
        data = [line.encode() + b"\n" for line in lines]
        entries = read_entries(data, "x", today=copy.app.today, now=copy.app.clock())
        assert copy.app.import_entries(entries).added == 3
        assert [dump_line(obj) for obj in copy.app.export_entries()] == lines
        assert digest_store(copy.store)[0] == digest_store(original.store)[0]
        copy.catch_up()
        assert counts(copy) == [1]


# The command ---------------------------------------------------------------------------------


def test_unretract_prints_its_json_and_retract_of_a_retraction_points_to_it(location):
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, [*args, "--db", location])

    move = ["Declan Rice", "--from", "West Ham", "--to", "Arsenal"]
    reported = run("report", *move, "--source", "BBC", "--date", "2023-06-01")
    assert reported.exit_code == 0, reported.output
    claim = reported.stdout.strip()
    retraction = run("retract", claim[:8], "--reason", "wrong").stdout.strip()
    refused = run("retract", retraction[:8], "--reason", "oops")
    assert refused.exit_code == 1
    assert refused.stderr.count("\n") == 1 and "rumour unretract" in refused.stderr
    dry = run("unretract", retraction[:8], "--reason", "right", "--dry-run", "--json")
    assert dry.exit_code == 0 and json.loads(dry.stdout)["dry_run"] is True
    assert json.loads(run("list", "--json").stdout)[0]["reports"] == 0
    done = run("unretract", retraction[:8], "--reason", "right", "--json")
    assert done.exit_code == 0, done.output
    stored = json.loads(done.stdout)
    assert stored["type"] == "restoration" and stored["added"] is True
    assert (stored["restores"], stored["restored"]) == (retraction, claim)
    assert json.loads(run("list", "--json").stdout)[0]["reports"] == 1
    again = run("unretract", retraction[:8], "--reason", "right")
    assert again.exit_code == 0 and "nothing added" in again.stderr
    for wrong in ([claim[:8], "--reason", "x"], [retraction[:8], "--reason", "other"]):
        failed = run("unretract", *wrong)
        assert failed.exit_code == 1 and failed.stderr.startswith("Error: ")
        assert "Traceback" not in failed.output
    log = run("audit", "log").stdout
    assert f"undoes {retraction[:8]}: right" in log
    shown = run("show", "Declan Rice").stdout
    assert "retraction [undone]" in shown and "report [retracted]" not in shown
