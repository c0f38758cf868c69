"""The interchange law: export then import is the identity, and re-import adds nothing."""

from __future__ import annotations

import io
import json
import uuid
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rumour_ledger.ledger.errors import InvalidClaim
from rumour_ledger.ledger.interchange import dump_line, read_entries
from rumour_ledger.ledger.names import name_key

PEOPLE = ["Kylian Mbappé", "Mbappe", "Martin Ødegaard", "Xabi Alonso", "José Mourinho"]
CLUBS = [
    "Bayern München",
    "FC Bayern Munich",
    "Real Madrid",
    "'; DROP TABLE stored_events; --",
    'The "Quoted" FC',
    "ريال مدريد",
    "⚽ United",
]
SOURCES = ["Sport", "Diario Sport", "L'Équipe", "Bild", "ספורט", "Robert O'Neil 🎙"]
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n\t"),
    max_size=60,
)


@st.composite
def claims(draw):
    from_ = draw(st.none() | st.sampled_from(CLUBS))
    to = draw(
        st.sampled_from([c for c in CLUBS if from_ is None or name_key(c) != name_key(from_)])
    )
    source = draw(st.sampled_from(SOURCES))
    cites = draw(
        st.none() | st.sampled_from([s for s in SOURCES if name_key(s) != name_key(source)])
    )
    return {
        "type": draw(st.sampled_from(["report", "denial", "confirmation", "collapse"])),
        "subject": draw(st.sampled_from(PEOPLE)),
        "from": from_,
        "to": draw(st.none() | st.just(to)) if from_ is not None else to,
        "role": draw(st.sampled_from(["player", "coach", "executive", "other"])),
        "source": source,
        "cites": cites,
        "official": draw(st.booleans()),
        "date": draw(
            st.dates(
                min_value=date(2014, 1, 1),
                max_value=date(2025, 12, 31),
            )
        ).isoformat(),
        "claim": draw(st.none() | TEXT),
        "url": draw(st.none() | st.just("https://example.org/a?b=c&d=é")),
    }


def import_lines(ledger, lines: list[str]):
    data = io.BytesIO("".join(line + "\n" for line in lines).encode("utf-8"))
    entries = read_entries(data, "gen.jsonl", today=ledger.app.today, now=ledger.app.clock())
    return ledger.app.import_entries(entries, file="gen.jsonl")


def export_lines(ledger) -> list[str]:
    return [dump_line(obj) for obj in ledger.app.export_entries()]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(claims(), min_size=1, max_size=12), st.randoms(use_true_random=False))
def test_export_import_export_is_the_identity_and_reimport_adds_nothing(
    open_fresh, generated, random
):
    random.shuffle(generated)
    source_lines = [json.dumps(obj, ensure_ascii=False) for obj in generated]
    with open_fresh() as first, open_fresh() as second:
        added = import_lines(first, source_lines).added
        exported = export_lines(first)
        assert len(exported) == added
        # An import never rewrites a field a line gave: each claim keeps its own line's role
        # (the first of identical claims, as the others are skipped).
        data = io.BytesIO("".join(line + "\n" for line in source_lines).encode("utf-8"))
        first_roles: dict[str, str] = {}
        for entry in read_entries(data, "g", today=first.app.today, now=first.app.clock()):
            first_roles.setdefault(str(entry.id), entry.item.move.role.value)
        assert [json.loads(line)["role"] for line in exported] == [
            first_roles[json.loads(line)["id"]] for line in exported
        ]

        assert import_lines(second, exported).added == added
        assert export_lines(second) == exported

        assert import_lines(first, exported).added == 0
        assert import_lines(first, source_lines).added == 0
        assert import_lines(second, source_lines).added == 0


ALIASES = [
    ("source", "Diario Sport", "Sport"),
    ("club", "FC Bayern Munich", "Bayern München"),
    ("person", "Mbappe", "Kylian Mbappé"),
]


