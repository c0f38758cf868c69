"""Tests for the fold from filtered evidence to an explained likelihood."""

import json
import math
import random
from dataclasses import replace
from datetime import date, timedelta

import hypothesis
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rumour_ledger.projections.likelihood import (
    CONFIRMATION,
    CONFIRMED,
    DENIAL,
    DENIED,
    NOT_HAPPENED,
    OPEN,
    REPORT,
    Ageing,
    DayByDay,
    Evidence,
    Explanation,
    Move,
    Resolution,
    Settings,
    concurring,
    concurring_share,
    discounted,
    explain,
    likelihood,
)

ALONSO = Move("xabi alonso", "bayer leverkusen", "real madrid", "coach")
DAY = date(2024, 12, 10)

# With a prior of 25% and a reliability of 50%, a claim weighs exactly ln 3,
# which keeps the hand-computed expectations readable.
EVEN = Settings(prior=0.25, reliabilities={"sport": 0.5, "marca": 0.5})
LN3 = math.log(3)


def claim(
    claim_id: str,
    kind: str,
    source: str,
    published: date = DAY,
    position: int = 0,
    cites: str | None = None,
    official: bool = False,
) -> Evidence:
    """A claim whose keys are its names in lower case."""
    return Evidence(
        claim_id=claim_id,
        kind=kind,
        source=source,
        source_key=source.lower(),
        cites=cites,
        cites_key=cites.lower() if cites else None,
        official=official,
        published=published,
        position=position,
    )


def probability(log_odds: float) -> float:
    return 1 / (1 + math.exp(-log_odds))


# --- hand-computed examples, one per rule -----------------------------------


def test_with_no_evidence_the_likelihood_is_the_prior() -> None:
    result = explain(ALONSO, [], DAY, EVEN)
    assert result.likelihood == pytest.approx(0.25)
    assert result.status == OPEN
    assert result.prior_log_odds == pytest.approx(-LN3)
    assert result.contributions == ()
    assert result.last_claim is None


def test_a_fresh_report_lands_at_its_sources_reliability() -> None:
    result = explain(ALONSO, [claim("a1", REPORT, "Sport")], DAY, EVEN)
    assert result.likelihood == pytest.approx(0.5)
    (part,) = result.contributions
    assert part.weight == pytest.approx(LN3)
    assert part.decay == 1.0
    assert part.points == pytest.approx(25.0)


def test_an_unknown_source_gets_the_default_reliability() -> None:
    result = explain(ALONSO, [claim("a1", REPORT, "Kicker")], DAY, EVEN)
    assert result.contributions[0].reliability == EVEN.default_reliability
    assert result.likelihood == pytest.approx(EVEN.default_reliability)


def test_a_fresh_denial_divides_the_odds_as_a_report_multiplies_them() -> None:
    # Odds 1/3 divided by 3 give 1/9, which is 10%.
    result = explain(ALONSO, [claim("a1", DENIAL, "Marca")], DAY, EVEN)
    assert result.likelihood == pytest.approx(0.1)
    assert result.contributions[0].weight == pytest.approx(-LN3)
    assert result.status == OPEN


def test_a_report_from_a_source_no_better_than_the_prior_adds_nothing() -> None:
    settings = Settings(prior=0.25, reliabilities={"metro": 0.112})
    report = explain(ALONSO, [claim("a1", REPORT, "Metro")], DAY, settings)
    denial = explain(ALONSO, [claim("a1", DENIAL, "Metro")], DAY, settings)
    assert report.likelihood == pytest.approx(0.25)
    assert denial.likelihood == pytest.approx(0.25)
    assert report.contributions[0].weight == 0.0
    assert denial.contributions[0].log_odds == 0.0


def test_a_first_party_denial_all_but_ends_a_typical_open_rumour() -> None:
    evidence = [
        claim("a1", REPORT, "Kicker", position=1),
        claim("a2", REPORT, "Diario AS", position=2),
        claim("a3", DENIAL, "Xabi Alonso", position=3),
    ]
    before = likelihood(ALONSO, evidence[:2], DAY)
    result = explain(ALONSO, evidence, DAY)
    # A default report multiplies the odds by m, the second outlet saying the same by
    # m to the power of its concurring share; the denial divides them by m**6.
    m = 0.35 / 0.65 * 3
    second = concurring_share(2, Settings().concurring_discount)
    assert before == pytest.approx(probability(math.log(1 / 3 * m ** (1 + second))))
    assert result.likelihood == pytest.approx(probability(math.log(1 / 3 * m ** (second - 5))))
    assert result.likelihood < 0.05
    assert result.status == DENIED


