"""A forged snapshot row: the writer role may INSERT into the snapshots table, so a row whose
state forgets a rumour's claims must change nothing the ledger does (docs/trust.md)."""

from __future__ import annotations

from eventsourcing.domain import Snapshot
from test_trust_support import generated_lines, import_text

from rumour_ledger.ledger.claims import make_move
from rumour_ledger.ledger.integrity import digest_store, verify_store


def test_a_forged_snapshot_that_forgets_the_claims_is_not_trusted(ledger):
    text = "".join(line + "\n" for line in generated_lines(250, rumours=1))
    assert import_text(ledger, text).added == 250
    rumour_id = make_move("Player 0", "Club A", "Club 2").rumour_id
    rumour = ledger.app.rumour(rumour_id)
    assert rumour is not None and len(rumour.kinds) == 250
    digest = digest_store(ledger.store)

    # What an INSERT into the snapshots table can say: the latest version, no claims held.
    rumour.kinds = {}
    assert ledger.app.snapshots is not None
    ledger.app.snapshots.put([Snapshot.take(rumour)])

    assert len(ledger.app.rumour(rumour_id).kinds) == 250
    again = import_text(ledger, text)
    assert (again.added, again.skipped) == (0, 250)
    assert digest_store(ledger.store) == digest
    assert verify_store(ledger.store).ok
