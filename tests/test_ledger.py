"""The application on a real store: appending, idempotence, atomic import, export, retraction."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from conftest import EXAMPLES, NOW
from rumour_ledger.ledger.claims import Kind, make_claim, make_move, make_retraction
from rumour_ledger.ledger.errors import ImportFailed, UnknownEvent
from rumour_ledger.ledger.interchange import dump_line, read_entries
from rumour_ledger.projections.views import find_rumour, rumour_history, rumour_list

DEMO = EXAMPLES / "alonso-2024.jsonl"


def stored_count(ledger) -> int:
    return ledger.app.recorder.max_notification_id() or 0


def import_text(ledger, text: str, name: str = "test.jsonl"):
    lines = io.BytesIO(text.encode("utf-8"))
    entries = read_entries(lines, name, today=ledger.app.today, now=ledger.app.clock())
    return ledger.app.import_entries(entries, file=name)


def import_demo(ledger):
    with DEMO.open("rb") as lines:
        entries = read_entries(lines, str(DEMO), today=ledger.app.today, now=NOW)
        return ledger.app.import_entries(entries, file=str(DEMO))


def export_text(ledger) -> str:
    return "".join(dump_line(obj) + "\n" for obj in ledger.app.export_entries())


def report(ledger, **values):
    move = make_move(
        values.pop("subject", "Xabi Alonso"),
        values.pop("from_", "Bayer Leverkusen"),
        values.pop("to", "Real Madrid"),
        "coach",
    )
    values.setdefault("source", "Sport")
    values.setdefault("published", "2024-10-28")
    return ledger.app.record(make_claim(Kind.REPORT, move, today=ledger.app.today, **values))


def test_the_demo_imports_both_rumours_of_the_seed(ledger):
    result = import_demo(ledger)
    assert result.added == 17
    with ledger.reading() as conn:
        labels = {row["label"] for row in rumour_list(conn)}
    assert "Xabi Alonso: Bayer Leverkusen -> Real Madrid" in labels
    assert "Carlo Ancelotti leaves Real Madrid" in labels


def test_importing_the_same_file_again_adds_nothing(ledger):
    import_demo(ledger)
    before = stored_count(ledger)
    again = import_demo(ledger)
    assert (again.added, again.skipped) == (0, 17)
    assert stored_count(ledger) == before


def test_a_file_with_one_bad_line_stores_nothing_and_names_the_line(ledger):
    good = DEMO.read_text(encoding="utf-8").splitlines()
    bad = json.loads(good[0])
    bad["date"] = "2024-02-30"
    text = "\n".join([*good[:5], json.dumps(bad), *good[5:]]) + "\n"
    with pytest.raises(ImportFailed) as caught:
        import_text(ledger, text, "bad.jsonl")
    assert str(caught.value).startswith("bad.jsonl:6: field date:")
    assert stored_count(ledger) == 0


def test_a_retraction_of_an_unknown_id_fails_the_whole_import(ledger):
    good = DEMO.read_text(encoding="utf-8")
    retraction = {
        "type": "retraction",
        "retracts": "00000000-0000-0000-0000-000000000001",
        "reason": "typo",
    }
    with pytest.raises(ImportFailed, match=r"x.jsonl:18: retracts: no claim"):
        import_text(ledger, good + json.dumps(retraction) + "\n", "x.jsonl")
    assert stored_count(ledger) == 0


def test_export_then_import_into_an_empty_ledger_gives_the_same_bytes(ledger, open_fresh):
    import_demo(ledger)
    first = export_text(ledger)
    other = open_fresh()
    result = import_text(other, first)
    assert result.added == 17
    assert export_text(other) == first


def test_imported_ids_keep_reimport_idempotent_across_ledgers(ledger, open_fresh):
    import_demo(ledger)
    exported = export_text(ledger)
    other = open_fresh()
    import_text(other, exported)
    assert import_text(other, exported).added == 0
    assert import_demo(other).added == 0


def test_reporting_the_same_claim_twice_returns_the_same_id_and_adds_nothing(ledger):
    first = report(ledger)
    second = report(ledger)
    assert first.id == second.id
    assert (first.added, second.added) == (True, False)
    assert stored_count(ledger) == 2  # the rumour's opening and one report


def test_claims_in_other_spellings_land_on_one_rumour(ledger):
    report(ledger)
    report(
        ledger,
        subject="xabi alonso",
        from_="bayer leverkusen",
        to="REAL MADRID",
        source="AS",
    )
    with ledger.reading() as conn:
        rows = rumour_list(conn)
    assert len(rows) == 1
    assert rows[0]["subject"] == "Xabi Alonso"
    assert rows[0]["reports"] == 2


def test_a_retracted_claim_stays_on_record_marked_and_stops_counting(ledger):
    recorded = report(ledger)
    retraction = make_retraction(recorded.id, "wrong club", "2025-01-01", ledger.app.today)
    ledger.app.retract(retraction)
    with ledger.reading() as conn:
        ref = find_rumour(conn, "Xabi Alonso -> Real Madrid")
        history = rumour_history(conn, ref)
        (row,) = rumour_list(conn)
    original = next(e for e in history if e["id"] == str(recorded.id))
    assert original["retracted"] is True
    assert [e["type"] for e in history] == ["report", "retraction"]
    assert row["reports"] == 0


def test_retracting_an_unknown_id_is_an_error_and_stores_nothing(ledger):
    report(ledger)
    before = stored_count(ledger)
    retraction = make_retraction(
        "00000000-0000-0000-0000-000000000001", "oops", "2025-01-01", ledger.app.today
    )
    with pytest.raises(UnknownEvent):
        ledger.app.retract(retraction)
    assert stored_count(ledger) == before


def test_recorded_by_and_recorded_at_are_kept(ledger, clock):
    clock.set(datetime(2026, 1, 10, 9, tzinfo=UTC))
    recorded = ledger.app.record(
        make_claim(
            Kind.DENIAL,
            make_move("Xabi Alonso", "Bayer Leverkusen", "Real Madrid", "coach"),
            source="Xabi Alonso",
            official=True,
            published="2024-03-29",
            today=ledger.app.today,
        ),
        recorded_by="desk-editor",
    )
    with ledger.reading() as conn:
        ref = find_rumour(conn, str(recorded.rumour_id)[:8])
        (event,) = rumour_history(conn, ref)
    assert event["recorded_by"] == "desk-editor"
    assert event["recorded_at"].startswith("2026-01-10T09:00:00.")


def test_a_reopened_ledger_holds_what_was_stored(location, clock):
    from rumour_ledger.projections.bootstrap import open_ledger

    with open_ledger(location, clock=clock, user="tester") as first:
        import_demo(first)
    with open_ledger(location, clock=clock, user="tester") as second:
        with second.reading() as conn:
            assert len(rumour_list(conn)) == 4
        assert (
            second.app.rumour(
                make_move("Xabi Alonso", "Bayer Leverkusen", "Real Madrid").rumour_id
            ).version
            == 7
        )