@pytest.mark.parametrize(
    ("source", "official", "expected"),
    [
        ("Xabi Alonso", False, True),
        ("Bayer Leverkusen", False, True),
        ("Real Madrid", False, True),
        ("Alonso's agent", True, True),
        ("Sport", False, False),
    ],
)
def test_a_claim_is_first_party_when_on_the_record_or_from_a_party_to_the_move(
    source: str, official: bool, expected: bool
) -> None:
    evidence = [claim("a1", DENIAL, source, official=official)]
    result = explain(ALONSO, evidence, DAY)
    assert result.contributions[0].first_party is expected


def test_a_source_that_once_spoke_on_the_record_stays_a_party_to_the_move() -> None:
    on_record = claim("a1", DENIAL, "Alonso's agent", DAY - timedelta(days=2), 1, official=True)
    relay = claim("b2", REPORT, "Bild", DAY - timedelta(days=1), 2, cites="Alonso's agent")
    off_record = claim("a3", REPORT, "Alonso's agent", DAY, 3)
    result = explain(ALONSO, [on_record, relay, off_record], DAY)
    (part,) = result.contributions
    assert (part.counted_claim_id, part.first_party) == ("a3", True)
    # A relay of an official word does not put the origin's own later claims on record.
    result = explain(ALONSO, [replace(relay, official=True), off_record], DAY)
    assert result.contributions[0].first_party is False


def test_a_relay_counts_once_and_is_shown_under_its_origin() -> None:
    sport = claim("a1", REPORT, "Sport", position=1)
    relay = claim("b2", REPORT, "Bild", DAY + timedelta(days=1), 2, cites="Sport")
    as_of = DAY + timedelta(days=1)
    alone = explain(ALONSO, [sport], as_of, EVEN)
    result = explain(ALONSO, [sport, relay], as_of, EVEN)
    assert result.likelihood == alone.likelihood
    assert (result.origins, result.relays) == (1, 1)
    (part,) = result.contributions
    assert (part.origin, part.claim_ids, part.via) == ("Sport", ("a1",), None)
    assert part.published == DAY
    (shown,) = part.relays
    assert (shown.source, shown.claim_ids, shown.published) == (
        "Bild",
        ("b2",),
        (as_of,),
    )


def test_an_origin_known_only_through_relays_counts_once_as_itself() -> None:
    first = claim("b1", REPORT, "Bild", DAY, 1, cites="Sport")
    later = claim("c2", REPORT, "Kicker", DAY + timedelta(days=3), 2, cites="Sport")
    result = explain(ALONSO, [first, later], DAY + timedelta(days=3), EVEN)
    (part,) = result.contributions
    assert (part.origin, part.origin_key, part.reliability) == ("Sport", "sport", 0.5)
    assert (part.via, part.counted_claim_id, part.claim_ids) == ("Bild", "b1", ())
    # The first relay's date stands in for the origin's, so decay runs from it.
    assert part.published == DAY
    assert [r.source for r in part.relays] == ["Bild", "Kicker"]


def test_a_source_repeating_itself_counts_once_from_its_latest_date() -> None:
    later = DAY + timedelta(days=60)
    evidence = [
        claim("a1", REPORT, "Sport", DAY, 1),
        claim("a2", REPORT, "Sport", later, 2),
    ]
    result = explain(ALONSO, evidence, later, EVEN)
    assert result.likelihood == pytest.approx(0.5)
    (part,) = result.contributions
    assert (part.published, part.decay, part.claim_ids) == (later, 1.0, ("a1", "a2"))


def test_a_source_that_changes_its_mind_counts_with_its_latest_stance() -> None:
    evidence = [
        claim("a1", REPORT, "Sport", DAY - timedelta(days=1), 1),
        claim("a2", DENIAL, "Sport", DAY, 2),
    ]
    result = explain(ALONSO, evidence, DAY, EVEN)
    assert result.likelihood == pytest.approx(0.1)
    assert result.contributions[0].kind == DENIAL


