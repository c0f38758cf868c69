"""The recording clock on export and score: --known-at T is the ledger that held only what
was recorded by T."""

from __future__ import annotations

import json

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_roundtrip import export_lines, histories, play

from conftest import EXAMPLES
from rumour_ledger.cli.main import cli
from rumour_ledger.ledger.claim_csv import csv_lines
from rumour_ledger.ledger.interchange import dump_line
from rumour_ledger.projections.views import claim_table

DEMO = str(EXAMPLES / "alonso-2024.jsonl")


def csv_of(ledger, known_at=None) -> str:
    roles = None if known_at is None else ledger.app.roles_known_at(known_at)
    with ledger.reading() as conn:
        return "".join(csv_lines(claim_table(conn, known_at, roles)))


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(histories(), st.integers(min_value=0, max_value=99))
def test_export_known_at_t_is_the_export_of_the_ledger_as_it_stood_at_t(
    open_fresh, clock, steps, pick
):
    cut = pick % (len(steps) + 1)
    with open_fresh() as ledger:
        play(ledger, steps[:cut])
        # The ledger that only ever received what was recorded by T is this one, now.
        then_lines, then_csv = export_lines(ledger), csv_of(ledger)
        known_at = clock.now
        play(ledger, steps[cut:])
        later = [dump_line(obj) for obj in ledger.app.export_entries(known_at=known_at)]
        assert later == then_lines
        assert csv_of(ledger, known_at) == then_csv


def test_the_cli_exports_and_scores_as_known_at_a_timestamp(rumour_on_demo):
    whole = rumour_on_demo("export")
    assert whole.exit_code == 0, whole.output
    lines = whole.stdout.splitlines()
    stamp = json.loads(lines[0])["recorded_at"]
    before = json.loads(rumour_on_demo("score", "--json").stdout)
    added = rumour_on_demo(
        "report", "Xabi Alonso", "--to", "Liverpool", "--source", "Late", "--date", "2024-05-01"
    )
    assert added.exit_code == 0, added.output
    assert rumour_on_demo("export", "--known-at", stamp).stdout.splitlines() == lines
    table = rumour_on_demo("export", "--format", "csv", "--known-at", stamp).stdout
    assert "Late" not in table and len(table.splitlines()) == 1 + len(lines)
    assert "Late" in rumour_on_demo("export", "--format", "csv").stdout
    # Before anything was recorded, the ledger held nothing.
    assert rumour_on_demo("export", "--known-at", "2000-01-01").stdout == ""

    now = json.loads(rumour_on_demo("score", "--json").stdout)
    then = json.loads(rumour_on_demo("score", "--json", "--known-at", stamp).stdout)
    assert then["known_at"] is not None and now["known_at"] is None
    # The late report's rumour resolved (Alonso went elsewhere): scored now, not then.
    assert now["forecasts"] > before["forecasts"]
    assert then["forecasts_made"] == before["forecasts_made"]
    nothing = json.loads(rumour_on_demo("score", "--json", "--known-at", "2000-01-01").stdout)
    assert nothing["rumours"] == 0


def test_a_bad_known_at_is_one_line_and_exit_1(rumour_on_demo):
    for command in (["export"], ["score"]):
        result = rumour_on_demo(*command, "--known-at", "yesterday")
        assert result.exit_code == 1
        assert result.stderr.startswith("Error: known-at: 'yesterday' is not an ISO timestamp")


def test_export_refuses_known_at_where_there_is_no_ledger(tmp_path):
    missing = str(tmp_path / "none.db")
    result = CliRunner().invoke(cli, ["export", "--known-at", "2025-01-01", "--db", missing])
    assert result.exit_code == 1
    assert not (tmp_path / "none.db").exists()


def test_csv_known_at_shows_a_rumour_in_the_role_it_had_then(rumour_on_demo):
    stamp = json.loads(rumour_on_demo("export").stdout.splitlines()[-1])["recorded_at"]
    then = rumour_on_demo("export", "--format", "csv", "--known-at", stamp).stdout
    recast = rumour_on_demo(
        "recast", "Xabi Alonso -> Real Madrid", "--role", "player", "--reason", "test"
    )
    assert recast.exit_code == 0, recast.output
    assert rumour_on_demo("export", "--format", "csv", "--known-at", stamp).stdout == then
    now = rumour_on_demo("export", "--format", "csv").stdout
    assert now != then and ",player" in now
