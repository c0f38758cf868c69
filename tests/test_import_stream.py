"""A streamed import: chunks written in one transaction, aggregates forgotten and read back.

The chunk size and the number of aggregates kept are shrunk here, so a few dozen lines cross
many chunks and force aggregates out of memory and back through the import's own transaction.
"""

from __future__ import annotations

import io
import json
import uuid

import pytest

from rumour_ledger.ledger import application as application
from rumour_ledger.ledger.claims import make_move
from rumour_ledger.ledger.errors import ImportFailed
from rumour_ledger.ledger.integrity import verify_store
from rumour_ledger.ledger.interchange import read_entries

STAMP = "2025-03-01T10:00:00+00:00"


def claim(i: int, rumour: int, **extra: object) -> dict:
    return {
        "type": "report",
        "id": str(uuid.UUID(int=1_000 + i)),
        "subject": f"Player {rumour}",
        "from": "Club A",
        "to": f"Club {rumour + 2}",
        "source": f"Outlet {i % 5}",
        "date": "2025-01-15",
        "claim": f"claim {i}",
        "recorded_by": "desk",
        "recorded_at": STAMP,
        **extra,
    }


def retraction(i: int, target: int) -> dict:
    return {
        "type": "retraction",
        "id": str(uuid.UUID(int=9_000 + i)),
        "retracts": str(uuid.UUID(int=1_000 + target)),
        "reason": f"wrong {i}",
        "date": "2025-02-01",
        "recorded_by": "desk",
        "recorded_at": STAMP,
    }


def mixed_lines() -> list[str]:
    """Claims that come back to earlier rumours, retractions of claims many lines back, an
    alias, and a claim given twice."""
    objs: list[dict] = [claim(i, rumour=i % 7) for i in range(40)]
    objs.insert(25, retraction(1, target=2))
    objs.insert(33, retraction(2, target=30))
    objs.insert(12, claim(3, rumour=3))  # the same claim again: stored once
    objs.insert(
        20,
        {
            "type": "alias",
            "kind": "club",
            "name": "Club Alpha",
            "canonical": "Club A",
            "recorded_by": "desk",
            "recorded_at": STAMP,
        },
    )
    return [json.dumps(obj) for obj in objs]


def import_lines(ledger, lines: list[str], name: str = "s.jsonl"):
    data = io.BytesIO("".join(line + "\n" for line in lines).encode("utf-8"))
    entries = read_entries(data, name, today=ledger.app.today, now=ledger.app.clock())
    return ledger.app.import_entries(entries, file=name)


def stored(ledger) -> list[tuple]:
    """Every stored event, by stream and version (the log's order may differ by chunking)."""
    rows = ledger.app.recorder.select_notifications(1, 1_000_000)
    return sorted((str(n.originator_id), n.originator_version, n.topic, n.state) for n in rows)


def small_chunks(monkeypatch: pytest.MonkeyPatch, chunk: int = 3, kept: int = 2) -> None:
    monkeypatch.setattr(application, "IMPORT_CHUNK", chunk)
    monkeypatch.setattr(application, "AGGREGATES_KEPT", kept)


def test_small_chunks_and_forgotten_aggregates_store_the_same_events_as_one_chunk(
    ledger, open_fresh, monkeypatch
):
    lines = mixed_lines()
    whole = import_lines(ledger, lines)
    small_chunks(monkeypatch)
    other = open_fresh()
    chunked = import_lines(other, lines)
    assert (chunked.added, chunked.skipped) == (whole.added, whole.skipped) == (43, 1)
    assert stored(other) == stored(ledger)
    assert verify_store(other.store).ok


def test_reimporting_in_small_chunks_adds_nothing(ledger, monkeypatch):
    lines = mixed_lines()
    import_lines(ledger, lines)
    before = stored(ledger)
    small_chunks(monkeypatch)
    again = import_lines(ledger, lines)
    assert (again.added, again.skipped) == (0, len(lines))
    assert stored(ledger) == before


def test_a_bad_last_line_stores_nothing_though_earlier_chunks_were_written(ledger, monkeypatch):
    small_chunks(monkeypatch)
    lines = [*mixed_lines(), json.dumps(claim(99, rumour=1, date="2025-02-30"))]
    with pytest.raises(ImportFailed, match=r"^bad.jsonl:45: field date:"):
        import_lines(ledger, lines, "bad.jsonl")
    assert stored(ledger) == []
    # the transaction is gone with its lock: the same ledger takes the good lines at once
    assert import_lines(ledger, lines[:-1]).added == 43


def test_a_retraction_in_a_late_chunk_finds_a_claim_already_in_the_ledger(ledger, monkeypatch):
    # The read models are not caught up after this import: the next one must catch them up
    # before it takes the write lock, or on SQLite locate would wait for that lock.
    import_lines(ledger, [json.dumps(claim(0, rumour=0))])
    small_chunks(monkeypatch)
    lines = [json.dumps(claim(i, rumour=i % 3)) for i in range(1, 8)]
    lines.append(json.dumps(retraction(1, target=0)))
    assert import_lines(ledger, lines).added == 8
    rumour = ledger.app.rumour(make_move("Player 0", "Club A", "Club 2").rumour_id)
    assert rumour is not None
    assert rumour.retracted == [uuid.UUID(int=1_000).hex]


def test_long_streams_imported_in_chunks_take_no_snapshots(ledger, monkeypatch):
    # A snapshot is not sealed by the chain, so none is taken (docs/trust.md).
    small_chunks(monkeypatch, chunk=50, kept=1)
    lines = [json.dumps(claim(i, rumour=0)) for i in range(450)]
    assert import_lines(ledger, lines).added == 450
    rumour_id = make_move("Player 0", "Club A", "Club 2").rumour_id
    assert list(ledger.app.snapshots.get(rumour_id)) == []
    assert ledger.app.rumour(rumour_id).version == 451
    assert verify_store(ledger.store).ok


def test_events_saved_outside_an_import_get_the_notification_ids_they_are_stored_at(ledger):
    from datetime import UTC, datetime

    from rumour_ledger.ledger.claims import Kind, make_claim
    from rumour_ledger.ledger.domain import Rumour

    import_lines(ledger, [json.dumps(claim(0, rumour=0))])
    move = make_move("Player 5", "Club A", "Club 7")
    rumour = Rumour.open(move, "desk", datetime(2025, 3, 1, tzinfo=UTC))
    for source in ("Outlet X", "Outlet Y"):
        report = make_claim(
            Kind.REPORT, move, source=source, published="2025-01-15", today=ledger.app.today
        )
        rumour.record(report, "desk", datetime(2025, 3, 1, tzinfo=UTC), report.claim_id)
    recordings = ledger.app.save(rumour)
    log = ledger.app.recorder.select_notifications(1, 100)
    assert [r.notification.id for r in recordings] == [n.id for n in log[-3:]]
    assert [n.originator_version for n in log[-3:]] == [1, 2, 3]
