"""Track records: which sources turned out right, learned from resolved rumours without hindsight.

A rumour is resolved as of a day when, by then, it was confirmed (it happened) or a rival's
confirmation ended it (it did not happen). On each resolved rumour every originating source
makes one call: its latest stance published on or before the resolution. A report is right
if the move was confirmed within the horizon after it; a denial is right otherwise. A relay
is scored to its origin, and the relaying outlet keeps a separate record of what it relayed.
Reliability is the mean of a Beta posterior that starts from the configured (or default)
reliability, worth `reliability_prior_strength` claims.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from rumour_ledger.projections.evidence import MoveKey, Rivals, Rumoured
from rumour_ledger.projections.likelihood import (
    CONFIRMATION,
    DENIAL,
    NOT_HAPPENED,
    REPORT,
    Evidence,
    Settings,
    explain,
)

# The claims a source makes a call with; a confirmation settles a move, it is no stance.
STANCES = (REPORT, DENIAL)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a rumour turned out, and on which published day that became known."""

    happened: bool
    resolved_on: date
    by: str


@dataclass(frozen=True, slots=True)
class Call:
    """One source's scored stance on one resolved rumour."""

    source_key: str
    source: str
    move: MoveKey
    label: str
    kind: str
    published: date
    claim_id: str
    happened: bool
    resolved_on: date
    right: bool
    relayed: bool  # True in an outlet's record of what it relayed


@dataclass
class Record:
    """A source's track record as of a day."""

    source_key: str
    source: str
    calls: list[Call] = field(default_factory=list)
    relay_calls: list[Call] = field(default_factory=list)
    prior: float = 0.0
    reliability: float = 0.0

    @property
    def right(self) -> int:
        return sum(c.right for c in self.calls)

    @property
    def wrong(self) -> int:
        return len(self.calls) - self.right

    def tally(self) -> Tally:
        """The record's counts, as a league table reads them."""
        return Tally(
            scored=len(self.calls),
            right=self.right,
            agreed=sum(agreed(c.kind, c.happened) for c in self.calls),
            relayed_scored=len(self.relay_calls),
            relayed_right=sum(c.right for c in self.relay_calls),
            prior=self.prior,
            reliability=self.reliability,
        )

    def to_dict(self) -> dict[str, object]:
        return {"source": self.source, **self.tally().to_dict()}


@dataclass(frozen=True, slots=True)
class Tally:
    """A source's track record as counts: its own calls (scored, right, and agreed: the
    stance matched what happened, whatever the horizon), the calls it relayed, and the
    reliability its own calls taught from its prior."""

    scored: int
    right: int
    agreed: int
    relayed_scored: int
    relayed_right: int
    prior: float
    reliability: float

    def to_dict(self) -> dict[str, object]:
        return {
            "scored": self.scored,
            "right": self.right,
            "wrong": self.scored - self.right,
            "hit_rate": self.right / self.scored if self.scored else None,
            "brier": brier_of(self.scored, self.agreed, self.reliability),
            "reliability": self.reliability,
            "prior_reliability": self.prior,
            "learned": bool(self.scored),
            "relayed_scored": self.relayed_scored,
            "relayed_right": self.relayed_right,
            "relayed_wrong": self.relayed_scored - self.relayed_right,
        }


def outcome(
    found: Rumoured, evidence: list[Evidence], rivals: Rivals, as_of: date
) -> Outcome | None:
    """The rumour's resolution as of a day, or None while it is open."""
    confirmations = [e for e in evidence if e.kind == CONFIRMATION]
    if confirmations:
        first = min(confirmations, key=lambda e: (e.published, e.position))
        return Outcome(True, first.published, f"confirmed by {first.source}")
    resolutions = rivals.resolutions(found.key, found.move.role)
    if not resolutions:
        return None
    # Whether a later report reopened it is the fold's own rule; reliabilities do not matter.
    explained = explain(found.move, evidence, as_of, Settings(), resolutions)
    if explained.status != NOT_HAPPENED or explained.resolved_on is None:
        return None
    return Outcome(False, explained.resolved_on, explained.resolved_by or "")


def first_said(evidence: Iterable[Evidence]) -> date | None:
    """The day a move was first spoken of: its first report or denial (relays too)."""
    return min((e.published for e in evidence if e.kind in STANCES), default=None)


def counted_outcome(result: Outcome | None, said: date | None, as_of: date) -> bool | None:
    """Whether a move counts toward the ledger's base rate as of a day, and how: True if
    it happened, False if not, None while it is open. It counts once it is resolved as
    records are (`outcome`: confirmed, or ended by a rival or a collapse), and only if it
    was spoken of by then (a bare confirmation is no rumour): the prior learns from the
    moves track records learn from. A move nobody resolved does not count, however old:
    a ledger that records no outcomes cannot tell a rumour that faded from a move that
    happened unrecorded (docs/likelihood.md has the measurement)."""
    if said is None or said > as_of or result is None:
        return None
    return result.happened