def test_between_same_day_claims_the_later_ledger_position_is_the_latest() -> None:
    evidence = [
        claim("a1", REPORT, "Sport", DAY, position=9),
        claim("a2", DENIAL, "Sport", DAY, position=4),
    ]
    result = explain(ALONSO, evidence, DAY, EVEN)
    assert result.contributions[0].kind == REPORT
    assert result.likelihood == pytest.approx(0.5)


def test_decay_halves_a_contribution_at_one_half_life() -> None:
    as_of = DAY + timedelta(days=60)
    result = explain(ALONSO, [claim("a1", REPORT, "Sport")], as_of, EVEN)
    (part,) = result.contributions
    assert part.decay == 0.5
    assert part.log_odds == pytest.approx(LN3 / 2)
    # Odds of 1/3 times the square root of 3.
    assert result.likelihood == pytest.approx(probability(math.log(3**0.5 / 3)))


def test_an_old_rumour_drifts_back_to_the_prior() -> None:
    as_of = DAY + timedelta(days=3650)
    result = explain(ALONSO, [claim("a1", REPORT, "Sport")], as_of, EVEN)
    assert result.likelihood == pytest.approx(0.25)


def test_a_confirmation_makes_the_move_certain() -> None:
    evidence = [
        claim("a1", DENIAL, "Xabi Alonso", DAY, 1),
        claim("a2", CONFIRMATION, "Real Madrid", DAY + timedelta(days=1), 2),
    ]
    result = explain(ALONSO, evidence, DAY + timedelta(days=1))
    assert result.likelihood == 1.0
    assert result.status == CONFIRMED
    assert result.resolved_by == "confirmed by Real Madrid"
    assert result.confirmations == 1


def test_a_resolution_ends_the_rumour() -> None:
    ended = Resolution(DAY, "Alonso confirmed at Bayern")
    evidence = [claim("a1", REPORT, "Sport", DAY - timedelta(days=5))]
    result = explain(ALONSO, evidence, DAY, EVEN, [ended])
    assert result.likelihood == 0.0
    assert result.status == NOT_HAPPENED
    assert result.resolved_by == "Alonso confirmed at Bayern"
    assert (result.counted_after, result.set_aside) == (DAY, 1)


def test_a_report_on_the_day_of_the_resolution_does_not_reopen_it() -> None:
    ended = Resolution(DAY, "Alonso confirmed at Bayern")
    evidence = [claim("a1", REPORT, "Sport", DAY)]
    assert explain(ALONSO, evidence, DAY, EVEN, [ended]).status == NOT_HAPPENED


def test_a_later_report_reopens_a_resolved_rumour_counting_only_later_claims() -> None:
    ended = Resolution(DAY, "Alonso confirmed at Bayern")
    after = DAY + timedelta(days=10)
    evidence = [
        claim("a1", REPORT, "Sport", DAY - timedelta(days=5), 1),
        claim("a2", REPORT, "Marca", after, 2),
    ]
    result = explain(ALONSO, evidence, after, EVEN, [ended])
    assert result.status == OPEN
    assert result.likelihood == pytest.approx(0.5)
    assert [p.origin for p in result.contributions] == ["Marca"]
    assert result.set_aside == 1


def test_a_resolution_published_after_as_of_is_not_yet_known() -> None:
    ended = Resolution(DAY + timedelta(days=1), "Alonso confirmed at Bayern")
    result = explain(ALONSO, [claim("a1", REPORT, "Sport")], DAY, EVEN, [ended])
    assert result.status == OPEN


def test_a_later_report_reopens_a_denied_rumour() -> None:
    denial = claim("a1", DENIAL, "Xabi Alonso", DAY, 1)
    report = claim("a2", REPORT, "Marca", DAY + timedelta(days=1), 2)
    assert explain(ALONSO, [denial], DAY, EVEN).status == DENIED
    reopened = explain(ALONSO, [denial, report], DAY + timedelta(days=1), EVEN)
    assert reopened.status == OPEN


