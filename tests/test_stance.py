"""Track records per stance: the pure rules, and the read model pinned to them."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Column, Date, Integer, MetaData, Table, Text, select
from test_board import DEFAULTS, LAWS, START, load

from rumour_ledger.projections import records as track
from rumour_ledger.projections import stance
from rumour_ledger.projections.audit import league, source_audit
from rumour_ledger.projections.board import Moment, explain_rumour, weigh
from rumour_ledger.projections.likelihood import DENIAL, REPORT, Settings, logit, weight_of
from rumour_ledger.projections.reliability import learned_on
from rumour_ledger.projections.stance import StanceRecord
from rumour_ledger.projections.tables import record_days
from rumour_ledger.projections.views import find_rumour

EVERYTHING_KNOWN = datetime(2100, 1, 1, tzinfo=UTC)
OUTLETS = ["Bild", "Marca", "AS", "Kicker", "Sky", "Mail", "Sun"]

records_drawn = st.lists(
    st.integers(1, 40).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))),
    max_size=12,
)


@given(records_drawn, st.floats(2, 50))
def test_a_fitted_strength_stays_within_its_bounds_and_ignores_the_order(records, fallback):
    fitted = stance.fitted_strength(records, fallback)
    calls = sum(n for n, _ in records)
    if len(records) < stance.FIT_FROM_SOURCES or calls < stance.FIT_FROM_CALLS:
        assert fitted == fallback
    else:
        assert stance.WEAKEST_FIT <= fitted <= stance.STRONGEST_FIT or fitted == fallback
    assert stance.fitted_strength(list(reversed(records)), fallback) == fitted


def test_sources_alike_beyond_chance_fit_the_strongest_and_far_apart_the_weakest():
    alike = [(20, 10)] * 6  # every source at the same share: no spread beyond chance
    assert stance.fitted_strength(alike, 10) == stance.STRONGEST_FIT
    apart = [(20, 0), (20, 20)] * 3  # always wrong or always right
    assert stance.fitted_strength(apart, 10) == stance.WEAKEST_FIT
    some = [(20, 4), (20, 8), (20, 12), (20, 16), (20, 10), (20, 6)]
    assert stance.WEAKEST_FIT < stance.fitted_strength(some, 10) < stance.STRONGEST_FIT


def test_a_young_ledger_keeps_the_default_as_its_typical_source():
    assert stance.pooled([], 0.35, 10).mean == 0.35
    # Twenty calls' worth of the default against four calls all right.
    assert math.isclose(stance.pooled([(4, 4)], 0.35, 10).mean, (0.35 * 20 + 4) / 24)


@given(st.floats(0.05, 0.95), st.floats(0.05, 0.95), st.sampled_from([REPORT, DENIAL]))
def test_a_source_at_the_ledgers_mean_weighs_what_an_unknown_one_does(mean, prior, kind):
    learned = Settings(prior=prior, report_mean=mean, denial_mean=mean)
    unknown = weight_of(kind, learned.reliability_for("nobody", kind), False, learned)
    unlearned = weight_of(kind, 0.35, False, Settings(prior=prior))
    assert math.isclose(unknown, unlearned, abs_tol=1e-12)
    # ... and one better than the mean weighs more, by how far it beats it.
    better = weight_of(REPORT, min(0.99, mean + 0.04), False, learned)
    if unlearned > 0:
        gained = logit(min(0.99, mean + 0.04)) - logit(mean)
        assert math.isclose(better - unknown, gained, abs_tol=1e-9)


def test_a_typical_tabloid_below_the_prior_still_counts_once_the_ledger_knows_the_typical():
    # The case: reports of the Sun come true 14% of the time, the prior is 25%.
    records = {f"outlet{i}": StanceRecord(40, 6 + i, 0, 0) for i in range(6)}
    records["sun"] = StanceRecord(50, 7, 0, 0)
    learned = stance.learned(Settings(), records)
    assert learned.reliability_for("sun") < learned.prior
    assert weight_of(REPORT, learned.reliability_for("sun"), False, learned) > 0


@st.composite
def resolved_sagas(draw):
    """Moves reported or denied by several outlets, most of them settled: enough sources and
    calls for the strength to be fitted."""
    lines = []
    for n in range(draw(st.integers(6, 12))):
        subject, to = f"Player {n}", f"Club {n % 3}"
        for outlet in draw(st.lists(st.sampled_from(OUTLETS), min_size=3, max_size=7, unique=True)):
            day = START + timedelta(days=draw(st.integers(0, 200)))
            kind = draw(st.sampled_from(["report", "report", "denial"]))
            lines.append(
                {"subject": subject, "to": to, "type": kind, "source": outlet, "date": str(day)}
            )
        ending = draw(st.sampled_from(["confirmed", "open", "rival"]))
        day = START + timedelta(days=draw(st.integers(150, 400)))
        if ending == "confirmed":
            lines.append(
                {
                    "subject": subject,
                    "to": to,
                    "type": "confirmation",
                    "source": to,
                    "date": str(day),
                }
            )
        elif ending == "rival":
            lines.append(
                {"subject": subject, "to": "Elsewhere FC", "type": "confirmation",
                 "source": "Elsewhere FC", "date": str(day)}
            )  # fmt: skip
    return lines


def reference(conn, day: date) -> Settings:
    """Per-stance reliabilities from the pure rules, over calls worked out from every claim."""
    read = weigh(conn, Moment(day, EVERYTHING_KNOWN), DEFAULTS)
    calls = track.all_calls(read.found.moves, read.evidence, read.rivals, day, DEFAULTS)
    own = [(c.source_key, c.kind, c.right) for c in calls if not c.relayed]
    return stance.learned(DEFAULTS, stance.records_of(own))


def shown(found: Settings) -> dict[str, tuple[float, float, int, int]]:
    return {
        key: (found.reliability_for(key), found.reliability_for(key, DENIAL), *calls)
        for key, calls in found.stance_calls.items()
    }


@LAWS
@given(resolved_sagas(), st.integers(0, 450))
def test_per_stance_records_in_the_read_model_are_the_pure_rules(open_fresh, lines, offset):
    day = START + timedelta(days=offset)
    with open_fresh() as ledger:
        load(ledger, [json.dumps(o) for o in lines])
        with ledger.reading() as conn:
            expected = reference(conn, day)
            stored = learned_on(conn, day, DEFAULTS)
            assert shown(stored) == shown(expected)
            assert (stored.report_mean, stored.denial_mean) == (
                expected.report_mean,
                expected.denial_mean,
            )
            # `why` weighs each origin by the record of its stance, and says how thin it is.
            # The league of sources and one source's audit say the same.
            for row in league(conn, Moment(day), DEFAULTS):
                key = row["source"].lower()
                if row["learned"]:
                    assert row["report_reliability"] == expected.reliability_for(key)
                    assert row["denial_reliability"] == expected.reliability_for(key, DENIAL)
                    assert row["thin"] == (row["scored"] < stance.THIN_RECORD)
                audited = source_audit(conn, row["source"], Moment(day), DEFAULTS)
                record = audited["track_record"]
                assert record["report_reliability"] == expected.reliability_for(key)
                assert record["denial_reliability"] == expected.reliability_for(key, DENIAL)
            ref = find_rumour(conn, "Player 0 -> Club 0")
            explained = explain_rumour(conn, ref, Moment(day), DEFAULTS)
            for part in explained.contributions:
                assert part.reliability == expected.reliability_for(part.origin_key, part.kind)
                assert part.scored == expected.calls_for(part.origin_key, part.kind)
                assert part.to_dict()["thin"] == (part.scored < stance.THIN_RECORD)


def test_an_older_ledgers_record_days_are_worked_out_again_when_it_is_opened(location, clock):
    from rumour_ledger.projections.bootstrap import open_ledger

    lines = [
        {"subject": "Xabi Alonso", "to": "Real Madrid", "type": kind, "source": source,
         "date": "2024-03-01"}
        for kind, source in (("report", "Bild"), ("denial", "Marca"))
    ] + [{"subject": "Xabi Alonso", "to": "Real Madrid", "type": "confirmation",
          "source": "Real Madrid", "date": "2024-04-01"}]  # fmt: skip
    with open_ledger(location, clock=clock, user="tester") as ledger:
        load(ledger, [json.dumps(o) for o in lines])
        with ledger.reading() as conn:
            wanted = learned_on(conn, date(2024, 5, 1), DEFAULTS)
        # As an older version stored it: counts of all calls, none by stance.
        old = Table(
            "record_days",
            MetaData(),
            Column("source_key", Text, primary_key=True),
            Column("day", Date, primary_key=True),
            Column("scored", Integer, nullable=False),
            Column("right", Integer, nullable=False),
        )
        with ledger.engine.begin() as conn:
            kept = list(conn.execute(select(*(record_days.c[n] for n in old.c.keys()))))  # noqa: SIM118
            record_days.drop(conn)
            old.create(conn)
            conn.execute(old.insert(), [dict(row._mapping) for row in kept])
    with open_ledger(location, clock=clock, user="tester") as ledger, ledger.reading() as conn:
        assert learned_on(conn, date(2024, 5, 1), DEFAULTS) == wanted
        assert wanted.calls_for("marca", DENIAL) == 1
        # Marca's denial of a move that happened is wrong: below the typical denial.
        assert wanted.reliability_for("marca", DENIAL) < wanted.mean_for(DENIAL)
