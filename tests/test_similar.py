"""Near-duplicate sources: the likeness rule, the fast pairing pinned to it, the command."""

from __future__ import annotations

import json
from itertools import combinations

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from test_audit import line, load

from rumour_ledger.cli.main import cli
from rumour_ledger.ledger.names import name_key
from rumour_ledger.projections.similar import THRESHOLD, alike_pairs, likeness, similar_sources


def test_likeness_reads_journalists_desks_and_slips():
    assert likeness("daily mail", "daily mail (chris wheeler)") == 100
    assert likeness("bbc", "bbc sport") == 90
    assert likeness("sky sports", "sky sport") > THRESHOLD
    assert likeness("sport", "spox") < THRESHOLD
    assert likeness("marca", "mirror") < THRESHOLD


WORDS = st.sampled_from(["bbc", "sport", "sky", "sports", "daily", "mail", "(desk)", "a", "b"])
KEYS = st.lists(st.lists(WORDS, min_size=1, max_size=4).map(" ".join), unique=True, max_size=12)


@settings(max_examples=150, deadline=None)
@given(KEYS)
def test_the_fast_pairing_finds_exactly_the_pairs_the_rule_finds(keys):
    everyone = sorted(
        ((a, b, likeness(a, b)) for a, b in combinations(sorted(keys), 2)),
        key=lambda p: (-p[2], p[0], p[1]),
    )
    assert alike_pairs(keys) == [p for p in everyone if p[2] >= THRESHOLD]


def test_similar_sources_suggest_the_alias_and_leave_joined_ones_out(ledger, location):
    names = ["Daily Mail", "Daily Mail (Chris Wheeler)", "BBC", "BBC Sport", "BBC Sport", "Marca"]
    load(
        ledger,
        [line("report", "A Player", "Club", s, f"2024-01-0{i + 1}") for i, s in enumerate(names)],
    )
    with ledger.reading() as conn:
        pairs = similar_sources(conn)
    assert [(p["source"], p["similar"], p["likeness"]) for p in pairs] == [
        ("Daily Mail", "Daily Mail (Chris Wheeler)", 100.0),
        ("BBC Sport", "BBC", 90.0),  # the one with more claims is kept
    ]
    assert pairs[1]["alias"] == "rumour alias source BBC 'BBC Sport'"
    load(ledger, [{"type": "alias", "kind": "source", "name": "BBC", "canonical": "BBC Sport"}])
    ledger.close()
    shown = CliRunner().invoke(cli, ["sources", "--similar", "--json", "--db", location])
    assert shown.exit_code == 0, shown.output
    assert [name_key(p["similar"]) for p in json.loads(shown.stdout)] == [
        "daily mail (chris wheeler)"
    ]
