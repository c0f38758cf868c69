"""The likelihood commands as users meet them: board, why, timeline, rebuild."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES

DEMO = str(EXAMPLES / "alonso-2024.jsonl")
REAL = "Xabi Alonso -> Real Madrid"


@pytest.fixture
def rumour(rumour_on_demo):
    return rumour_on_demo


def test_board_as_of_the_end_of_2024_lists_both_seed_rumours(rumour):
    result = rumour("board", "--as-of", "2024-12-31")
    assert result.exit_code == 0, result.output
    listed = {r["label"]: r["id"][:8] for r in json.loads(rumour("list", "--json").stdout)}
    assert listed["Xabi Alonso: Bayer Leverkusen -> Real Madrid"] in result.stdout
    assert listed["Carlo Ancelotti leaves Real Madrid"] in result.stdout
    assert listed["Carlo Ancelotti: Real Madrid -> Brazil"] not in result.stdout  # later


def test_board_json_has_the_promised_keys_most_likely_first(rumour):
    rows = json.loads(rumour("board", "--as-of", "2025-05-24", "--json").stdout)
    keys = {
        "id",
        "subject",
        "from",
        "to",
        "role",
        "likelihood",
        "status",
        "reports",
        "denials",
        "last_claim",
    }
    assert all(keys <= row.keys() for row in rows)
    assert [r["likelihood"] for r in rows] == sorted((r["likelihood"] for r in rows), reverse=True)
    assert {r["status"] for r in rows} <= {"open", "confirmed", "denied", "not_happened"}


def test_board_filters_by_status_and_minimum(rumour):
    rows = json.loads(rumour("board", "--status", "confirmed", "--json").stdout)
    assert rows and all(r["status"] == "confirmed" for r in rows)
    rows = json.loads(rumour("board", "--as-of", "2024-12-31", "--min", "0.9", "--json").stdout)
    assert rows == []


def test_board_limit_keeps_the_most_likely_after_the_filters(rumour):
    every = json.loads(rumour("board", "--as-of", "2024-12-31", "--json").stdout)
    assert len(every) >= 3
    top = json.loads(rumour("board", "--as-of", "2024-12-31", "--limit", "2", "--json").stdout)
    assert top == every[:2]
    open_ones = [r for r in every if r["status"] == "open"]
    args = ("board", "--as-of", "2024-12-31", "--status", "open", "--limit", "1", "--json")
    assert json.loads(rumour(*args).stdout) == open_ones[:1]
    result = rumour("board", "--limit", "0")
    assert result.exit_code == 2 and "--limit" in result.output


def test_why_explains_with_the_prior_origins_and_relays(rumour):
    result = rumour("why", REAL, "--as-of", "2024-12-31")
    assert result.exit_code == 0, result.output
    assert "prior" in result.stdout
    assert "relayed by SPOX" in result.stdout
    data = json.loads(rumour("why", REAL, "--as-of", "2024-12-31", "--json").stdout)
    sport = next(c for c in data["contributions"] if c["origin"] == "Sport")
    assert sport["relays"][0]["source"] == "SPOX"
    assert data["rumour"]["label"] == "Xabi Alonso: Bayer Leverkusen -> Real Madrid"


def test_known_at_before_anything_was_recorded_shows_nothing(rumour):
    rows = json.loads(rumour("board", "--known-at", "2000-01-01", "--json").stdout)
    assert rows == []


def test_timeline_prints_a_sparkline_and_the_days_that_moved_it(rumour):
    result = rumour("timeline", REAL, "--from", "2024-10-01", "--to", "2024-12-31")
    assert result.exit_code == 0, result.output
    assert "2024-10-28" in result.stdout and "report by Sport" in result.stdout
    days = json.loads(
        rumour("timeline", REAL, "--from", "2024-10-01", "--to", "2024-10-31", "--json").stdout
    )["days"]
    assert len(days) == 31


def test_timeline_takes_since_and_until_as_plain_names_for_its_days(rumour):
    days = ("--from", "2024-10-01", "--to", "2024-10-31", "--json")
    plain = ("--since", "2024-10-01", "--until", "2024-10-31", "--json")
    old, new = rumour("timeline", REAL, *days), rumour("timeline", REAL, *plain)
    assert new.exit_code == 0, new.output
    assert json.loads(new.stdout) == json.loads(old.stdout)
    assert json.loads(new.stdout)["days"][-1]["date"] == "2024-10-31"


@pytest.mark.parametrize(("suffix", "magic"), [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_timeline_plot_writes_a_real_chart(rumour, tmp_path, suffix, magic):
    out = tmp_path / f"alonso{suffix}"
    result = rumour(
        "timeline", REAL, "--from", "2024-01-01", "--to", "2025-06-30", "--plot", str(out)
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(magic)


def test_a_plot_file_of_another_kind_is_misuse(rumour, tmp_path):
    assert rumour("timeline", REAL, "--plot", str(tmp_path / "x.jpg")).exit_code == 2


def test_bad_dates_are_bad_input(rumour):
    result = rumour("board", "--as-of", "2024-02-30")
    assert result.exit_code == 1
    assert "as-of" in result.stderr
    assert rumour("board", "--known-at", "noon").exit_code == 1


def test_rebuild_gives_the_same_board(rumour):
    before = rumour("board", "--as-of", "2024-12-31", "--json").stdout
    result = rumour("rebuild")
    assert result.exit_code == 0
    assert "rebuilt read models from 21 events" in result.stdout
    assert rumour("board", "--as-of", "2024-12-31", "--json").stdout == before


def test_the_prior_is_learned_from_the_moves_resolved_by_the_day_asked(rumour):
    def why(day: str) -> dict:
        return json.loads(rumour("why", REAL, "--as-of", day, "--json").stdout)

    assert why("2024-12-31")["prior_from"]["resolved"] == 0
    # By the end of 2025 Ancelotti has left for Brazil and Real Madrid have confirmed
    # Alonso, which ends his move to Bayern Munich: three of four resolved moves happened,
    # against the configured 25% counted as 100 moves.
    later = why("2025-12-31")
    assert later["prior_from"] == {
        "configured": 0.25,
        "strength": 100.0,
        "resolved": 4,
        "happened": 3,
        "note": "3 of the ledger's 4 resolved moves happened, weighed with the configured 25%, "
        "which counts as 100 moves",
    }
    assert later["prior"] == pytest.approx((0.25 * 100 + 3) / 104)
    text = rumour("why", REAL, "--as-of", "2025-12-31").stdout
    assert "prior: 3 of the ledger's 4 resolved moves happened" in text


def test_a_config_file_tunes_the_model(rumour, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[likelihood]\nprior = 0.5\n\n[reliability]\n"sport" = 0.9\n')
    data = json.loads(
        rumour("why", REAL, "--as-of", "2024-12-31", "--config", str(config), "--json").stdout
    )
    # None of the demo's moves is resolved by then: the prior is the configured one.
    assert data["prior"] == 0.5
    assert data["prior_from"]["resolved"] == 0
    assert data["prior_from"]["configured"] == 0.5
    sport = next(c for c in data["contributions"] if c["origin"] == "Sport")
    assert sport["reliability"] == 0.9
    config.write_text("[likelihood]\nprior = 2\n")
    result = rumour("why", REAL, "--config", str(config))
    assert result.exit_code == 1 and "prior" in result.stderr


def test_a_long_board_is_streamed_in_the_same_columns_and_fits_the_terminal(rumour, monkeypatch):
    from rumour_ledger.cli import render

    shown = rumour("board", "--as-of", "2025-06-30")
    rows = json.loads(rumour("board", "--as-of", "2025-06-30", "--json").stdout)
    monkeypatch.setattr(render, "RICH_ROWS", 2)
    monkeypatch.setattr(render, "STREAM_ROWS", 3)  # more than one slice
    monkeypatch.setattr(render, "_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "100")
    streamed = rumour("board", "--as-of", "2025-06-30")
    assert streamed.exit_code == 0, streamed.output
    lines = streamed.stdout.splitlines()
    assert lines[0] == "as of 2025-06-30"
    assert lines[2].split() == [
        "ID", "RUMOUR", "ROLE", "LIKELIHOOD", "STATUS", "ORIGINS", "RELAYS", "DENIALS",
        "LAST", "CLAIM",
    ]  # fmt: skip
    assert all(len(line) <= 100 for line in lines)
    # Every move, in the board's order, on the lines that start with its id.
    starts = [line.split()[0] for line in lines[4:] if not line.startswith("   ")]
    assert starts == [r["id"][:8] for r in rows]
    assert len(rows) > 3 and all(r["id"][:8] in shown.stdout for r in rows)
    # A label wider than its column folds between words onto the lines below.
    column = lines[2].index("RUMOUR")
    folded = " ".join(line[column:].split("  ")[0].strip() for line in lines[4:] if line)
    assert all(r["label"] in folded for r in rows)


def test_a_piped_board_is_one_line_a_move_however_narrow_the_terminal(rumour, monkeypatch):
    from rumour_ledger.cli import render

    monkeypatch.setenv("COLUMNS", "40")
    rows = json.loads(rumour("board", "--as-of", "2025-06-30", "--json").stdout)
    piped = rumour("board", "--as-of", "2025-06-30").stdout.splitlines()
    assert piped[0] == "as of 2025-06-30"
    body = piped[4:]
    assert [line.split()[0] for line in body] == [r["id"][:8] for r in rows]
    assert all(r["label"] in line for r, line in zip(rows, body, strict=True))
    assert all(line == line.rstrip() for line in piped)
    monkeypatch.setattr(render, "_is_terminal", lambda: True)
    shown = rumour("board", "--as-of", "2025-06-30").stdout.splitlines()
    assert len(shown) > len(piped)  # on a terminal the labels fold to fit it


def test_folding_breaks_between_words_and_inside_a_word_only_when_it_must():
    from rumour_ledger.cli.render import _fold, _width

    assert _fold("Xabi Alonso: Bayer Leverkusen -> Real Madrid", 16) == [
        "Xabi Alonso:",
        "Bayer Leverkusen",
        "-> Real Madrid",
    ]
    assert _fold("Oberschleißheimer Fußballverein", 10) == [
        "Oberschlei",
        "ßheimer",
        "Fußballver",
        "ein",
    ]
    assert _fold("short", 10) == ["short"]
    # A wide character takes two columns of a terminal.
    assert _width("東京ヴェルディ") == 14
    assert all(_width(line) <= 6 for line in _fold("東京ヴェルディ", 6))


def test_why_json_gives_claim_ids_as_show_json_gives_them(rumour):
    explained = json.loads(rumour("why", REAL, "--as-of", "2024-12-31", "--json").stdout)
    shown = {e["id"] for e in json.loads(rumour("show", REAL, "--json").stdout)["events"]}
    ids = [
        claim
        for part in explained["contributions"]
        for claim in (
            *part["claim_ids"],
            part["counted_claim_id"],
            *(i for relay in part["relays"] for i in relay["claim_ids"]),
        )
    ]
    assert ids and set(ids) <= shown


def test_a_prior_kept_as_configured_is_valid_json(rumour, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[likelihood]\nprior_strength = inf\n")
    answer = rumour("why", REAL, "--as-of", "2025-12-31", "--config", str(config), "--json")
    data = json.loads(answer.stdout, parse_constant=lambda name: pytest.fail(name))
    assert data["prior"] == 0.25
    assert data["prior_from"]["strength"] is None


def test_a_ledger_made_before_the_learned_prior_learns_it_when_next_opened(rumour_on_demo):
    from sqlalchemy import delete, select

    from rumour_ledger.projections.bootstrap import open_ledger
    from rumour_ledger.projections.tables import OUTCOMES_KEY, outcomes, record_days

    def prior_from() -> dict:
        answer = rumour_on_demo("why", REAL, "--as-of", "2025-12-31", "--json")
        return json.loads(answer.stdout)["prior_from"]

    learned = prior_from()
    assert learned["resolved"] == 4
    location = rumour_on_demo.location
    with open_ledger(location) as ledger, ledger.engine.begin() as conn:
        # As an older version left it: no outcomes table, no outcome rows among the records.
        conn.execute(delete(record_days).where(record_days.c.source_key == OUTCOMES_KEY))
        outcomes.drop(conn)
    assert prior_from() == learned
    with open_ledger(location) as ledger, ledger.engine.connect() as conn:
        assert conn.execute(select(outcomes)).first() is not None
