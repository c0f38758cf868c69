"""A rumour's role: each claim keeps the role its line gave, and export gives it back."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from test_trust_support import raw_db
from test_trust_tamper import named, verify_in

from rumour_ledger.cli.main import cli
from rumour_ledger.ledger.claims import Kind, Recasting, make_claim, make_move, make_recasting
from rumour_ledger.ledger.errors import ImportFailed
from rumour_ledger.ledger.integrity import verify_store
from rumour_ledger.ledger.interchange import dump_line, read_entries
from rumour_ledger.ledger.store import open_store
from rumour_ledger.projections.tables import calls
from rumour_ledger.projections.views import find_rumour, rumour_list

LINE = {
    "type": "report",
    "subject": "Xabi Alonso",
    "from": "Bayer Leverkusen",
    "to": "Real Madrid",
    "source": "Sport",
    "date": "2024-10-28",
}


def line(**values: Any) -> str:
    return json.dumps({**LINE, **values}, ensure_ascii=False)


def import_text(ledger, text: str, name: str = "roles.jsonl"):
    data = io.BytesIO(text.encode("utf-8"))
    entries = read_entries(data, name, today=ledger.app.today, now=ledger.app.clock())
    return ledger.app.import_entries(entries, file=name)


def export_text(ledger) -> str:
    return "".join(dump_line(obj) + "\n" for obj in ledger.app.export_entries())


def exported(ledger) -> list[dict[str, Any]]:
    return list(ledger.app.export_entries())


def test_a_coach_line_after_a_player_line_exports_coach(ledger, open_fresh):
    text = line(role="player") + "\n" + line(role="coach", source="Bild") + "\n"
    assert import_text(ledger, text).added == 2
    assert [obj["role"] for obj in exported(ledger)] == ["player", "coach"]

    other = open_fresh()
    import_text(other, export_text(ledger))
    assert export_text(other) == export_text(ledger)


def test_an_identical_claim_with_another_role_is_the_same_claim_and_skipped(ledger):
    import_text(ledger, line(role="player") + "\n")
    assert import_text(ledger, line(role="coach") + "\n").added == 0
    assert [obj["role"] for obj in exported(ledger)] == ["player"]


def test_a_recorded_claim_keeps_its_own_role(ledger):
    for role, source in (("coach", "Sport"), ("executive", "Bild")):
        move = make_move("Xabi Alonso", "Bayer Leverkusen", "Real Madrid", role)
        claim = make_claim(
            Kind.REPORT, move, source=source, published="2024-10-28", today=ledger.app.today
        )
        ledger.app.record(claim)
    assert [obj["role"] for obj in exported(ledger)] == ["coach", "executive"]


def record_as_before(ledger, source: str) -> None:
    """A claim appended as the ledger stored claims before they kept a role: without one."""
    move = make_move("Xabi Alonso", "Bayer Leverkusen", "Real Madrid", "executive")
    claim = make_claim(
        Kind.REPORT, move, source=source, published="2024-10-29", today=ledger.app.today
    )
    rumour = ledger.app.rumour(move.rumour_id)
    fields = {
        "claim_id": claim.claim_id,
        "source": claim.source,
        "cites": claim.cites,
        "official": claim.official,
        "published": claim.published,
        "claim": claim.text,
        "url": claim.url,
        "recorded_by": "tester",
    }
    when = ledger.app.clock()
    digest = rumour._seal(rumour.Reported.TOPIC, when, fields)
    rumour.trigger_event(rumour.Reported, timestamp=when, digest=digest, **fields)
    # Stored as the class was then, with no role at all (not a role of None), and no
    # amends either (added later still).
    del rumour.pending_events[-1].__dict__["role"]
    del rumour.pending_events[-1].__dict__["amends"]
    ledger.app.save(rumour)


def test_claims_stored_without_a_role_read_as_their_rumours_and_still_verify(
    ledger, location, open_fresh
):
    import_text(ledger, line(role="coach") + "\n")
    record_as_before(ledger, "Bild")
    assert [obj["role"] for obj in exported(ledger)] == ["coach", "coach"]
    assert verify_store(open_store(location)).ok

    other = open_fresh()
    import_text(other, export_text(ledger))
    assert export_text(other) == export_text(ledger)


# Recasts: correcting the role a rumour is shown with, by an event -------------------------


def shown_role(ledger, name: str = "Xabi Alonso") -> str:
    ledger.catch_up()
    with ledger.reading() as conn:
        listed = {row["label"]: row["role"] for row in rumour_list(conn)}
        ref = find_rumour(conn, name)
    assert listed[ref.label] == ref.role
    return ref.role


def recasting(role: str, reason: str = "typed as a player") -> Recasting:
    return make_recasting("Xabi Alonso", "Bayer Leverkusen", "Real Madrid", role, reason)


def test_later_claims_do_not_change_the_role_shown_but_a_recast_does(ledger):
    import_text(ledger, line(role="player") + "\n" + line(role="coach", source="Bild") + "\n")
    assert shown_role(ledger) == "player"
    assert ledger.app.recast(recasting("coach"))
    assert shown_role(ledger) == "coach"
    # Each claim still keeps its own role.
    assert [obj["role"] for obj in exported(ledger) if obj["type"] == "report"] == [
        "player",
        "coach",
    ]


def test_the_latest_recast_wins_and_a_recast_to_the_role_shown_adds_nothing(ledger):
    import_text(ledger, line(role="player") + "\n")
    assert ledger.app.recast(recasting("coach"))
    assert not ledger.app.recast(recasting("coach"))
    assert ledger.app.recast(recasting("executive", "he runs the club"))
    assert ledger.app.recast(recasting("coach", "he coaches after all"))
    assert shown_role(ledger) == "coach"
    recasts = [obj for obj in exported(ledger) if obj["type"] == "recast"]
    assert [obj["role"] for obj in recasts] == ["coach", "executive", "coach"]
    assert len({obj["id"] for obj in recasts}) == 3


def test_a_recast_is_exported_and_replayed_by_an_import(ledger, open_fresh):
    import_text(ledger, line(role="player") + "\n")
    ledger.app.recast(recasting("coach"))
    recast = exported(ledger)[-1]
    assert recast == {
        "type": "recast",
        "id": recast["id"],
        "subject": "Xabi Alonso",
        "from": "Bayer Leverkusen",
        "to": "Real Madrid",
        "role": "coach",
        "reason": "typed as a player",
        "recorded_by": "tester",
        "recorded_at": recast["recorded_at"],
    }
    other = open_fresh()
    assert import_text(other, export_text(ledger)).added == 2
    assert export_text(other) == export_text(ledger)
    assert shown_role(other) == "coach"
    assert import_text(other, export_text(ledger)).added == 0


def test_a_recast_line_in_a_file_recasts_and_an_unknown_rumour_stores_nothing(ledger):
    recast = {**LINE, "type": "recast", "role": "coach", "reason": "wrong role"}
    for key in ("source", "date"):
        del recast[key]
    text = line(role="player") + "\n" + json.dumps(recast) + "\n"
    assert import_text(ledger, text).added == 2
    assert shown_role(ledger) == "coach"
    elsewhere = json.dumps({**recast, "to": "Bayern Munich"})
    with pytest.raises(ImportFailed, match=r"roles\.jsonl:1: no rumour"):
        import_text(ledger, elsewhere + "\n")
    with pytest.raises(ImportFailed, match="reason"):
        import_text(ledger, json.dumps({**recast, "reason": " "}) + "\n")
    assert len(exported(ledger)) == 2


def test_a_recast_line_with_the_id_of_a_claim_stores_nothing(ledger, location):
    import_text(ledger, line(role="player") + "\n")
    claim_id = exported(ledger)[0]["id"]
    recast = {
        "type": "recast",
        "id": claim_id,
        "subject": "Xabi Alonso",
        "from": "Bayer Leverkusen",
        "to": "Real Madrid",
        "role": "coach",
        "reason": "wrong role",
    }
    with pytest.raises(ImportFailed, match="already used by another entry"):
        import_text(ledger, json.dumps(recast) + "\n")
    in_file = line(role="player", source="Bild", id="6fd07a73-0000-4000-8000-000000000001")
    with pytest.raises(ImportFailed, match="first used on line 1"):
        import_text(
            ledger, in_file + "\n" + json.dumps({**recast, "id": json.loads(in_file)["id"]})
        )
    assert len(exported(ledger)) == 1
    assert verify_store(open_store(location)).ok


def test_a_recast_coach_no_longer_ends_another_coachs_move_and_catch_up_equals_rebuild(
    ledger,
):
    lines = [
        {**LINE, "role": "coach", "date": "2024-10-01"},
        {
            "type": "confirmation",
            "subject": "Carlo Ancelotti",
            "to": "Real Madrid",
            "role": "coach",
            "source": "Real Madrid",
            "date": "2024-11-01",
        },
    ]
    import_text(ledger, "".join(json.dumps(obj) + "\n" for obj in lines))
    ledger.catch_up()
    before = stored_calls(ledger)
    ledger.app.recast(make_recasting("Carlo Ancelotti", None, "Real Madrid", "player", "he plays"))
    ledger.catch_up()
    caught_up = stored_calls(ledger)
    assert caught_up != before
    ledger.rebuild()
    ledger.catch_up()
    assert stored_calls(ledger) == caught_up


def stored_calls(ledger) -> list[tuple]:
    with ledger.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(calls)))


def test_verify_passes_after_a_recast_and_names_a_tampered_one(ledger, location):
    import_text(ledger, line(role="player") + "\n")
    ledger.app.recast(recasting("coach"))
    ledger.close()
    assert verify_store(open_store(location)).ok
    with raw_db(location) as db:
        db.drop_guards()
        row = next(r for r in db.rows() if r[3] == "rumour-ledger:Rumour.Recast")
        state = row[4].replace(b'"coach"', b'"other"')
        db.execute(f"UPDATE {db.events} SET state = ? WHERE {db.position} = ?", (state, row[0]))
        report = verify_in(db)
    assert not report.ok
    assert named(report) == {(row[1], row[2])}


def rumour(location: str, *args: str):
    return CliRunner().invoke(cli, ["--db", location, *args])


def test_rumour_recast_records_a_recast_once_and_refuses_an_unknown_rumour(ledger, location):
    import_text(ledger, line(role="player") + "\n")
    ledger.close()
    args = ["recast", "Xabi Alonso -> Real Madrid", "--role", "coach", "--reason", "coach"]
    done = rumour(location, *args)
    assert done.exit_code == 0, done.output
    assert "now shown as coach" in done.stdout
    again = rumour(location, *args)
    assert again.exit_code == 0
    assert again.stderr == "already coach: nothing added\n"
    unknown = rumour(location, "recast", "Nobody -> Nowhere", "--role", "coach", "--reason", "x")
    assert unknown.exit_code == 1
    assert len(unknown.stderr.strip().splitlines()) == 1
    listed = rumour(location, "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert [row["role"] for row in json.loads(listed.stdout)] == ["coach"]
    board = rumour(location, "board", "--json")
    assert board.exit_code == 0, board.output
    assert [row["role"] for row in json.loads(board.stdout)] == ["coach"]
