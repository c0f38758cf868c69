"""The likelihood read side on a real store: board, why, timeline, replay laws, rebuild."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from conftest import EXAMPLES, NOW
from rumour_ledger.ledger.aliases import make_alias
from rumour_ledger.ledger.interchange import dump_line, read_entries
from rumour_ledger.projections import claims as claims_model
from rumour_ledger.projections.board import Moment, board, explain_rumour, parse_moment, timeline
from rumour_ledger.projections.likelihood import Settings
from rumour_ledger.projections.tables import claims, positions, rumours
from rumour_ledger.projections.views import find_rumour

DEMO = EXAMPLES / "alonso-2024.jsonl"
DEFAULTS = Settings()
REAL = "Xabi Alonso -> Real Madrid"


def load(ledger, lines: list[str]) -> int:
    data = io.BytesIO("".join(line + "\n" for line in lines).encode("utf-8"))
    entries = read_entries(data, "t.jsonl", today=ledger.app.today, now=ledger.app.clock())
    return ledger.app.import_entries(entries, file="t.jsonl").added


def demo_lines() -> list[str]:
    return DEMO.read_text(encoding="utf-8").splitlines()


def board_on(ledger, moment: Moment) -> list[dict]:
    with ledger.reading() as conn:
        return board(conn, moment, DEFAULTS)


def why(ledger, text: str, moment: Moment):
    with ledger.reading() as conn:
        return explain_rumour(conn, find_rumour(conn, text), moment, DEFAULTS)


@pytest.fixture
def demo(ledger):
    load(ledger, demo_lines())
    return ledger


def test_the_board_at_the_end_of_2024_shows_both_rumours_of_the_seed(demo):
    rows = {r["label"]: r for r in board_on(demo, Moment(date(2024, 12, 31)))}
    alonso = rows["Xabi Alonso: Bayer Leverkusen -> Real Madrid"]
    ancelotti = rows["Carlo Ancelotti leaves Real Madrid"]
    assert alonso["status"] == ancelotti["status"] == "open"
    assert 0 < alonso["likelihood"] < 1 and 0 < ancelotti["likelihood"] < 1
    for row in rows.values():
        assert {
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
        } <= row.keys()


def test_the_alonso_likelihood_rises_after_the_october_2024_report(demo):
    before = why(demo, REAL, Moment(date(2024, 10, 27))).likelihood
    after = why(demo, REAL, Moment(date(2024, 10, 28))).likelihood
    assert after > before


def test_why_names_sport_as_the_origin_behind_the_german_relay(demo):
    explained = why(demo, REAL, Moment(date(2024, 12, 31)))
    sport = next(p for p in explained.contributions if p.origin == "Sport")
    assert [r.source for r in sport.relays] == ["SPOX"]
    assert all(p.origin != "SPOX" for p in explained.contributions)


def test_a_confirmation_makes_the_move_certain_and_ends_its_rivals(demo):
    rows = {r["label"]: r for r in board_on(demo, Moment(date(2025, 6, 1)))}
    assert rows["Xabi Alonso: Bayer Leverkusen -> Real Madrid"]["likelihood"] == 1.0
    bayern = rows["Xabi Alonso: Bayer Leverkusen -> Bayern Munich"]
    assert (bayern["status"], bayern["likelihood"]) == ("not_happened", 0.0)
    assert "Real Madrid confirmed" in bayern["resolved_by"]


def test_a_retraction_counts_from_the_moment_it_was_recorded(demo, clock):
    moment = Moment(date(2024, 12, 31))
    before_retraction = clock.now
    explained = why(demo, REAL, moment)
    sport = next(p for p in explained.contributions if p.origin == "Sport")
    withdrawn = [sport.counted_claim_id, *sport.relays[0].claim_ids]
    load(
        demo,
        [
            json.dumps({"type": "retraction", "retracts": claim_id, "reason": "misread"})
            for claim_id in withdrawn
        ],
    )
    now = why(demo, REAL, moment)
    then = why(demo, REAL, Moment(moment.as_of, before_retraction))
    assert then == explained
    assert all(p.origin != "Sport" for p in now.contributions)
    assert now.likelihood < explained.likelihood


def test_a_relay_stands_in_for_an_origin_whose_own_claim_was_retracted(demo):
    moment = Moment(date(2024, 12, 31))
    sport = next(p for p in why(demo, REAL, moment).contributions if p.origin == "Sport")
    load(
        demo,
        [
            json.dumps(
                {"type": "retraction", "retracts": sport.counted_claim_id, "reason": "misread"}
            )
        ],
    )
    again = next(p for p in why(demo, REAL, moment).contributions if p.origin == "Sport")
    assert again.via == "SPOX"
    assert sport.counted_claim_id not in again.claim_ids


def test_status_filter_and_minimum_trim_the_board(demo):
    with demo.reading() as conn:
        moment = Moment(date(2025, 6, 1))
        confirmed = board(conn, moment, DEFAULTS, status="confirmed")
        likely = board(conn, moment, DEFAULTS, minimum=0.5)
    assert {r["status"] for r in confirmed} == {"confirmed"}
    assert all(r["likelihood"] >= 0.5 for r in likely)


def test_the_timeline_moves_on_the_days_of_its_claims(demo):
    with demo.reading() as conn:
        ref = find_rumour(conn, REAL)
        days = timeline(conn, ref, date(2024, 10, 20), date(2024, 11, 5), DEFAULTS)
    by_day = {d["date"]: d for d in days}
    assert len(days) == 17
    assert [e["source"] for e in by_day["2024-10-28"]["events"]] == ["Sport", "SPOX"]
    assert by_day["2024-10-28"]["likelihood"] > by_day["2024-10-27"]["likelihood"]
    assert by_day["2024-11-05"]["likelihood"] < by_day["2024-10-28"]["likelihood"]  # decay


@pytest.mark.parametrize(
    "spellings", [("Real Madrid", "Real Madrid CF"), ("Real Madrid CF", "Real Madrid")]
)
def test_a_merged_moves_timeline_starts_at_its_earliest_claim_under_any_spelling(ledger, spellings):
    early, late = spellings
    lines = [
        {
            "type": "report",
            "subject": "Xabi Alonso",
            "from": "Bayer Leverkusen",
            "to": club,
            "role": "coach",
            "source": source,
            "date": day,
            "recorded_by": "t",
        }
        for club, source, day in ((late, "Marca", "2024-11-20"), (early, "Sport", "2024-10-28"))
    ]
    load(ledger, [json.dumps(line) for line in lines])
    ledger.app.declare_alias(make_alias("club", "Real Madrid CF", "Real Madrid"))
    with ledger.reading() as conn:
        days = timeline(conn, find_rumour(conn, REAL), None, date(2024, 12, 1), DEFAULTS)
    assert days[0]["date"] == "2024-10-28"
    assert [e["source"] for e in days[0]["events"]] == ["Sport"]


def test_parse_moment_reads_days_and_timestamps():
    assert parse_moment(None, None, date(2025, 1, 2)) == Moment(date(2025, 1, 2))
    moment = parse_moment("2024-12-10", "2025-01-01", date(2025, 1, 2))
    assert moment.known_at == datetime(2025, 1, 1, 23, 59, 59, 999999, tzinfo=UTC)
    stamp = parse_moment(None, "2025-01-01T10:00:00+02:00", date(2025, 1, 2)).known_at
    assert stamp == datetime(2025, 1, 1, 8, tzinfo=UTC)


# --- the laws, over generated ledgers ------------------------------------------------------

PEOPLE = ["Xabi Alonso", "Kylian Mbappé", "Martin Ødegaard"]
ROLES = {"Xabi Alonso": "coach", "Kylian Mbappé": "player", "Martin Ødegaard": "player"}
CLUBS = ["Real Madrid", "Bayern München", "Arsenal", "Liverpool"]
SOURCES = ["Sport", "Marca", "Bild", "SPOX", "The Athletic", "Real Madrid", "Xabi Alonso"]
START = date(2024, 1, 1)


@st.composite
def ledger_lines(draw, min_size=1, max_size=14):
    lines = []
    for _ in range(draw(st.integers(min_size, max_size))):
        subject = draw(st.sampled_from(PEOPLE))
        to = draw(st.sampled_from(CLUBS))
        source = draw(st.sampled_from(SOURCES))
        cites = draw(st.none() | st.sampled_from([s for s in SOURCES if s != source]))
        published = START + timedelta(days=draw(st.integers(0, 500)))
        recorded = NOW - timedelta(days=draw(st.integers(1, 400)), seconds=draw(st.integers(0, 9)))
        lines.append(
            {
                "type": draw(
                    st.sampled_from(["report"] * 5 + ["denial"] * 2 + ["confirmation", "collapse"])
                ),
                "subject": subject,
                "to": to,
                # A rumour's role is fixed when it is first recorded, so keep it one per person.
                "role": ROLES[subject],
                "source": source,
                "cites": cites,
                "official": draw(st.booleans()),
                "date": published.isoformat(),
                "recorded_at": recorded.isoformat(),
                # Distinct text keeps every line a distinct claim: the same claim twice is
                # one event, kept with its first recording (see docs/format.md).
                "claim": f"line {len(lines)}",
            }
        )
    return lines


def comparable(rows: list[dict]) -> list[tuple]:
    return sorted(
        (
            r["label"],
            round(r["likelihood"], 9),
            r["status"],
            r["reports"],
            r["denials"],
            r["origins"],
            r["relays"],
        )
        for r in rows
    )


LAWS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@LAWS
@given(ledger_lines(), st.integers(0, 520))
def test_as_of_a_day_equals_a_ledger_that_only_ever_held_the_claims_published_by_then(
    open_fresh, lines, offset
):
    day = START + timedelta(days=offset)
    with open_fresh() as whole, open_fresh() as truncated:
        load(whole, [json.dumps(o) for o in lines])
        kept = [json.dumps(o) for o in lines if o["date"] <= day.isoformat()]
        if kept:
            load(truncated, kept)
        assert comparable(board_on(whole, Moment(day))) == comparable(
            board_on(truncated, Moment(day))
        )


@LAWS
@given(ledger_lines(), st.integers(1, 400))
def test_known_at_equals_a_ledger_holding_only_what_was_recorded_by_then(
    open_fresh, lines, days_back
):
    known_at = NOW - timedelta(days=days_back)
    day = date(2026, 1, 1)
    with open_fresh() as whole, open_fresh() as truncated:
        load(whole, [json.dumps(o) for o in lines])
        kept = [
            json.dumps(o) for o in lines if datetime.fromisoformat(o["recorded_at"]) <= known_at
        ]
        if kept:
            load(truncated, kept)
        assert comparable(board_on(whole, Moment(day, known_at))) == comparable(
            board_on(truncated, Moment(day))
        )


def read_model(ledger) -> tuple[list, list, list]:
    with ledger.engine.connect() as conn:
        return (
            sorted(tuple(r) for r in conn.execute(select(rumours))),
            sorted(tuple(r) for r in conn.execute(select(claims))),
            sorted(tuple(r) for r in conn.execute(select(positions))),
        )


@LAWS
@given(ledger_lines(max_size=10), st.lists(st.integers(1, 7), min_size=1, max_size=4))
def test_rebuilding_from_scratch_equals_catching_up_in_any_batch_sizes(open_fresh, lines, batches):
    with open_fresh() as ledger:
        for size, chunk in zip(
            batches * 20, [lines[i : i + 3] for i in range(0, len(lines), 3)], strict=False
        ):
            load(ledger, [json.dumps(o) for o in chunk])
            claims_model.catch_up(ledger.app, ledger.engine, batch=size)
        caught_up = read_model(ledger)
        claims_model.rebuild(ledger.app, ledger.engine, batch=batches[0])
        assert read_model(ledger) == caught_up


def test_a_relay_of_a_counted_origin_changes_nothing(ledger):
    base = {
        "type": "report",
        "subject": "Xabi Alonso",
        "to": "Real Madrid",
        "role": "coach",
        "source": "Sport",
        "date": "2024-10-28",
    }
    load(ledger, [json.dumps(base)])
    moment = Moment(date(2024, 12, 1))
    before = why(ledger, REAL, moment)
    load(ledger, [json.dumps({**base, "source": "SPOX", "cites": "Sport", "date": "2024-11-20"})])
    after = why(ledger, REAL, moment)
    assert after.likelihood == before.likelihood
    assert after.relays == 1


def test_export_of_a_board_ledger_is_unchanged_by_reading_it(demo):
    before = [dump_line(o) for o in demo.app.export_entries()]
    board_on(demo, Moment(date(2024, 12, 31)))
    assert [dump_line(o) for o in demo.app.export_entries()] == before


def test_the_moves_unfolding_on_a_day_are_found_through_the_last_day_index(demo):
    from rumour_ledger.projections.standings import unfolding_query

    with demo.reading() as conn:
        if conn.dialect.name != "sqlite":
            pytest.skip("PostgreSQL keeps statistics and plans by them")
        # As of today no move has news after the day: the last_day index finds none at
        # once, where the first_day one would walk every standing.
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + unfolding_query(conn), ("2026-01-01", "2026-01-01")
        ).all()
    assert "ix_standings_last_day" in " ".join(str(step[-1]) for step in plan)


def test_a_rebuild_on_postgresql_leaves_the_planner_statistics_of_every_loaded_table(demo):
    with demo.reading() as conn:
        if conn.dialect.name != "postgresql":
            pytest.skip("SQLite plans by its schema rules alone")
    demo.rebuild()
    with demo.reading() as conn:
        analyzed = set(
            conn.exec_driver_sql(
                "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema()"
            ).scalars()
        )
    assert {"rumours", "claims", "calls", "standings", "record_days"} <= analyzed
