"""What a write command stored, as the one JSON object its --json prints.

The keys are a contract (README, "What the write commands print"): added to, never renamed.
Every object has `type` and `added` (false when the ledger already held it: nothing stored).
"""

from __future__ import annotations

import uuid
from typing import Any

from rumour_ledger.ledger.aliases import AliasDeclaration, AliasRemoval
from rumour_ledger.ledger.application import Recorded
from rumour_ledger.ledger.claims import Claim, Hiding, Recasting, Restoration, Retraction


def rumour_ref(rumour_id: uuid.UUID, label: str) -> dict[str, str]:
    """A rumour as every --json names it: its id and its label (the names first recorded)."""
    return {"id": str(rumour_id), "label": label}


def stored_claim(
    claim: Claim, recorded: Recorded, label: str, *, new_rumour: bool, warnings: list[str]
) -> dict[str, Any]:
    """A report, denial or confirmation, with the rumour it landed on."""
    return {
        "id": str(recorded.id),
        "type": claim.kind.value,
        "added": recorded.added,
        "rumour": rumour_ref(recorded.rumour_id, label),
        "new_rumour": new_rumour,
        "subject": claim.move.subject,
        "from": claim.move.from_,
        "to": claim.move.to,
        "role": claim.move.role.value,
        "source": claim.source,
        "cites": claim.cites,
        "official": claim.official,
        "date": claim.published.isoformat(),
        "claim": claim.text,
        "url": claim.url,
        "warnings": warnings,
    }


def stored_retraction(retraction: Retraction, recorded: Recorded, label: str) -> dict[str, Any]:
    return {
        "id": str(recorded.id),
        "type": "retraction",
        "added": recorded.added,
        "retracts": str(retraction.retracts),
        "rumour": rumour_ref(recorded.rumour_id, label),
        "reason": retraction.reason,
        "date": retraction.published.isoformat(),
    }


def stored_restoration(
    restoration: Restoration, recorded: Recorded, label: str, restored: uuid.UUID | None
) -> dict[str, Any]:
    """A restoration: the retraction it undoes, and the claim that counts again."""
    return {
        "id": str(recorded.id),
        "type": "restoration",
        "added": recorded.added,
        "restores": str(restoration.restores),
        "restored": None if restored is None else str(restored),
        "rumour": rumour_ref(recorded.rumour_id, label),
        "reason": restoration.reason,
    }


def stored_amendment(retraction: dict[str, Any], claim: dict[str, Any]) -> dict[str, Any]:
    """An amendment: its retraction and its corrected claim (stored_retraction, stored_claim),
    the claim with `amends`, the id of the claim it corrects. Both are stored, or neither."""
    return {
        "type": "amendment",
        "added": retraction["added"] and claim["added"],
        "retraction": retraction,
        "claim": {**claim, "amends": retraction["retracts"]},
    }


def stored_hiding(
    hiding: Hiding, rumour_id: uuid.UUID, label: str, *, added: bool
) -> dict[str, Any]:
    return {
        "type": "hide" if hiding.hidden else "unhide",
        "added": added,
        "rumour": rumour_ref(rumour_id, label),
        "reason": hiding.reason,
    }


def stored_recast(
    recasting: Recasting, rumour_id: uuid.UUID, label: str, *, added: bool
) -> dict[str, Any]:
    return {
        "type": "recast",
        "added": added,
        "rumour": rumour_ref(rumour_id, label),
        "role": recasting.role.value,
        "reason": recasting.reason,
    }


def stored_alias(change: AliasDeclaration | AliasRemoval, *, added: bool) -> dict[str, Any]:
    """An alias or unalias: `canonical` is null for an unalias (the name stands for itself)."""
    declared = isinstance(change, AliasDeclaration)
    return {
        "type": "alias" if declared else "unalias",
        "added": added,
        "kind": change.kind.value,
        "name": change.name,
        "canonical": change.canonical if declared else None,
    }


def rebuilt(events: int, summary: dict[str, Any]) -> dict[str, Any]:
    """A rebuild: the events applied, and what the rebuilt read models now hold."""
    return {"type": "rebuild", "events": events, **summary}