def outcomes_of(
    moves: Mapping[MoveKey, Rumoured],
    evidence: Mapping[MoveKey, list[Evidence]],
    rivals: Rivals,
    as_of: date,
) -> tuple[int, int]:
    """The ledger's moves as they count toward its base rate as of a day: (happened,
    resolved). The reference the stored read model is pinned to."""
    happened = resolved = 0
    for key, found in moves.items():
        claims = [e for e in evidence.get(key, []) if e.published <= as_of]
        said = first_said(claims)
        if said is None:
            continue
        result = outcome(found, claims, rivals, as_of)
        counted = counted_outcome(result, said, as_of)
        if counted is not None:
            resolved += 1
            happened += counted
    return happened, resolved


def is_right(kind: str, published: date, result: Outcome, horizon_days: float) -> bool:
    """Whether a call made on a day was right, given how its move turned out."""
    return call_was_right(
        kind, result.happened, (result.resolved_on - published).days, horizon_days
    )


def call_was_right(kind: str, happened: bool, lead_days: int, horizon_days: float) -> bool:
    """The one rule of a call's being right: a report is right if its move happened within
    the horizon of it (lead_days: from the call to the resolution), a denial otherwise.
    The calls model's SQL (reliability.RIGHT) says the same, pinned by the tests that
    compare records read from it with records worked out from the claims."""
    in_time = happened and lead_days <= horizon_days
    return in_time if kind == REPORT else not in_time


def calls_on(
    found: Rumoured, evidence: list[Evidence], result: Outcome, settings: Settings
) -> list[Call]:
    """Each origin's and each relaying outlet's latest stance before the resolution."""
    in_order = sorted(evidence, key=lambda e: (e.published, e.position))
    return [
        Call(
            source_key=key,
            source=caller(e, relayed),
            move=found.key,
            label=found.ref.label,
            kind=e.kind,
            published=e.published,
            claim_id=e.claim_id,
            happened=result.happened,
            resolved_on=result.resolved_on,
            right=is_right(e.kind, e.published, result, settings.horizon_days),
            relayed=relayed,
        )
        for (key, relayed), e in latest_stances(in_order, result.resolved_on).items()
    ]


def latest_stances(in_order: list[Evidence], until: date) -> dict[tuple[str, bool], Evidence]:
    """Who makes a call, and on which claim: each origin's (source key, False) and each
    relaying outlet's (source key, True) latest report or denial published by `until`,
    from claims in published order."""
    latest: dict[tuple[str, bool], Evidence] = {}
    for e in in_order:
        if e.published > until:
            break
        if e.kind not in STANCES:
            continue
        latest[(e.origin_key, False)] = e
        if e.is_relay:
            latest[(e.source_key, True)] = e
    return latest


def caller(e: Evidence, relayed: bool) -> str:
    """The name a call is recorded under: the relaying outlet, else the origin."""
    return e.source if relayed or not e.is_relay else (e.cites or e.origin_key)


def posterior(prior: float, strength: float, right: int, wrong: int) -> float:
    """The mean of a Beta(prior·strength + right, (1 − prior)·strength + wrong)."""
    return (prior * strength + right) / (strength + right + wrong)


def records(calls: Iterable[Call], settings: Settings) -> dict[str, Record]:
    """Every scored source's record: calls and reliability."""
    found: dict[str, Record] = {}
    for call in calls:
        record = found.setdefault(call.source_key, Record(call.source_key, call.source))
        (record.relay_calls if call.relayed else record.calls).append(call)
    for record in found.values():
        record.prior = settings.reliability_for(record.source_key)
        record.reliability = posterior(
            record.prior, settings.reliability_prior_strength, record.right, record.wrong
        )
    return found


def agreed(kind: str, happened: bool) -> bool:
    """The stance matched what happened: a report of a move that happened, a denial of one
    that did not (whatever the horizon)."""
    return happened if kind == REPORT else not happened


def brier_of(scored: int, agreed: int, reliability: float) -> float | None:
    """How far the source's reliability, read as a forecast of each of its calls, was from
    what happened (mean squared): a report forecasts the move at the reliability, a denial
    at its complement, so an agreeing call misses by 1 - reliability and any other by the
    reliability itself."""
    if not scored:
        return None
    hit, miss = (1.0 - reliability) ** 2, reliability**2
    return (agreed * hit + (scored - agreed) * miss) / scored


def learned(settings: Settings, found: Mapping[str, Record]) -> Settings:
    """The settings with each scored source's reliability learned from its record."""
    reliabilities = dict(settings.reliabilities)
    for key, record in found.items():
        if record.calls:
            reliabilities[key] = record.reliability
    return replace(settings, reliabilities=reliabilities)


def all_calls(
    moves: Mapping[MoveKey, Rumoured],
    evidence: Mapping[MoveKey, list[Evidence]],
    rivals: Rivals,
    as_of: date,
    settings: Settings,
) -> list[Call]:
    calls: list[Call] = []
    for key, found in moves.items():
        claims = evidence.get(key, [])
        if not claims:
            continue
        result = outcome(found, claims, rivals, as_of)
        if result is not None:
            calls.extend(calls_on(found, claims, result, settings))
    return calls


def by_source(calls: Iterable[Call]) -> dict[str, list[Call]]:
    grouped: dict[str, list[Call]] = defaultdict(list)
    for call in calls:
        grouped[call.source_key].append(call)
    return grouped