def test_points_add_up_to_the_change_from_the_prior() -> None:
    evidence = [
        claim("a1", DENIAL, "Xabi Alonso", date(2024, 3, 29), 1),
        claim("a2", REPORT, "Sport", DAY, 2),
        claim("a3", REPORT, "Bild", DAY, 3, cites="Sport"),
        claim("a4", REPORT, "Kicker", DAY, 4),
    ]
    result = explain(ALONSO, evidence, DAY + timedelta(days=5))
    total = sum(p.points for p in result.contributions)
    assert total == pytest.approx(100 * (result.likelihood - result.prior))
    assert [p.published for p in result.contributions] == sorted(
        p.published for p in result.contributions
    )


def test_the_worked_example_in_the_docs_gives_31_percent() -> None:
    evidence = [
        claim("a1", DENIAL, "Xabi Alonso", date(2024, 3, 29), 1),
        claim("a2", REPORT, "Sport", date(2024, 12, 10), 2),
        claim("a3", REPORT, "Bild", date(2024, 12, 11), 3, cites="Sport"),
    ]
    march = explain(ALONSO, evidence[:1], date(2024, 3, 29))
    december = explain(ALONSO, evidence, date(2024, 12, 15))
    assert (round(march.likelihood, 3), march.status) == (0.018, DENIED)
    assert (round(december.likelihood, 3), december.status) == (0.313, OPEN)
    denial, report = december.contributions
    assert (round(denial.decay, 3), round(report.decay, 3)) == (0.049, 0.944)
    assert (round(denial.points, 1), round(report.points, 1)) == (-2.6, 8.8)


def test_to_dict_gives_json_ready_data_with_iso_dates() -> None:
    evidence = [
        claim("a1", REPORT, "Sport", DAY, 1),
        claim("a2", REPORT, "Bild", DAY, 2, cites="Sport"),
    ]
    data = explain(ALONSO, evidence, DAY).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["as_of"] == "2024-12-10"
    assert data["contributions"][0]["relays"][0]["published"] == ["2024-12-10"]
    assert Settings(reliabilities={"sport": 0.4}).to_dict()["reliabilities"] == {"sport": 0.4}


def test_describe_gives_an_editor_one_line_per_origin() -> None:
    evidence = [
        claim("a1", REPORT, "Sport", DAY, 1),
        claim("a2", REPORT, "Bild", DAY, 2, cites="Sport"),
    ]
    text = explain(ALONSO, evidence, DAY, EVEN).describe()
    assert text.splitlines()[0].startswith("50% (open)")
    assert "relayed by Bild" in text


def test_a_claim_published_after_as_of_is_rejected() -> None:
    with pytest.raises(ValueError, match="after as_of"):
        explain(ALONSO, [claim("a1", REPORT, "Sport", DAY)], DAY - timedelta(days=1))


def test_an_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        explain(ALONSO, [claim("a1", "rumour", "Sport")], DAY)


