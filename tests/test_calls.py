"""The calls read model: track records read from it equal those worked out from the claims."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from test_board import DEFAULTS, LAWS, START, ledger_lines, load

from conftest import NOW
from rumour_ledger.ledger.aliases import make_alias
from rumour_ledger.ledger.claims import make_retraction
from rumour_ledger.ledger.errors import InvalidClaim
from rumour_ledger.projections.aliases import names_in_force
from rumour_ledger.projections.audit import league
from rumour_ledger.projections.board import Moment, board, explain_rumour, timeline
from rumour_ledger.projections.calibration import forecasts
from rumour_ledger.projections.calls import (
    Episode,
    Span,
    call_rows,
    episodes,
    outcome_spans,
    stored_call_rows,
)
from rumour_ledger.projections.evidence import Catalogue, evidence_by_move, rivals
from rumour_ledger.projections.likelihood import Settings
from rumour_ledger.projections.records import Outcome, counted_outcome, first_said, outcome
from rumour_ledger.projections.reliability import (
    learned_from_counts,
    learned_on,
    records_through_time,
)
from rumour_ledger.projections.tables import calls, claims, rumours
from rumour_ledger.projections.views import find_rumour

# After every recording: the question takes the path that works records out from the claims.
EVERYTHING_KNOWN = datetime(2100, 1, 1, tzinfo=UTC)


def refs(conn):
    return [find_rumour(conn, row.id) for row in conn.execute(select(rumours.c.id))]


@st.composite
def resolving_lines(draw, max_size=12):
    """Ledgers where moves often resolve, are ended by rivals and reopened: few people,
    few clubs, many confirmations, dates close together."""
    lines = []
    for n in range(draw(st.integers(2, max_size))):
        subject = draw(st.sampled_from(["Xabi Alonso", "Kylian Mbappé"]))
        source = draw(st.sampled_from(["Sport", "Marca", "Bild", "SPOX"]))
        published = START + timedelta(days=draw(st.integers(0, 420)))
        lines.append(
            {
                "type": draw(
                    st.sampled_from(["report"] * 3 + ["denial", "confirmation", "collapse"])
                ),
                "subject": subject,
                "to": draw(st.sampled_from(["Real Madrid", "Arsenal", "Liverpool"])),
                "role": "coach" if subject == "Xabi Alonso" else "player",
                "source": source,
                "cites": draw(st.none() | st.just("Sport")) if source != "Sport" else None,
                "date": published.isoformat(),
                "recorded_at": (NOW - timedelta(days=draw(st.integers(1, 400)))).isoformat(),
                "claim": f"line {n}",
            }
        )
    return lines


@LAWS
@given(ledger_lines(max_size=12) | resolving_lines(), st.integers(0, 600))
def test_records_read_from_the_calls_model_equal_records_worked_out_from_the_claims(
    open_fresh, lines, offset
):
    day = START + timedelta(days=offset)
    with open_fresh() as ledger:
        load(ledger, [json.dumps(o) for o in lines])
        with ledger.reading() as conn:
            now, worked = Moment(day), Moment(day, EVERYTHING_KNOWN)
            # The board from standings (and folds of moves still unfolding) equals the board
            # folded from every claim, row for row and field for field.
            by_id = lambda rows: {r["id"]: r for r in rows}  # noqa: E731
            fast_board, slow_board = board(conn, now, DEFAULTS), board(conn, worked, DEFAULTS)
            assert by_id(fast_board) == by_id(slow_board)
            # In the same order: most likely first, then by label, then by id.
            order = lambda rows: [(-r["likelihood"], r["label"], r["id"]) for r in rows]  # noqa: E731
            assert order(fast_board) == order(slow_board) == sorted(order(fast_board))
            for moment, whole in ((now, fast_board), (worked, slow_board)):
                # A board cut to its top moves ranks first and reads the rest after: the
                # same rows as the whole board's first ones, with or without filters.
                for limit in (0, 1, 2, len(whole)):
                    assert board(conn, moment, DEFAULTS, limit=limit) == whole[:limit]
                checked = ("open", 0.0), ("all", 0.3), ("all", 0.6), ("not_happened", 0.0)
                for status, least in (*checked, ("confirmed", 0.0), ("denied", 0.0)):
                    kept = [r for r in whole if status in ("all", r["status"])]
                    kept = [r for r in kept if r["likelihood"] >= least]
                    assert board(conn, moment, DEFAULTS, status, least) == kept
                    assert board(conn, moment, DEFAULTS, status, least, limit=1) == kept[:1]
            for ref in refs(conn):
                fast = explain_rumour(conn, ref, now, DEFAULTS)
                slow = explain_rumour(conn, ref, worked, DEFAULTS)
                assert fast.to_dict() == slow.to_dict()
            # The league table of sources, with the default horizon and another.
            for wanted in (DEFAULTS, Settings(horizon_days=30, reliability_prior_strength=2)):
                assert league(conn, now, wanted) == league(conn, worked, wanted)
            # The board as it stood before each resolution, as `rumour score` reads it.
            offsets = (30, 7, 1)
            assert forecasts(conn, now, DEFAULTS, offsets) == forecasts(
                conn, worked, DEFAULTS, offsets
            )


def days_to_check(lines: list[dict]) -> list[date]:
    published = {date.fromisoformat(o["date"]) for o in lines}
    around = sorted({d + timedelta(days=k) for d in published for k in (0, 1, 45)})
    return around[:: max(1, len(around) // 30)]


@LAWS
@given(ledger_lines(max_size=10) | resolving_lines(), st.sampled_from([None, 30, 200]))
def test_each_day_of_a_timeline_is_answered_as_why_would_answer_it_that_day(
    open_fresh, lines, days_back
):
    known_at = None if days_back is None else NOW - timedelta(days=days_back)
    end = START + timedelta(days=560)
    checked = days_to_check(lines)
    with open_fresh() as ledger:
        load(ledger, [json.dumps(o) for o in lines])
        with ledger.reading() as conn:
            for ref in refs(conn):
                points = {p["date"]: p for p in timeline(conn, ref, START, end, DEFAULTS, known_at)}
                for day in checked:
                    asked = explain_rumour(conn, ref, Moment(day, known_at), DEFAULTS)
                    point = points[day.isoformat()]
                    assert point["likelihood"] == round(asked.likelihood, 6), (ref.label, day)
                    assert point["status"] == asked.status


def test_a_timeline_weighs_a_source_by_its_record_from_its_first_claim_on(open_fresh):
    """Bild reports Mbappé to Real Madrid twice, and in between its report of Alonso to
    Liverpool comes true: from that day its first report weighs with the better record
    (a timeline reads each source's record from its first claim on the move, not its last)."""

    def line(kind: str, subject: str, to: str, source: str, days: int) -> dict:
        return {
            "type": kind,
            "subject": subject,
            "to": to,
            "role": "coach" if subject == "Xabi Alonso" else "player",
            "source": source,
            "date": (START + timedelta(days=days)).isoformat(),
            "recorded_at": (NOW - timedelta(days=1)).isoformat(),
        }

    lines = [
        line("report", "Kylian Mbappé", "Real Madrid", "Bild", 0),
        line("report", "Xabi Alonso", "Liverpool", "Bild", 10),
        line("confirmation", "Xabi Alonso", "Liverpool", "Liverpool FC", 40),
        line("report", "Kylian Mbappé", "Real Madrid", "Bild", 100),
    ]
    with open_fresh() as ledger:
        load(ledger, [json.dumps(o) for o in lines])
        with ledger.reading() as conn:
            ref = find_rumour(conn, "Mbappé")
            points = {
                p["date"]: p
                for p in timeline(conn, ref, START, START + timedelta(days=120), DEFAULTS)
            }
            reliabilities = []
            for day in (START + timedelta(days=n) for n in (39, 60)):
                asked = explain_rumour(conn, ref, Moment(day), DEFAULTS)
                assert points[day.isoformat()]["likelihood"] == round(asked.likelihood, 6)
                reliabilities.append(asked.contributions[0].reliability)
            # Between the two days Bild's record, and so the weight of its report, changed.
            assert reliabilities[0] < reliabilities[1]


def stored_calls(ledger) -> list[list[tuple]]:
    """The per-move read models as stored: calls, each source's record days (and the
    ledger's outcomes among them), standings, outcome spans."""
    from rumour_ledger.projections.tables import outcomes, record_days, standings

    with ledger.engine.connect() as conn:
        return [
            sorted(tuple(r) for r in conn.execute(select(table)))
            for table in (calls, record_days, standings, outcomes)
        ]


@LAWS
@given(
    ledger_lines(max_size=14) | resolving_lines(max_size=14),
    st.lists(st.integers(1, 5), min_size=1, max_size=4),
    st.booleans(),
    st.booleans(),
)
def test_the_calls_model_caught_up_piece_by_piece_equals_one_worked_out_whole(
    open_fresh, lines, sizes, retract, alias
):
    with open_fresh() as ledger:
        start = 0
        for size in sizes * 10:
            if start >= len(lines):
                break
            load(ledger, [json.dumps(o) for o in lines[start : start + size]])
            ledger.catch_up()
            start += size
            if alias and start >= len(lines) // 2:
                ledger.app.declare_alias(make_alias("club", "Bayern München", "Arsenal"))
                ledger.catch_up()
                alias = False
        if retract:
            with ledger.engine.connect() as conn:
                confirmation = conn.execute(
                    select(claims.c.id).where(claims.c.kind == "confirmation").limit(1)
                ).scalar()
            if confirmation:
                ledger.app.retract(make_retraction(confirmation, "wrong", "2025-06-01", NOW.date()))
                ledger.catch_up()
        caught_up = stored_calls(ledger)
        ledger.rebuild()
        assert stored_calls(ledger) == caught_up


def test_a_record_counts_the_calls_that_held_on_the_day_asked_and_the_horizon(ledger):
    base = {"subject": "Xabi Alonso", "role": "coach", "to": "Real Madrid"}
    lines = [
        {**base, "type": "report", "source": "Bild", "date": "2024-03-01"},
        {**base, "type": "denial", "source": "Marca", "date": "2024-03-15"},
        {
            **base,
            "type": "confirmation",
            "to": "Bayern München",
            "source": "Kicker",
            "date": "2024-04-01",
        },
        {**base, "type": "report", "source": "AS", "date": "2024-06-01"},
        # Confirmed 400 days after Bild reported it: right only with a horizon that long.
        {
            "subject": "Kylian Mbappé",
            "to": "Arsenal",
            "type": "report",
            "source": "Bild",
            "date": "2023-01-01",
        },
        {
            "subject": "Kylian Mbappé",
            "to": "Arsenal",
            "type": "confirmation",
            "source": "Arsenal",
            "date": "2024-02-05",
        },
    ]
    load(ledger, [json.dumps(o) for o in lines])

    def learned(day: str, horizon: float = 365) -> dict[str, float]:
        wanted = Settings(horizon_days=horizon, prior_strength=math.inf)  # records alone
        with ledger.reading() as conn:
            found = learned_on(conn, date.fromisoformat(day), wanted, ["bild", "marca"])
        return {k: round(v, 4) for k, v in found.reliabilities.items()}

    def swept(day: str, horizon: float = 365) -> dict[str, float]:
        wanted = Settings(horizon_days=horizon, prior_strength=math.inf)  # records alone
        with ledger.reading() as conn:
            records = records_through_time(
                conn, dict.fromkeys(["bild", "marca"], date.min), date.max, wanted
            )
        records.on(date.fromisoformat(day))
        found = learned_from_counts(wanted, records.counts)
        return {k: round(v, 4) for k, v in found.reliabilities.items()}

    def tabled(day: str, horizon: float = 365) -> dict[str, float]:
        wanted = Settings(horizon_days=horizon, prior_strength=math.inf)  # records alone
        with ledger.reading() as conn:
            table = league(conn, Moment(date.fromisoformat(day)), wanted)
        return {r["source"].lower(): round(r["reliability"], 4) for r in table if r["learned"]}

    wrong_once, right_once = round(3.5 / 11, 4), round(4.5 / 11, 4)
    for day in ("2024-02-04", "2024-02-05", "2024-04-01", "2024-05-31", "2024-06-01"):
        for horizon in (365, 400):
            assert swept(day, horizon) == learned(day, horizon), (day, horizon)
            assert tabled(day, horizon) == learned(day, horizon), (day, horizon)
    assert learned("2024-02-04") == {}
    assert learned("2024-02-05") == {"bild": wrong_once}
    assert learned("2024-02-05", horizon=400) == {"bild": right_once}
    assert learned("2024-04-01") == {"bild": round(3.5 / 12, 4), "marca": right_once}
    assert learned("2024-05-31") == {"bild": round(3.5 / 12, 4), "marca": right_once}
    # AS's report reopened Alonso to Real: the calls on it no longer count.
    assert learned("2024-06-01") == {"bild": wrong_once}


def test_a_rival_confirmation_ends_a_rumour_until_a_later_report_reopens_it(ledger):
    base = {"subject": "Xabi Alonso", "role": "coach", "source": "Bild"}
    lines = [
        {**base, "type": "report", "to": "Real Madrid", "date": "2024-03-01"},
        {**base, "type": "confirmation", "to": "Bayern München", "date": "2024-04-01"},
        {**base, "type": "report", "to": "Real Madrid", "date": "2024-06-01", "source": "Marca"},
    ]
    load(ledger, [json.dumps(o) for o in lines])
    with ledger.reading() as conn:
        names = names_in_force(conn)
        found = Catalogue(conn.execute(select(rumours)), names)
        ref = find_rumour(conn, "Xabi Alonso -> Real Madrid")
        move = found.of(ref.id)
        evidence = evidence_by_move(conn, found, Moment(date.max))[move.key]
        held = episodes(move, evidence, rivals(conn, Moment(date.max), found))
        bild = conn.execute(select(calls).where(calls.c.source_key == "bild")).all()
    assert [(e.valid_from, e.valid_to, e.outcome.happened) for e in held] == [
        (date(2024, 4, 1), date(2024, 6, 1), False)
    ]
    # Bild's report on Real was wrong while Bayern's confirmation ended it, and only then.
    real = [c for c in bild if c.move_id == ref.id]
    assert [(c.kind, c.valid_from, c.valid_to) for c in real] == [
        ("report", date(2024, 4, 1), date(2024, 6, 1))
    ]


def worked_out(open_fresh, lines):
    """Every move of a fresh ledger of these lines, its claims, and the rivals' confirmations."""
    with open_fresh() as ledger:
        load(ledger, [json.dumps(o) for o in lines])
        with ledger.reading() as conn:
            found = Catalogue(conn.execute(select(rumours)), names_in_force(conn))
            evidence = evidence_by_move(conn, found, Moment(date.max))
            rival = rivals(conn, Moment(date.max), found)
    return found, evidence, rival


@LAWS
@given(ledger_lines(max_size=12) | resolving_lines(max_size=14))
def test_calls_made_straight_into_stored_rows_are_the_calls_stored_as_rows(open_fresh, lines):
    found, evidence, rival = worked_out(open_fresh, lines)
    for move in found.moves.values():
        claims = evidence.get(move.key, [])
        expected = [row.stored() for row in call_rows(move, claims, rival)]
        assert stored_call_rows(move, claims, rival) == expected


@LAWS
@given(ledger_lines(max_size=12) | resolving_lines(max_size=14))
def test_episodes_hold_exactly_the_outcome_of_each_day(open_fresh, lines):
    found, evidence, rival = worked_out(open_fresh, lines)
    for move in found.moves.values():
        claims = evidence.get(move.key, [])
        held = episodes(move, claims, rival)
        for offset in range(0, 560, 3):
            day = START + timedelta(days=offset)
            then = [c for c in claims if c.published <= day]
            if not then:
                continue  # a move nobody had spoken of yet makes no calls either way
            expected = outcome(move, then, rival, day)
            holding = [
                e.outcome
                for e in held
                if e.valid_from <= day and (e.valid_to is None or day < e.valid_to)
            ]
            assert holding == ([] if expected is None else [expected]), (move.key, day)


@LAWS
@given(ledger_lines(max_size=12) | resolving_lines(max_size=14))
def test_outcome_spans_hold_exactly_how_each_move_counts_toward_the_base_rate_each_day(
    open_fresh, lines
):
    found, evidence, rival = worked_out(open_fresh, lines)
    for move in found.moves.values():
        claims = evidence.get(move.key, [])
        spans = outcome_spans(first_said(claims), episodes(move, claims, rival))
        for offset in range(0, 800, 3):
            day = START + timedelta(days=offset)
            then = [c for c in claims if c.published <= day]
            result = outcome(move, then, rival, day) if then else None
            expected = counted_outcome(result, first_said(then), day)
            holding = [
                s.happened
                for s in spans
                if s.valid_from <= day and (s.valid_to is None or day < s.valid_to)
            ]
            assert holding == ([] if expected is None else [expected]), (move.key, day)


def test_a_move_counts_toward_the_base_rate_once_resolved_and_only_once_spoken_of():
    said = date(2024, 1, 1)
    rival = Episode(date(2023, 6, 1), date(2024, 3, 1), Outcome(False, date(2023, 6, 1), "ended"))
    late = Episode(date(2025, 2, 1), None, Outcome(True, date(2025, 2, 1), "confirmed"))
    # Ended by a rival before anyone spoke of it: it counts from its first report on.
    assert outcome_spans(said, [rival, late]) == [
        Span(said, date(2024, 3, 1), False),
        Span(date(2025, 2, 1), None, True),
    ]
    assert outcome_spans(None, [late]) == []  # a bare confirmation is no rumour
    # However old, a move nobody resolved does not count.
    assert counted_outcome(None, said, date(2030, 1, 1)) is None


@LAWS
@given(ledger_lines(max_size=12) | resolving_lines(max_size=14))
def test_working_everything_out_a_subject_or_two_at_a_time_in_workers_changes_nothing(
    open_fresh, monkeypatch, lines
):
    from rumour_ledger.projections import calls as calls_model
    from rumour_ledger.projections.tables import outcomes, record_days, standings

    def stored(ledger) -> list:
        with ledger.engine.connect() as conn:
            return [
                sorted(tuple(r) for r in conn.execute(select(t)))
                for t in (calls, standings, record_days, outcomes)
            ]

    with open_fresh() as ledger:
        monkeypatch.setattr(calls_model, "SUBJECTS_PER_SLICE", 5_000)
        monkeypatch.setenv("RUMOUR_WORKERS", "1")
        load(ledger, [json.dumps(o) for o in lines])
        ledger.catch_up()
        whole = stored(ledger)
        with ledger.engine.connect() as conn:
            # A collapse weighs nothing: a move known only by one has no standing to hold.
            weighed = claims.c.kind != "collapse"
            spoken_of = conn.execute(select(claims.c.rumour_id).where(weighed).distinct()).all()
        assert len(whole[1]) == len(spoken_of)  # a standing for every move (no aliases here)
        monkeypatch.setattr(calls_model, "SUBJECTS_PER_SLICE", 1)
        monkeypatch.setattr(calls_model, "SPREAD_FROM", 2)
        monkeypatch.setenv("RUMOUR_WORKERS", "2")  # slices shared with a worker process
        ledger.rebuild()
        assert stored(ledger) == whole


def test_a_confirmed_move_whose_rival_was_confirmed_after_it_weighs_no_claim(ledger):
    base = {"subject": "Xabi Alonso", "role": "coach", "source": "Sport", "to": "Real Madrid"}
    lines = [
        {**base, "type": "report", "date": "2024-01-01"},
        {**base, "type": "confirmation", "date": "2024-01-01"},
        {**base, "type": "confirmation", "to": "Bayern München", "date": "2024-01-02"},
    ]
    load(ledger, [json.dumps(o) for o in lines])
    with ledger.reading() as conn:
        for day in (date(2024, 1, 1), date(2024, 1, 2), date(2025, 1, 1)):
            now = {r["id"]: r for r in board(conn, Moment(day), DEFAULTS)}
            worked = {r["id"]: r for r in board(conn, Moment(day, EVERYTHING_KNOWN), DEFAULTS)}
            assert now == worked, day


def test_a_board_cut_to_its_top_moves_keeps_an_open_move_that_rounds_to_certain(ledger):
    """The top of a board is read only as far as moves can reach it: an open move whose
    likelihood rounds to 1.0 ranks among the confirmed ones by label, and a cut board
    equals the first rows of the whole board, on the day of its news and later."""
    day = date(2024, 3, 1)

    def line(kind, subject, to, source, on):
        return json.dumps(
            {"type": kind, "subject": subject, "to": to, "role": "player", "source": source,
             "date": on.isoformat(), "claim": f"{subject} {kind} {source}"}
        )  # fmt: skip

    lines = [
        line("confirmation", "Aaron Ames", "Arsenal", "Arsenal", day - timedelta(days=300)),
        line("confirmation", "Zak Zeller", "Arsenal", "Arsenal", day - timedelta(days=200)),
        # A first-party report by a source trusted at 0.99: 35 log-odds on its day.
        line("report", "Mia Moss", "Real Madrid", "Real Madrid", day),
        line("report", "Ned Nash", "Real Madrid", "Marca", day - timedelta(days=30)),
        line("denial", "Ola Olsen", "Arsenal", "Marca", day),
    ]
    trusted = Settings(reliabilities={"real madrid": 0.99})
    load(ledger, lines)
    with ledger.reading() as conn:
        for on in (day, day + timedelta(days=40), day + timedelta(days=400)):
            whole = board(conn, Moment(on), trusted)
            assert whole[0]["subject"] == "Aaron Ames"
            if on == day:
                assert [r["likelihood"] for r in whole[:3]] == [1.0, 1.0, 1.0]
                assert (whole[1]["subject"], whole[1]["status"]) == ("Mia Moss", "open")
            for status in ("all", "open"):
                kept = [r for r in whole if status in ("all", r["status"])]
                for limit in range(1, len(whole) + 1):
                    assert board(conn, Moment(on), trusted, status, limit=limit) == kept[:limit]


def test_a_board_cut_to_its_top_moves_takes_any_day_and_any_half_life(ledger):
    lines = [
        {"type": "report", "subject": "Mia Moss", "to": "Real Madrid", "role": "player",
         "source": "Real Madrid", "date": "2024-03-01", "claim": "one"},
        {"type": "confirmation", "subject": "Ned Nash", "to": "Arsenal", "role": "player",
         "source": "Arsenal", "date": "2024-02-01", "claim": "two"},
    ]  # fmt: skip
    load(ledger, [json.dumps(o) for o in lines])
    slow = Settings(half_life_days=1e308, reliabilities={"real madrid": 0.99})
    with ledger.reading() as conn:
        for settings_then in (DEFAULTS, slow):
            for day in (date(2024, 3, 1), date.max):
                whole = board(conn, Moment(day), settings_then)
                for limit in (1, 2):
                    assert board(conn, Moment(day), settings_then, limit=limit) == whole[:limit]
        with pytest.raises(InvalidClaim, match="from 0 to 1"):
            board(conn, Moment(date(2024, 3, 1)), DEFAULTS, "all", 1.5, limit=1)
