"""A rumour's role: each claim keeps the role its line gave, and export gives it back."""

from __future__ import annotations

import io
import json
from typing import Any

from rumour_ledger.ledger.claims import Kind, make_claim, make_move
from rumour_ledger.ledger.integrity import verify_store
from rumour_ledger.ledger.interchange import dump_line, read_entries
from rumour_ledger.ledger.store import open_store

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
    # Stored as the class was then, with no role at all (not a role of None).
    del rumour.pending_events[-1].__dict__["role"]
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