@pytest.mark.parametrize(
    "bad",
    [
        {"prior": 0.0},
        {"prior": 1.0},
        {"default_reliability": 1.5},
        {"reliabilities": {"sport": 0.0}},
        {"half_life_days": 0.0},
        {"first_party_weight": 0.5},
    ],
)
def test_settings_reject_values_outside_their_range(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Settings(**bad)  # type: ignore[arg-type]


# --- properties over generated evidence ---------------------------------------

SOURCES = (
    "sport",
    "bild",
    "marca",
    "kicker",
    "metro",
    "xabi alonso",
    "bayer leverkusen",
    "real madrid",
)
START = date(2024, 1, 1)
SPAN = 200
PROPERTY = hypothesis.settings(max_examples=100, deadline=None)
# Float rounding of individually decayed terms; far below a visible change.
ROUNDING = 1e-12


def dates(low: date = START, high: date = START + timedelta(days=SPAN)):
    return st.integers(0, (high - low).days).map(lambda n: low + timedelta(days=n))


@st.composite
def claims(draw: st.DrawFn, kinds: tuple[str, ...] = (REPORT, DENIAL)) -> Evidence:
    source = draw(st.sampled_from(SOURCES))
    cites = draw(st.none() | st.sampled_from(SOURCES))
    return Evidence(
        claim_id="",
        kind=draw(st.sampled_from(kinds)),
        source=source.title(),
        source_key=source,
        cites=cites.title() if cites else None,
        cites_key=cites,
        official=draw(st.booleans()),
        published=draw(dates()),
        position=draw(st.integers(0, 60)),
    )


def with_ids(evidence: list[Evidence]) -> list[Evidence]:
    return [replace(c, claim_id=f"{i:04x}") for i, c in enumerate(evidence)]


def evidence_lists(kinds: tuple[str, ...] = (REPORT, DENIAL)):
    return st.lists(claims(kinds), max_size=12).map(with_ids)


reliability = st.floats(0.01, 0.99)
model_settings = st.builds(
    Settings,
    prior=st.floats(0.05, 0.95),
    half_life_days=st.floats(1.0, 365.0),
    default_reliability=reliability,
    reliabilities=st.dictionaries(st.sampled_from(SOURCES), reliability),
    first_party_weight=st.floats(1.0, 10.0),
    concurring_discount=st.sampled_from((0.0, 0.5, 1.0, 2.0)),
)
resolution_lists = st.lists(
    st.builds(Resolution, published=dates(), reason=st.just("confirmed elsewhere")),
    max_size=2,
)


def last_day(evidence: list[Evidence]) -> date:
    return max((c.published for c in evidence), default=START)


def next_position(evidence: list[Evidence]) -> int:
    return max((c.position for c in evidence), default=0) + 1


@PROPERTY
@given(
    evidence_lists((REPORT, DENIAL, CONFIRMATION)),
    model_settings,
    resolution_lists,
    st.integers(0, 400),
)
def test_the_likelihood_is_always_between_0_and_1(
    evidence: list[Evidence], settings: Settings, ended: list[Resolution], wait: int
) -> None:
    as_of = last_day(evidence) + timedelta(days=wait)
    value = likelihood(ALONSO, evidence, as_of, settings, ended)
    assert 0.0 <= value <= 1.0


@PROPERTY
@given(
    evidence_lists((REPORT, DENIAL, CONFIRMATION)),
    claims((CONFIRMATION,)),
    model_settings,
    resolution_lists,
)
def test_a_confirmed_move_is_certain(
    evidence: list[Evidence],
    confirmation: Evidence,
    settings: Settings,
    ended: list[Resolution],
) -> None:
    evidence = with_ids([*evidence, confirmation])
    result = explain(ALONSO, evidence, last_day(evidence), settings, ended)
    assert (result.likelihood, result.status) == (1.0, CONFIRMED)


def _added(
    data: st.DataObject, evidence: list[Evidence], counted: Explanation, kind: str
) -> Evidence:
    """A newest claim from a new origin or from one counted by its own claims."""
    known = {p.origin_key for p in counted.contributions}
    own = {p.origin_key for p in counted.contributions if p.claim_ids}
    source = data.draw(st.sampled_from((*SOURCES, "newcomer")))
    cites = data.draw(st.none() | st.sampled_from((*SOURCES, "someone new")))
    # The first own claim of an origin so far counted through a relay replaces
    # that relay, date and all, so it is no plain addition and is left out.
    assume((cites or source) not in known or (cites or source) in own)
    return Evidence(
        claim_id="new",
        kind=kind,
        source=source.title(),
        source_key=source,
        cites=cites.title() if cites else None,
        cites_key=cites,
        official=data.draw(st.booleans()),
        published=data.draw(dates(last_day(evidence), counted.as_of)),
        position=next_position(evidence),
    )


@PROPERTY
@given(evidence_lists(), model_settings, resolution_lists, st.integers(0, 90), st.data())
def test_adding_a_newest_report_never_lowers_the_likelihood(
    evidence: list[Evidence],
    settings: Settings,
    ended: list[Resolution],
    wait: int,
    data: st.DataObject,
) -> None:
    as_of = last_day(evidence) + timedelta(days=wait)
    before = explain(ALONSO, evidence, as_of, settings, ended)
    report = _added(data, evidence, before, REPORT)
    after = likelihood(ALONSO, [*evidence, report], as_of, settings, ended)
    assert after >= before.likelihood


@PROPERTY
@given(evidence_lists(), model_settings, resolution_lists, st.integers(0, 90), st.data())
def test_adding_a_newest_denial_never_raises_the_likelihood(
    evidence: list[Evidence],
    settings: Settings,
    ended: list[Resolution],
    wait: int,
    data: st.DataObject,
) -> None:
    as_of = last_day(evidence) + timedelta(days=wait)
    before = explain(ALONSO, evidence, as_of, settings, ended)
    denial = _added(data, evidence, before, DENIAL)
    after = likelihood(ALONSO, [*evidence, denial], as_of, settings, ended)
    assert after <= before.likelihood


@PROPERTY
@given(evidence_lists(), model_settings, resolution_lists, st.integers(0, 90), st.data())
def test_adding_a_relay_of_an_already_counted_origin_changes_nothing(
    evidence: list[Evidence],
    settings: Settings,
    ended: list[Resolution],
    wait: int,
    data: st.DataObject,
) -> None:
    as_of = last_day(evidence) + timedelta(days=wait)
    before = explain(ALONSO, evidence, as_of, settings, ended)
    assume(before.contributions)
    part = data.draw(st.sampled_from(before.contributions))
    outlet = data.draw(st.sampled_from([s for s in SOURCES if s != part.origin_key]))
    # A relay-only origin is counted from its first relay, so the new one comes
    # later; relays of an origin with its own claims may carry any date.
    earliest = part.published if part.via else START
    relay = Evidence(
        claim_id="relay",
        kind=data.draw(st.sampled_from((REPORT, DENIAL))),
        source=outlet.title(),
        source_key=outlet,
        cites=part.origin,
        cites_key=part.origin_key,
        official=data.draw(st.booleans()),
        published=data.draw(dates(earliest, as_of)),
        position=next_position(evidence),
    )
    after = explain(ALONSO, [*evidence, relay], as_of, settings, ended)
    assert (after.likelihood, after.status) == (before.likelihood, before.status)
    assert [p.log_odds for p in after.contributions] == [p.log_odds for p in before.contributions]


@PROPERTY
@given(evidence_lists(), model_settings, st.integers(0, 400), st.integers(1, 400))
def test_without_new_evidence_the_likelihood_drifts_toward_the_prior(
    evidence: list[Evidence], settings: Settings, wait: int, more: int
) -> None:
    first = last_day(evidence) + timedelta(days=wait)
    later = first + timedelta(days=more)
    early_gap = abs(likelihood(ALONSO, evidence, first, settings) - settings.prior)
    late_gap = abs(likelihood(ALONSO, evidence, later, settings) - settings.prior)
    assert late_gap <= early_gap + ROUNDING


@PROPERTY
@given(
    evidence_lists((REPORT, DENIAL, CONFIRMATION)),
    model_settings,
    resolution_lists,
    st.randoms(use_true_random=False),
)
def test_the_result_does_not_depend_on_the_order_of_the_input(
    evidence: list[Evidence],
    settings: Settings,
    ended: list[Resolution],
    shuffler: random.Random,
) -> None:
    as_of = last_day(evidence)
    shuffled = list(evidence)
    shuffler.shuffle(shuffled)
    original: Explanation = explain(ALONSO, evidence, as_of, settings, ended)
    reordered = explain(ALONSO, iter(shuffled), as_of, settings, reversed(ended))
    assert reordered.to_dict() == original.to_dict()


@PROPERTY
@given(
    evidence_lists((REPORT, DENIAL, CONFIRMATION)),
    model_settings,
    resolution_lists,
    st.lists(st.tuples(dates(), st.sampled_from(SOURCES), reliability), max_size=6),
)
def test_day_by_day_gives_every_day_what_explain_gives_it_to_the_last_bit(
    evidence: list[Evidence],
    settings: Settings,
    ended: list[Resolution],
    learned: list[tuple[date, str, float]],
) -> None:
    """Claims, rivals' confirmations and sources' records arrive on their days; each day
    is asked as `explain` with only what was known by then."""
    unfolding = DayByDay(ALONSO, list(reversed(evidence)), settings, ended)
    known = dict(settings.reliabilities)
    day = START
    while day <= START + timedelta(days=SPAN + 30):  # every day, and a month after
        changed = {source for on, source, _ in learned if on == day}
        known.update((source, value) for on, source, value in learned if on == day)
        unfolding.reweigh(changed)
        unfolding.take(day)
        then = replace(settings, reliabilities=dict(known))
        published = [c for c in evidence if c.published <= day]
        asked = explain(ALONSO, published, day, then, ended)
        assert unfolding.likelihood(day, then.reliability_for) == asked.likelihood, day
        assert (unfolding.status, unfolding.resolved_by, unfolding.resolved_on) == (
            asked.status,
            asked.resolved_by,
            asked.resolved_on,
        ), day
        day += timedelta(days=1)


def test_concurring_outlets_add_up_to_log2_of_one_more_than_their_number() -> None:
    assert [round(concurring_share(n, 1.0), 3) for n in range(1, 5)] == [1, 0.585, 0.415, 0.322]
    for n in range(1, 30):
        total = math.fsum(concurring_share(k, 1.0) for k in range(1, n + 1))
        assert total == pytest.approx(math.log2(1 + n))
    assert {concurring_share(n, 0.0) for n in range(1, 9)} == {1.0}


def test_outlets_are_ranked_by_stance_oldest_first_and_parties_or_weightless_ones_not_at_all():
    said = [(1.0, False), (-1.0, False), (0.0, False), (2.0, True), (1.0, False), (-1.0, False)]
    on_one_day = [(weight, party, 700000) for weight, party in said]
    assert [n for n, _ in concurring(on_one_day, 1.0, 60.0)] == [1, 1, 0, 0, 2, 2]
    assert discounted(on_one_day, 0.0, 60.0) == [w for w, _ in said]


def test_the_strongest_after_decay_counts_fully_so_a_faded_story_never_discounts_a_fresh_one():
    # A year-old report of twice the weight has faded far below a fresh one.
    said = [(2.0, False, 700000), (1.0, False, 700365)]
    assert [n for n, _ in concurring(said, 1.0, 60.0)] == [2, 1]
    # Sixty days apart with a sixty-day half-life, twice the weight is exactly as strong:
    # claim order breaks the tie.
    assert [n for n, _ in concurring([(2.0, False, 0), (1.0, False, 60)], 1.0, 60.0)] == [1, 2]


def test_three_outlets_saying_the_same_count_as_log2_4_and_why_says_so() -> None:
    evidence = [
        claim(f"s{i}", REPORT, source, position=i)
        for i, source in enumerate(("Sport", "Marca", "Kicker"), start=1)
    ]
    even = replace(
        EVEN, reliabilities={**EVEN.reliabilities, "kicker": 0.5}, concurring_discount=1.0
    )
    result = explain(ALONSO, evidence, DAY, even)
    # Each weighs ln 3 alone; three together log2(1 + 3) = 2 times that.
    assert result.log_odds - math.log(1 / 3) == pytest.approx(2 * LN3)
    third = result.contributions[2]
    assert (third.concurring, round(third.share, 2)) == (3, 0.42)
    assert "3rd strongest outlet saying the same: counts 0.42 of its weight" in result.describe()
    second = result.to_dict()["contributions"][1]
    assert (second["concurring"], second["concurring_note"]) == (
        2,
        "2nd strongest outlet saying the same: counts 0.58 of its weight",
    )
    independent = explain(ALONSO, evidence, DAY, replace(even, concurring_discount=0.0))
    assert {p.share for p in independent.contributions} == {1.0}
    assert independent.log_odds - math.log(1 / 3) == pytest.approx(3 * LN3)


@PROPERTY
@given(evidence_lists(), model_settings, resolution_lists, st.integers(0, 400))
def test_a_standing_aged_with_discounted_weights_equals_explain_to_the_last_bit(
    evidence: list[Evidence], settings: Settings, ended: list[Resolution], wait: int
) -> None:
    """The board ages a move's counted claims, as stored after its last claim, to a later
    day: concurring outlets discounted by the one rule, it must say what explain says."""
    last = last_day(evidence)
    ended = [r for r in ended if r.published <= last]
    stored = explain(ALONSO, evidence, last, settings, ended)
    assume(stored.status in (OPEN, DENIED))
    later = last + timedelta(days=wait)
    said = [(p.weight, p.first_party, p.published.toordinal()) for p in stored.contributions]
    weights = discounted(said, settings.concurring_discount, settings.half_life_days)
    counted = [
        (w, p.published.toordinal()) for w, p in zip(weights, stored.contributions, strict=True)
    ]
    asked = explain(ALONSO, evidence, later, settings, ended)
    assert Ageing(later, settings).likelihood(counted) == asked.likelihood
