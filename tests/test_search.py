"""Finding claims, clubs and people, summing up a ledger, and list/show on both clocks: the
rules, then the commands."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from click.testing import CliRunner
from test_audit import line, load

from rumour_ledger.cli.main import cli
from rumour_ledger.ledger.aliases import AliasKind
from rumour_ledger.projections.search import Query, entities, ledger_summary, search
from rumour_ledger.projections.views import find_rumour, rumour_history, rumour_list

A = "00000000-0000-4000-8000-00000000000a"
B = "00000000-0000-4000-8000-00000000000b"
STAMP_1 = "2025-01-01T00:00:00+00:00"
STAMP_2 = "2025-02-01T00:00:00+00:00"

LINES = [
    line("report", "Kylian Mbappé", "Real Madrid", "Marca", "2024-01-05", id=A)
    | {"claim": "A done deal 100% close", "from": "Paris Saint-Germain", "recorded_at": STAMP_1},
    line("denial", "Kylian Mbappé", "Real Madrid", "L'Équipe", "2024-02-01", id=B)
    | {"from": "Paris Saint-Germain", "recorded_at": STAMP_1, "claim": "Not happening"},
    line("report", "Ann Player", "Club A", "Echo", "2024-03-01", cites="Marca")
    | {"recorded_at": STAMP_1},
    {
        "type": "retraction",
        "retracts": B,
        "reason": "wrong outlet",
        "date": "2024-02-02",
        "recorded_at": STAMP_2,
    },
    {"type": "alias", "kind": "club", "name": "Los Blancos", "canonical": "Real Madrid"}
    | {"recorded_at": STAMP_2},
]


def found(ledger, **query) -> list[str]:
    with ledger.reading() as conn:
        return [row["id"] for row in search(conn, Query(**query))]


def test_each_filter_narrows_and_all_must_hold(ledger):
    load(ledger, LINES)
    assert len(found(ledger)) == 3  # every claim, the retracted one too
    [retraction] = found(ledger, kinds=("retraction",))
    assert found(ledger, person="mbappe", kinds=("retraction", "report")) == [A, retraction]
    assert found(ledger, text="100%") == [A]  # wildcards in the text are plain characters
    assert found(ledger, text="NOT HAPPENING") == [B]
    assert found(ledger, person="mbappe") == [A, B]  # accents and case aside
    [relay] = found(ledger, person="ann player", source="marca")  # Echo, citing Marca
    assert found(ledger, source="marca") == [A, relay]
    assert found(ledger, person="ann player", source="l'equipe") == []
    assert found(ledger, club="Paris Saint-Germain", kinds=("denial",)) == [B]
    assert found(ledger, since=date(2024, 1, 6), until=date(2024, 2, 28), kinds=("denial",)) == [B]
    assert found(ledger, person="mbappe", live=True) == [A]


def test_a_club_is_found_by_its_alias_and_by_part_of_its_name(ledger):
    load(ledger, LINES)
    assert found(ledger, club="Los Blancos") == [A, B]
    assert found(ledger, club="madrid") == [A, B]
    assert found(ledger, club="Los Blancos", known_at=datetime(2025, 1, 15, tzinfo=UTC)) == []


def test_known_at_shows_the_ledger_as_it_stood(ledger):
    load(ledger, LINES)
    then = datetime(2025, 1, 15, tzinfo=UTC)
    with ledger.reading() as conn:
        rows = list(search(conn, Query(person="mbappe", known_at=then)))
        assert [r["retracted"] for r in rows] == [False, False]  # retracted only later
        assert [r["retracted"] for r in search(conn, Query(person="mbappe"))] == [False, True]
    assert found(ledger, person="mbappe", known_at=then, live=True) == [A, B]
    assert found(ledger, known_at=datetime(2024, 12, 1, tzinfo=UTC)) == []


def test_rows_carry_their_rumour_and_the_interchange_words(ledger):
    load(ledger, LINES)
    with ledger.reading() as conn:
        [row] = search(conn, Query(text="done deal"))
    assert row["rumour"] == "Kylian Mbappé: Paris Saint-Germain -> Real Madrid"
    assert (row["id"], row["type"], row["source"], row["date"]) == (
        A,
        "report",
        "Marca",
        "2024-01-05",
    )


def test_clubs_and_people_merge_aliases_and_count_live_claims(ledger):
    load(ledger, LINES)
    then = datetime(2025, 1, 15, tzinfo=UTC)  # before the retraction and the alias
    with ledger.reading() as conn:
        clubs = entities(conn, AliasKind.CLUB)
        people = entities(conn, AliasKind.PERSON)
        people_then = entities(conn, AliasKind.PERSON, then)
    load(ledger, [line("report", "Ann Player", "Los Blancos", "Echo", "2024-03-02")])
    with ledger.reading() as conn:
        merged = entities(conn, AliasKind.CLUB)
    assert clubs == [
        {"name": "Club A", "rumours": 1, "claims": 1},
        {"name": "Paris Saint-Germain", "rumours": 1, "claims": 1},
        {"name": "Real Madrid", "rumours": 1, "claims": 1},
    ]
    assert people == [
        {"name": "Ann Player", "rumours": 1, "claims": 1},
        {"name": "Kylian Mbappé", "rumours": 1, "claims": 1},
    ]
    assert people_then[0] == {"name": "Kylian Mbappé", "rumours": 1, "claims": 2}
    assert merged[0] == {"name": "Real Madrid", "rumours": 2, "claims": 2}  # Los Blancos too


def test_the_summary_counts_what_was_recorded_by_then(ledger):
    load(ledger, LINES)
    with ledger.reading() as conn:
        now = ledger_summary(conn)
        then = ledger_summary(conn, datetime(2025, 1, 15, tzinfo=UTC))
    uncounted = {"retractions": 0, "entries": 0}  # the retraction was recorded later
    assert now | uncounted == then | uncounted
    assert (now["entries"], then["entries"]) == (4, 3)
    assert (now["rumours"], now["entries"], now["reports"], now["retractions"]) == (2, 4, 2, 1)
    assert (now["sources"], now["clubs"], now["people"]) == (3, 3, 2)
    assert (now["first_claim"], now["last_claim"]) == ("2024-01-05", "2024-03-01")


def test_the_commands_speak_json_and_refuse_a_bad_date(ledger, location):
    load(ledger, LINES)
    ledger.close()
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, [*args, "--db", location])

    rows = json.loads(run("search", "--person", "mbappe", "--json").stdout)
    assert [r["id"] for r in rows] == [A, B]
    assert json.loads(run("people", "--json").stdout)[1]["name"] == "Kylian Mbappé"
    assert json.loads(run("clubs", "--json").stdout)[-1]["name"] == "Real Madrid"
    assert json.loads(run("stats", "--json").stdout)["entries"] == 4
    table = run("search", "done deal").stdout
    assert "Kylian Mbappé: Paris Saint-Germain -> Real Madrid" in table
    bad = run("search", "--since", "2024-13-01")
    assert bad.exit_code == 1
    assert bad.stderr.strip() == "Error: since: '2024-13-01' is not a real calendar date"


def test_list_and_show_answer_as_of_a_day_and_as_known_at_a_time(ledger):
    load(ledger, LINES)
    before_retraction = datetime(2025, 1, 15, tzinfo=UTC)
    with ledger.reading() as conn:
        ref = find_rumour(conn, "Mbappé -> Real Madrid")
        now = {r["label"]: r for r in rumour_list(conn)}
        known = {r["label"]: r for r in rumour_list(conn, known_at=before_retraction)}
        early = rumour_list(conn, as_of=date(2024, 1, 31))
        nothing = rumour_list(conn, known_at=datetime(2024, 12, 1, tzinfo=UTC))
        history = rumour_history(conn, ref)
        history_then = rumour_history(conn, ref, known_at=before_retraction)
        history_early = rumour_history(conn, ref, as_of=date(2024, 1, 31))
    label = "Kylian Mbappé: Paris Saint-Germain -> Real Madrid"
    assert (now[label]["reports"], now[label]["denials"]) == (1, 0)  # the denial retracted
    assert (known[label]["reports"], known[label]["denials"]) == (1, 1)  # not yet
    assert [r["label"] for r in early] == [label]  # Ann's move had no claim by then
    assert nothing == []
    assert [e["type"] for e in history] == ["report", "denial", "retraction"]
    assert [e["retracted"] for e in history] == [False, True, False]
    assert [(e["type"], e["retracted"]) for e in history_then] == [
        ("report", False),
        ("denial", False),
    ]
    assert [e["id"] for e in history_early] == [A]
