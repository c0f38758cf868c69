"""The audit and track records, checked by hand on a small invented ledger; aliases; laws."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rumour_ledger.ledger.aliases import make_alias, make_unalias
from rumour_ledger.ledger.errors import InvalidClaim, UnknownName
from rumour_ledger.ledger.interchange import dump_line, read_entries
from rumour_ledger.projections.audit import audit_log, league, rumour_audit, source_audit
from rumour_ledger.projections.board import board, explain_rumour
from rumour_ledger.projections.evidence import Moment
from rumour_ledger.projections.likelihood import Settings
from rumour_ledger.projections.views import find_rumour, rumour_history, rumour_list

DEFAULTS = Settings()
LATER = Moment(date(2025, 12, 31))


def line(kind, subject, to, source, day, **extra):
    return {"type": kind, "subject": subject, "to": to, "source": source, "date": day, **extra}


# Oracle is always right, Liar always wrong, Echo only relays.
INVENTED = [
    line("report", "Ann Player", "Club B", "Liar", "2024-01-05"),
    line("denial", "Ann Player", "Club B", "Oracle", "2024-01-08"),
    line("report", "Ann Player", "Club A", "Oracle", "2024-01-10"),
    line("denial", "Ann Player", "Club A", "Liar", "2024-01-12"),
    line("report", "Ann Player", "Club A", "Echo", "2024-01-15", cites="Oracle"),
    line("confirmation", "Ann Player", "Club A", "Club A", "2024-02-01"),
    line("report", "Bob Coach", "Club C", "Oracle", "2024-03-01", role="coach"),
    line("denial", "Bob Coach", "Club C", "Liar", "2024-03-02", role="coach"),
    line("confirmation", "Bob Coach", "Club C", "Club C", "2024-03-20", role="coach"),
    line("report", "Cy Player", "Club D", "Liar", "2024-04-01"),
    line("report", "Cy Player", "Club D", "Echo", "2024-04-02", cites="Liar"),
]


def load(ledger, objs) -> int:
    data = io.BytesIO("".join(json.dumps(o) + "\n" for o in objs).encode())
    entries = read_entries(data, "t.jsonl", today=ledger.app.today, now=ledger.app.clock())
    return ledger.app.import_entries(entries, file="t.jsonl").added


# By LATER three of INVENTED's moves are resolved: two happened, and Ann Player to Club B
# was ended by her move to Club A (Cy Player to Club D, never resolved, does not count). An
# unrated source starts from there.
UNRATED = Settings(outcomes=(2, 3)).unrated_reliability


@pytest.fixture
def invented(ledger):
    load(ledger, INVENTED)
    return ledger


def audit(ledger, name, moment=LATER):
    with ledger.reading() as conn:
        return source_audit(conn, name, moment, DEFAULTS)


def test_an_always_right_source_has_every_number_of_its_record(invented):
    result = audit(invented, "Oracle")
    record = result["track_record"]
    assert (record["scored"], record["right"], record["wrong"]) == (3, 3, 0)
    assert record["hit_rate"] == 1.0
    assert record["prior_reliability"] == pytest.approx(UNRATED)
    assert record["reliability"] == pytest.approx((UNRATED * 10 + 3) / 13)
    # each call forecast at its reliability, all right
    assert record["brier"] == pytest.approx((1 - record["reliability"]) ** 2)
    assert [c["type"] for c in result["claims"]] == ["denial", "report", "report"]
    assert [c["outcome"] for c in result["claims"]] == ["did not happen", "happened", "happened"]
    assert [c["source"] for c in result["relayed_by_others"]] == ["Echo"]


def test_an_always_wrong_source_has_every_number_of_its_record(invented):
    record = audit(invented, "Liar")["track_record"]
    reliability = UNRATED * 10 / 13
    assert (record["scored"], record["right"], record["wrong"]) == (3, 0, 3)
    assert record["reliability"] == pytest.approx(reliability)
    # its denials forecast the move at 1 - r, its report at r, and each turned out the other way
    assert record["brier"] == pytest.approx((1 - (1 - reliability)) ** 2)
    assert record["enough_data"] is False


def test_a_relaying_outlet_is_scored_to_its_origin_and_keeps_its_own_relay_record(invented):
    result = audit(invented, "Echo")
    record = result["track_record"]
    assert record["scored"] == 0
    assert (record["relayed_scored"], record["relayed_right"], record["relayed_wrong"]) == (1, 1, 0)
    assert record["reliability"] == pytest.approx(UNRATED)  # known for nothing: unrated
    assert [c["cites"] for c in result["claims"]] == ["Oracle", "Liar"]


def test_the_league_ranks_by_reliability_claims_or_brier(invented):
    with invented.reading() as conn:
        by_reliability = league(conn, LATER, DEFAULTS, "reliability")
        by_claims = league(conn, LATER, DEFAULTS, "claims")
        by_brier = league(conn, LATER, DEFAULTS, "brier")
    assert [r["source"] for r in by_reliability][:2] == ["Oracle", "Echo"]
    assert by_reliability[-1]["source"] == "Liar"
    assert by_claims[0]["source"] == "Liar" and by_claims[0]["claims"] == 4
    assert by_brier[0]["source"] == "Liar"
    assert by_brier[-1]["brier"] is None


def test_the_rumour_audit_groups_by_origin_and_marks_who_was_first_and_right(invented):
    with invented.reading() as conn:
        ref = find_rumour(conn, "Ann Player -> Club A")
        result = rumour_audit(conn, ref, LATER, DEFAULTS)
    groups = {g["origin"]: g for g in result["origins"]}
    assert result["outcome"] == "happened" and result["resolved_on"] == "2024-02-01"
    assert groups["Oracle"]["claims"][0]["first_to_report"] is True
    assert [r["source"] for r in groups["Oracle"]["relays"]] == ["Echo"]
    assert groups["Liar"]["claims"][0]["last_to_deny"] is True
    assert groups["Oracle"]["turned_out_right"] is True
    assert groups["Liar"]["turned_out_right"] is False
    assert groups["Club A"]["turned_out_right"] is None  # a confirmation is not a call


def test_records_as_of_a_date_use_only_outcomes_known_by_then(invented):
    record = audit(invented, "Oracle", Moment(date(2024, 2, 15)))["track_record"]
    assert (record["scored"], record["right"]) == (2, 2)  # Bob Coach resolved only in March


def test_an_unknown_source_suggests_the_closest_names(invented):
    with pytest.raises(UnknownName, match="did you mean 'Oracle'"):
        audit(invented, "Orakle")


def test_a_source_with_a_record_moves_the_needle_more(invented):
    fresh = [
        line("report", "Dee Player", "Club E", "Oracle", "2025-06-01"),
        line("report", "Eve Player", "Club F", "Nobody", "2025-06-01"),
    ]
    load(invented, fresh)
    moment = Moment(date(2025, 6, 2))
    with invented.reading() as conn:
        rows = {r["subject"]: r for r in board(conn, moment, DEFAULTS)}
    assert rows["Dee Player"]["likelihood"] > rows["Eve Player"]["likelihood"]


def test_no_hindsight_a_later_perfect_record_does_not_weigh_earlier_claims_more(open_fresh):
    early = [line("report", "Zed Player", "Club Z", "Prophet", "2024-05-01")]
    later = []
    for n in range(8):
        subject, club = f"Player {n}", f"Club {n}"
        later.append(line("report", subject, club, "Prophet", "2024-09-01"))
        later.append(line("confirmation", subject, club, club, "2024-10-01"))
    moment = Moment(date(2024, 6, 1))
    with open_fresh() as short, open_fresh() as long:
        load(short, early)
        load(long, early + later)
        with short.reading() as conn:
            ref = find_rumour(conn, "Zed Player -> Club Z")
            before = explain_rumour(conn, ref, moment, DEFAULTS)
        with long.reading() as conn:
            ref = find_rumour(conn, "Zed Player -> Club Z")
            after = explain_rumour(conn, ref, moment, DEFAULTS)
            today = explain_rumour(conn, ref, LATER, DEFAULTS)
            board_then = {r["subject"]: r for r in board(conn, moment, DEFAULTS)}
    assert after.likelihood == before.likelihood
    assert board_then["Zed Player"]["likelihood"] == round(before.likelihood, 6)
    assert today.contributions[0].reliability > before.contributions[0].reliability


# --- aliases ------------------------------------------------------------------------------


def test_aliasing_a_source_merges_its_record_without_touching_stored_claims(invented):
    load(invented, [line("report", "Cy Player", "Club D", "The Oracle", "2024-04-03")])
    exported = [dump_line(o) for o in invented.app.export_entries()]
    invented.app.declare_alias(make_alias("source", "The Oracle", "Oracle"))
    assert [dump_line(o) for o in invented.app.export_entries()][: len(exported)] == exported
    one, other = audit(invented, "Oracle"), audit(invented, "The Oracle")
    assert one == other
    assert len(one["claims"]) == 4


def test_aliasing_clubs_merges_two_rumours_into_one_move(ledger):
    load(
        ledger,
        [
            line("report", "Harry Kane", "Bayern Munich", "Sky", "2023-07-01"),
            line("report", "Harry Kane", "FC Bayern München", "Bild", "2023-07-02"),
        ],
    )
    moment = Moment(date(2023, 7, 3))
    with ledger.reading() as conn:
        assert len(board(conn, moment, DEFAULTS)) == 2
    ledger.app.declare_alias(make_alias("club", "FC Bayern München", "Bayern Munich"))
    with ledger.reading() as conn:
        (row,) = board(conn, moment, DEFAULTS)
        merged = find_rumour(conn, "Harry Kane -> FC Bayern Munchen")
    assert row["label"] == "Harry Kane -> Bayern Munich" and row["origins"] == 2
    assert merged.label == "Harry Kane -> Bayern Munich"
    ledger.app.remove_alias(make_unalias("club", "FC Bayern München"))
    with ledger.reading() as conn:
        assert len(board(conn, moment, DEFAULTS)) == 2


def test_list_and_show_resolve_names_through_the_aliases_as_the_board_does(ledger):
    load(
        ledger,
        [
            line("report", "Rice", "Arsenal", "BBC", "2023-06-01"),
            line("report", "Declan Rice", "Arsenal", "Sky", "2023-06-10"),
            line("denial", "Declan Rice", "Arsenal", "Declan Rice", "2023-06-12"),
        ],
    )
    with ledger.reading() as conn:
        assert len(rumour_list(conn)) == 2
    ledger.app.declare_alias(make_alias("person", "Rice", "Declan Rice"))
    with ledger.reading() as conn:
        (row,) = rumour_list(conn)
        (on_board,) = board(conn, Moment(date(2023, 6, 30)), DEFAULTS)
        events = rumour_history(conn, find_rumour(conn, "Declan Rice -> Arsenal"))
        same = rumour_history(conn, find_rumour(conn, "Rice -> Arsenal"))
    assert (row["id"], row["label"]) == (on_board["id"], on_board["label"])
    assert row["merged"] == on_board["merged"] and len(row["merged"]) == 1
    assert (row["reports"], row["denials"], row["last_claim"]) == (2, 1, "2023-06-12")
    assert [e["source"] for e in events] == ["BBC", "Sky", "Declan Rice"]  # by date
    assert same == events


def test_aliases_are_replayed_as_the_ledger_held_them(ledger, clock):
    load(
        ledger,
        [
            line("report", "Harry Kane", "Bayern Munich", "Sky", "2023-07-01"),
            line("report", "Harry Kane", "Bayern", "Bild", "2023-07-02"),
        ],
    )
    before = clock.now
    ledger.app.declare_alias(make_alias("club", "Bayern", "Bayern Munich"))
    with ledger.reading() as conn:
        then = board(conn, Moment(date(2023, 7, 3), before), DEFAULTS)
        now = board(conn, Moment(date(2023, 7, 3)), DEFAULTS)
    assert (len(then), len(now)) == (2, 1)


def test_an_alias_cycle_or_self_alias_is_refused(ledger):
    ledger.app.declare_alias(make_alias("source", "Diario Sport", "Sport"))
    with pytest.raises(InvalidClaim, match="cycle"):
        ledger.app.declare_alias(make_alias("source", "Sport", "diario sport"))
    with pytest.raises(InvalidClaim, match="itself"):
        make_alias("source", "Sport", "SPORT")


def test_alias_events_travel_in_the_export_and_reimport_adds_nothing(invented, open_fresh):
    invented.app.declare_alias(make_alias("source", "The Oracle", "Oracle"))
    invented.app.remove_alias(make_unalias("source", "The Oracle"))
    invented.app.declare_alias(make_alias("source", "The Oracle", "Oracle"))
    exported = [json.loads(dump_line(o)) for o in invented.app.export_entries()]
    assert [o["type"] for o in exported][-3:] == ["alias", "unalias", "alias"]
    assert load(invented, exported) == 0
    with open_fresh() as other:
        assert load(other, exported) == len(exported)
        assert [json.loads(dump_line(o)) for o in other.app.export_entries()] == exported


def test_the_audit_log_lists_entries_in_recorded_order(invented):
    invented.app.declare_alias(make_alias("source", "The Oracle", "Oracle"), recorded_by="editor")
    with invented.reading() as conn:
        entries = audit_log(conn)
        mine = audit_log(conn, recorded_by="editor")
    assert len(entries) == len(INVENTED) + 1
    assert entries[0]["source"] == "Liar"
    assert [e["type"] for e in mine] == ["alias"]


# --- laws -------------------------------------------------------------------------------

SOURCES = ["Oracle", "Liar", "Echo", "Sky", "Bild"]
PEOPLE = ["Ann", "Bob", "Cy"]
CLUBS = ["Club A", "Club B", "Club C"]


@st.composite
def ledgers(draw):
    objs = []
    for _ in range(draw(st.integers(1, 12))):
        source = draw(st.sampled_from(SOURCES))
        cites = draw(st.none() | st.sampled_from([s for s in SOURCES if s != source]))
        day = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 300)))
        kind = draw(st.sampled_from(["report"] * 4 + ["denial"] * 2 + ["confirmation"]))
        objs.append(
            line(
                kind,
                draw(st.sampled_from(PEOPLE)),
                draw(st.sampled_from(CLUBS)),
                source,
                day.isoformat(),
                cites=cites,
            )
        )
    return objs


LAWS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@LAWS
@given(ledgers())
def test_league_totals_equal_the_stored_claims_per_source(open_fresh, objs):
    with open_fresh() as ledger:
        load(ledger, objs)
        with ledger.reading() as conn:
            table = league(conn, LATER, DEFAULTS)
            stored = {}
            for o in {json.dumps(o, sort_keys=True) for o in objs}:
                source = json.loads(o)["source"]
                stored[source] = stored.get(source, 0) + 1
            assert {r["source"]: r["claims"] for r in table if r["claims"]} == stored
            for source, count in stored.items():
                assert len(source_audit(conn, source, LATER, DEFAULTS)["claims"]) == count


@LAWS
@given(ledgers(), st.integers(0, 300), ledgers())
def test_scores_as_of_a_day_never_change_when_later_events_are_added(
    open_fresh, objs, offset, more
):
    day = date(2024, 1, 1) + timedelta(days=offset)
    later = [{**o, "date": (day + timedelta(days=1 + i)).isoformat()} for i, o in enumerate(more)]
    with open_fresh() as one, open_fresh() as two:
        load(one, objs)
        load(two, objs + later)
        with one.reading() as a, two.reading() as b:
            moment = Moment(day)
            assert league(a, moment, DEFAULTS) == [
                r for r in league(b, moment, DEFAULTS) if r["claims"] or r["relayed_by_others"]
            ]


@LAWS
@given(ledgers())
def test_aliasing_two_names_then_querying_either_gives_the_same_record(open_fresh, objs):
    with open_fresh() as ledger:
        load(ledger, objs)
        ledger.app.declare_alias(make_alias("source", "Echo", "Oracle"))
        with ledger.reading() as conn:
            known = {r["source"] for r in league(conn, LATER, DEFAULTS)}
            if "Oracle" in known or "Echo" in known:
                one = source_audit(conn, "Oracle", LATER, DEFAULTS)
                other = source_audit(conn, "Echo", LATER, DEFAULTS)
                assert one == other


@LAWS
@given(ledgers(), st.integers(0, 330))
@example(INVENTED, 330)  # rivals' confirmations end rumours, for a player and a coach
def test_a_rumours_audit_reads_only_its_move_and_says_what_the_whole_ledger_says(
    open_fresh, objs, offset
):
    from rumour_ledger.projections import audit
    from rumour_ledger.projections.board import weigh
    from rumour_ledger.projections.tables import rumours

    moment = Moment(date(2024, 1, 1) + timedelta(days=offset))
    with open_fresh() as ledger:
        load(ledger, objs)
        with ledger.reading() as conn:
            ids = [row.id for row in conn.execute(rumours.select())]
            narrow = [rumour_audit(conn, find_rumour(conn, i), moment, DEFAULTS) for i in ids]
            with pytest.MonkeyPatch.context() as patch:
                whole = lambda conn, ref, moment, settings: weigh(conn, moment, settings)  # noqa: E731
                patch.setattr(audit, "weigh_move", whole)
                wide = [rumour_audit(conn, find_rumour(conn, i), moment, DEFAULTS) for i in ids]
    assert narrow == wide


@LAWS
@given(ledgers(), st.integers(0, 330))
@example(INVENTED, 330)
def test_a_sources_audit_reads_only_the_moves_it_spoke_of_and_says_what_the_whole_ledger_says(
    open_fresh, objs, offset
):
    from rumour_ledger.projections import audit
    from rumour_ledger.projections.board import weigh

    moment = Moment(date(2024, 1, 1) + timedelta(days=offset))
    spoken = sorted({o["source"] for o in objs} | {o["cites"] for o in objs if o.get("cites")})
    with open_fresh() as ledger:
        load(ledger, objs)
        with ledger.reading() as conn:
            narrow = [source_audit(conn, name, moment, DEFAULTS) for name in spoken]
            with pytest.MonkeyPatch.context() as patch:
                whole = lambda conn, moment, settings, ids: weigh(conn, moment, settings)  # noqa: E731
                patch.setattr(audit, "weigh_moves", whole)
                wide = [source_audit(conn, name, moment, DEFAULTS) for name in spoken]
    assert narrow == wide


@LAWS
@given(ledgers(), st.data())
def test_as_known_at_a_time_equals_the_ledger_of_the_entries_recorded_by_then(
    open_fresh, objs, data
):
    # The first `kept` lines were recorded at BEFORE, the rest (and a retraction of the
    # first line) later: every audit as known at BEFORE is the audit of the first lines.
    before, after = "2025-01-01T00:00:00+00:00", "2025-02-01T00:00:00+00:00"
    kept = data.draw(st.integers(1, len(objs)))
    stamped = [
        {**o, "id": str(uuid.UUID(int=i + 1)), "recorded_at": before if i < kept else after}
        for i, o in enumerate(objs)
    ]
    undo = {"type": "retraction", "retracts": stamped[0]["id"], "reason": "wrong"}
    undo |= {"date": stamped[0]["date"], "recorded_at": after}
    then = Moment(LATER.as_of, datetime(2025, 1, 15, tzinfo=UTC))
    with open_fresh() as whole, open_fresh() as early:
        load(whole, [*stamped, undo])
        load(early, stamped[:kept])
        with whole.reading() as a, early.reading() as b:
            assert league(a, then, DEFAULTS) == league(b, LATER, DEFAULTS)
            assert rumour_list(a, known_at=then.known_at) == rumour_list(b)
            for source in {o["source"] for o in stamped[:kept]}:
                assert source_audit(a, source, then, DEFAULTS) == source_audit(
                    b, source, LATER, DEFAULTS
                )
            for row in rumour_list(b):
                ref = find_rumour(b, row["id"][:8])
                assert rumour_audit(a, ref, then, DEFAULTS) == rumour_audit(b, ref, LATER, DEFAULTS)
