"""Hiding a rumour opened by mistake: a rule of the domain (only with no live claim),
left out of `list` and "did you mean" from when it is recorded, shown again by a later
claim or an unhide, audited, exported and imported."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from rumour_ledger.cli.main import cli
from rumour_ledger.ledger.claims import Kind, make_claim, make_hiding, make_move, make_retraction
from rumour_ledger.ledger.domain import Rumour
from rumour_ledger.ledger.errors import UnknownEvent

TODAY = date(2026, 1, 15)
NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)
TYPO = ("Declan Rice", "West Ham", "Arsneal")


def report(to: str = "Arsneal", **changes):
    move = make_move("Declan Rice", "West Ham", to)
    fields = {"source": "BBC", "published": "2023-06-01", **changes}
    return make_claim(Kind.REPORT, move, today=TODAY, **fields)


def test_only_a_rumour_with_no_live_claim_is_hidden_and_hiding_twice_adds_nothing():
    claim = report()
    rumour = Rumour.open(claim.move, "tester", NOW)
    rumour.record(claim, "tester", NOW, claim.claim_id)
    hide = make_hiding(*TYPO, True, "typo")
    with pytest.raises(UnknownEvent, match="1 live claim"):
        rumour.hide(hide, "tester", NOW)
    retraction = make_retraction(claim.claim_id, "typo", TODAY, TODAY)
    rumour.retract(retraction, "tester", NOW, retraction.claim_id)
    assert rumour.hide(hide, "tester", NOW)
    assert not rumour.hide(hide, "tester", NOW)
    assert rumour.hide(make_hiding(*TYPO, False, "back"), "tester", NOW)
    assert not rumour.hidden


def rumour_ids(ledger, known_at=None):
    from rumour_ledger.projections.views import rumour_list

    with ledger.reading() as conn:
        return [row["label"] for row in rumour_list(conn, known_at=known_at)]


def test_a_hidden_rumour_leaves_the_list_from_then_on_and_a_later_claim_shows_it(ledger, clock):
    from rumour_ledger.ledger.integrity import verify_store
    from rumour_ledger.projections.audit import audit_log
    from rumour_ledger.projections.nearby import close_rumours
    from rumour_ledger.projections.views import find_rumour, suggest

    clock.set(NOW)
    typo = ledger.app.record(report()).id
    ledger.app.record(report("Arsenal"))
    ledger.app.retract(make_retraction(typo, "typo", TODAY, TODAY))
    clock.set(NOW + timedelta(hours=1))
    assert ledger.app.hide(make_hiding(*TYPO, True, "typo"))
    both = ["Declan Rice: West Ham -> Arsenal", "Declan Rice: West Ham -> Arsneal"]
    assert rumour_ids(ledger) == both[:1]
    assert rumour_ids(ledger, NOW + timedelta(minutes=30)) == both
    with ledger.reading() as conn:
        assert suggest(conn, "Declan Rice -> Arsnal") == both[:1]
        assert close_rumours(conn, make_move("Declan Rice", "West Ham", "Arsnal")) == both[:1]
        assert find_rumour(conn, "Declan Rice").label == both[0]
        assert find_rumour(conn, both[1]).label == both[1]  # still named by its label
        assert [e["type"] for e in audit_log(conn)][-1] == "hide"
    assert verify_store(ledger.store).ok
    ledger.rebuild()
    assert rumour_ids(ledger) == both[:1]
    # A claim recorded on it shows it again, without another event.
    clock.set(NOW + timedelta(hours=2))
    ledger.app.record(report(source="Sky"))
    assert rumour_ids(ledger) == both
    assert rumour_ids(ledger, NOW + timedelta(minutes=90)) == both[:1]


def test_unhide_puts_it_back_and_an_export_imports_to_the_same_bytes(open_fresh):
    from rumour_ledger.ledger.integrity import digest_store
    from rumour_ledger.ledger.interchange import dump_line, read_entries

    with open_fresh() as original, open_fresh() as copy:
        typo = original.app.record(report()).id
        original.app.retract(make_retraction(typo, "typo", TODAY, TODAY))
        original.app.hide(make_hiding(*TYPO, True, "typo"))
        assert rumour_ids(original) == []
        assert original.app.hide(make_hiding(*TYPO, False, "was right"))
        assert rumour_ids(original) == ["Declan Rice: West Ham -> Arsneal"]
        original.app.hide(make_hiding(*TYPO, True, "typo after all"))
        lines = [dump_line(obj) for obj in original.app.export_entries()]
        assert [json.loads(line)["type"] for line in lines][-3:] == ["hide", "unhide", "hide"]
        data = [line.encode() + b"\n" for line in lines]
        entries = read_entries(data, "x", today=copy.app.today, now=copy.app.clock())
        assert copy.app.import_entries(entries).added == len(lines)
        assert [dump_line(obj) for obj in copy.app.export_entries()] == lines
        assert digest_store(copy.store)[0] == digest_store(original.store)[0]
        again = read_entries(data, "x", today=copy.app.today, now=copy.app.clock())
        assert copy.app.import_entries(again).added == 0
        copy.catch_up()
        assert rumour_ids(copy) == []


def test_hide_refuses_a_rumour_with_live_claims_in_one_line_and_prints_json(location):
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, [*args, "--db", location])

    claim = run(
        "report",
        *TYPO[:1],
        "--from",
        TYPO[1],
        "--to",
        TYPO[2],
        "--source",
        "BBC",
        "--date",
        "2023-06-01",
    )
    assert claim.exit_code == 0, claim.output
    refused = run("hide", "Declan Rice -> Arsneal", "--reason", "typo")
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1
    assert refused.stderr.startswith("Error: ") and "live claim" in refused.stderr
    run("retract", claim.stdout.strip()[:8], "--reason", "typo")
    dry = run("hide", "Declan Rice -> Arsneal", "--reason", "typo", "--dry-run", "--json")
    assert dry.exit_code == 0 and json.loads(dry.stdout)["dry_run"] is True
    assert len(json.loads(run("list", "--json").stdout)) == 1
    hidden = run("hide", "Declan Rice -> Arsneal", "--reason", "typo", "--json")
    assert json.loads(hidden.stdout)["type"] == "hide" and json.loads(hidden.stdout)["added"]
    assert json.loads(run("list", "--json").stdout) == []
    assert "hide" in run("audit", "log").stdout
    shown = run("unhide", "Declan Rice -> Arsneal", "--reason", "back")
    assert shown.exit_code == 0 and "shown" in shown.stdout
    assert len(json.loads(run("list", "--json").stdout)) == 1
