"""The audit commands as users meet them: audit source/rumour/log, sources, alias, export csv."""

from __future__ import annotations

import csv
import io
import json

import pytest

from conftest import EXAMPLES

DEMO = str(EXAMPLES / "alonso-2024.jsonl")


@pytest.fixture
def rumour(rumour_on_demo):
    return rumour_on_demo


def test_audit_source_sport_lists_its_claims_and_the_german_relay(rumour):
    result = rumour("audit", "source", "Sport")
    assert result.exit_code == 0, result.output
    assert "SPOX" in result.stdout and "track record" in result.stdout
    data = json.loads(rumour("audit", "source", "Sport", "--json").stdout)
    assert len(data["claims"]) == 2
    assert {c["source"] for c in data["relayed_by_others"]} == {"SPOX"}
    assert {c["outcome"] for c in data["claims"]} == {"happened"}
    assert data["track_record"]["right"] == 2


def test_audit_source_as_of_before_the_outcomes_scores_nothing(rumour):
    data = json.loads(rumour("audit", "source", "Sport", "--as-of", "2024-12-31", "--json").stdout)
    assert data["track_record"]["scored"] == 0
    assert {c["outcome"] for c in data["claims"]} == {"open"}


def test_sources_ranks_the_sources(rumour):
    rows = json.loads(rumour("sources", "--json").stdout)
    reliabilities = [r["reliability"] for r in rows]
    assert reliabilities == sorted(reliabilities, reverse=True)
    assert {
        "source",
        "claims",
        "scored",
        "right",
        "wrong",
        "hit_rate",
        "brier",
        "reliability",
    } <= rows[0].keys()
    by_claims = json.loads(rumour("sources", "--sort", "claims", "--json").stdout)
    assert by_claims[0]["claims"] == max(r["claims"] for r in rows)
    assert rumour("sources").exit_code == 0


def test_audit_rumour_groups_by_origin(rumour):
    data = json.loads(rumour("audit", "rumour", "Xabi Alonso -> Real Madrid", "--json").stdout)
    assert data["outcome"] == "happened"
    sport = next(g for g in data["origins"] if g["origin"] == "Sport")
    assert [r["source"] for r in sport["relays"]] == ["SPOX"]
    assert sport["turned_out_right"] is True
    assert rumour("audit", "rumour", "Xabi Alonso -> Real Madrid").exit_code == 0


def test_audit_log_speaks_a_json_array_or_json_lines_filtered_by_recorder(rumour):
    assert rumour("alias", "source", "Diario Sport", "Sport", "--recorded-by", "ed").exit_code == 0
    entries = json.loads(rumour("audit", "log", "--json").stdout)  # one document
    assert len(entries) == 18
    assert entries[-1]["type"] == "alias"
    lines = rumour("audit", "log", "--nl").stdout.splitlines()
    assert [json.loads(x) for x in lines] == entries
    mine = rumour("audit", "log", "--recorded-by", "ed", "--nl").stdout.splitlines()
    assert [json.loads(x)["recorded_by"] for x in mine] == ["ed"]
    assert json.loads(rumour("audit", "log", "--since", "2999-01-01", "--json").stdout) == []
    assert rumour("audit", "log", "--since", "2999-01-01", "--nl").stdout == ""


def test_alias_and_unalias_are_recorded_and_listed(rumour):
    assert "Diario Sport = Sport" in rumour("alias", "source", "Diario Sport", "Sport").stdout
    assert "already in force" in rumour("alias", "source", "diario sport", "SPORT").stdout
    assert json.loads(rumour("aliases", "--json").stdout) == [
        {"kind": "source", "name": "Diario Sport", "canonical": "Sport", "resolves_to": "Sport"}
    ]
    same = json.loads(rumour("audit", "source", "Diario Sport", "--json").stdout)
    assert same["source"] == "Sport" and len(same["claims"]) == 2
    assert rumour("unalias", "source", "Diario Sport").exit_code == 0
    assert json.loads(rumour("aliases", "--json").stdout) == []
    missing = rumour("unalias", "club", "Nowhere FC")
    assert missing.exit_code == 1 and "not an alias" in missing.stderr


def test_an_unknown_source_is_an_error_with_suggestions(rumour):
    result = rumour("audit", "source", "Sprot")
    assert result.exit_code == 1
    assert "did you mean 'Sport'" in result.stderr


def test_export_csv_writes_the_claims_as_a_flat_table(rumour):
    rows = list(csv.DictReader(io.StringIO(rumour("export", "--format", "csv").stdout)))
    assert len(rows) == 17
    assert rows[0]["subject"] == "Xabi Alonso" and rows[0]["retracted"] == "false"
    assert set(rows[0]) >= {"id", "type", "source", "cites", "date", "claim", "url"}