@st.composite
def histories(draw):
    """A ledger's history as separate imports of a line or three: rumours interleaved in the
    log, retractions of claims recorded earlier and restorations undoing them, aliases
    declared and withdrawn, rumours recast, claims amended."""
    steps = []
    for _ in range(draw(st.integers(min_value=2, max_value=8))):
        batch = draw(st.lists(claims(), min_size=1, max_size=3))
        extra = draw(
            st.sampled_from(
                ["none", "retraction", "restoration", "alias", "unalias", "recast", "amendment"]
            )
        )
        steps.append((batch, extra, draw(st.integers(min_value=0, max_value=99))))
    return steps


def play(ledger, steps) -> None:
    """Imports each step on its own, as a desk would over days."""
    in_force: set[int] = set()
    for step, (batch, extra, pick) in enumerate(steps):
        # A reason of its own: a claim retracted, restored and retracted again for the
        # same reason would name the retraction already undone.
        reason = f"wrong {step}"
        lines = [json.dumps(obj, ensure_ascii=False) for obj in batch]
        standing = [
            line["id"]
            for line in ledger.app.export_entries()
            if line["type"] in ("report", "denial", "confirmation")
        ]
        entries = list(ledger.app.export_entries())
        undone = {line["restores"] for line in entries if line["type"] == "restoration"}
        retractions = [
            line for line in entries if line["type"] == "retraction" and line["id"] not in undone
        ]
        retracted = {line["retracts"] for line in retractions}
        standing = [claim_id for claim_id in standing if claim_id not in retracted]
        if extra == "recast":
            # The first line's rumour, recast to some role (its own role: a no-op).
            move = {key: batch[0][key] for key in ("subject", "from", "to")}
            role = ["player", "coach", "executive", "other"][pick % 4]
            recast = {"type": "recast", **move, "role": role, "reason": "wrong role"}
            lines.append(json.dumps(recast, ensure_ascii=False))
        elif extra == "retraction" and standing:
            target = standing[pick % len(standing)]
            lines.append(json.dumps({"type": "retraction", "retracts": target, "reason": reason}))
        elif extra == "restoration" and retractions:
            target = retractions[pick % len(retractions)]["id"]
            lines.append(json.dumps({"type": "restoration", "restores": target, "reason": "right"}))
        elif extra in ("alias", "unalias"):
            which = pick % len(ALIASES)
            kind, name, canonical = ALIASES[which]
            if extra == "alias":
                line = {"type": "alias", "kind": kind, "name": name, "canonical": canonical}
                lines.insert(0, json.dumps(line, ensure_ascii=False))
                in_force.add(which)
            elif which in in_force:
                lines.insert(0, json.dumps({"type": "unalias", "kind": kind, "name": name}))
                in_force.discard(which)
        import_lines(ledger, lines)
        if extra == "amendment" and standing:
            # A claim recorded earlier, amended to a day no generated claim has.
            target = uuid.UUID(standing[pick % len(standing)])
            changes = {"date": "2013-01-0" + str(1 + pick % 9)}
            if pick % 2:
                changes["to"] = "Amended United"  # onto another rumour, maybe a new one
            try:
                amendment = ledger.app.make_amendment(target, changes, reason, ledger.app.today)
            except InvalidClaim:
                amendment = None  # a correction already on that day: nothing to change
            if amendment is not None:
                ledger.app.amend(amendment)
        ledger.catch_up()


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(histories())
def test_a_restored_backup_exports_the_same_bytes_and_verifies_against_the_digest(
    open_fresh, steps
):
    from rumour_ledger.ledger.integrity import digest_store, verify_store

    with open_fresh() as original, open_fresh() as restored:
        play(original, steps)
        exported = export_lines(original)
        digest = digest_store(original.store)[0]

        import_lines(restored, exported)
        assert export_lines(restored) == exported
        assert digest_store(restored.store)[0] == digest
        assert verify_store(restored.store, since=digest).ok
