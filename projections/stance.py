"""Track records per stance: how often a source's reports came true and its denials held, shrunk
toward the ledger's own mean with a strength fitted from the records.

Pure rules, no I/O: every engine (the fold, the read models, the board, `why`, a timeline)
hands in the counts it read and takes the learned settings back from here. A call is right by
the one rule of projections/records.py (`is_right`); this module only counts calls by stance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from rumour_ledger.projections.likelihood import DENIAL, REPORT, THIN_RECORD, Settings

# How many calls' worth of belief the defaults carry against the ledger's own mean: a young
# ledger (a few resolved moves) keeps the default reliability as its typical source.
YOUNG_LEDGER_CALLS = 20
# The fitted shrinkage strength stays within these: below 2 one call swings a record to its
# extremes; above 100 no record ever moves off the ledger's mean.
WEAKEST_FIT, STRONGEST_FIT = 2.0, 100.0
# With fewer sources or calls than these the spread between sources says nothing yet, and
# the configured `reliability_prior_strength` is used instead.
FIT_FROM_SOURCES, FIT_FROM_CALLS = 5, 30


@dataclass(frozen=True, slots=True)
class StanceRecord:
    """A source's calls by stance: its reports scored and right, its denials scored and right."""

    report_scored: int = 0
    report_right: int = 0
    denial_scored: int = 0
    denial_right: int = 0

    @classmethod
    def of_totals(
        cls, scored: int, right: int, report_scored: int, report_right: int
    ) -> StanceRecord:
        """From a stored record: all calls, and the reports among them."""
        return cls(report_scored, report_right, scored - report_scored, right - report_right)

    def of(self, kind: str) -> tuple[int, int]:
        """The (scored, right) of one stance."""
        if kind == REPORT:
            return self.report_scored, self.report_right
        return self.denial_scored, self.denial_right

    @property
    def scored(self) -> int:
        return self.report_scored + self.denial_scored


@dataclass(frozen=True, slots=True)
class Pool:
    """What the ledger's records of one stance say together: the typical source's
    reliability, and how many calls' worth of belief it carries against one source's record."""

    mean: float
    strength: float


def pooled(records: Iterable[tuple[int, int]], default: float, fallback: float) -> Pool:
    """The ledger's pool for one stance from every source's (scored, right): the share right,
    pooled with the default worth YOUNG_LEDGER_CALLS calls, and the fitted strength."""
    counted = [(scored, right) for scored, right in records if scored > 0]
    calls = sum(scored for scored, _ in counted)
    right = sum(r for _, r in counted)
    # Nothing learned: exactly the default, so an unlearned weight is exactly today's.
    mean = (
        (default * YOUNG_LEDGER_CALLS + right) / (YOUNG_LEDGER_CALLS + calls) if calls else default
    )
    return Pool(mean, fitted_strength(counted, fallback))


def fitted_strength(records: list[tuple[int, int]], fallback: float) -> float:
    """The Beta strength (alpha + beta) that makes the sources' records as spread as they
    are, by the method of moments of a beta-binomial: the weighted spread of the hit rates
    beyond what chance alone gives is the intra-class correlation rho = 1 / (strength + 1).
    No spread beyond chance: the strongest; too few sources or calls: the fallback."""
    calls = sum(scored for scored, _ in records)
    if len(records) < FIT_FROM_SOURCES or calls < FIT_FROM_CALLS:
        return fallback
    share = sum(right for _, right in records) / calls
    if share <= 0.0 or share >= 1.0:
        return STRONGEST_FIT  # every call alike: nothing sets one source apart
    # fsum so the answer never depends on the order the records were read in.
    spread = math.fsum(scored * (right / scored - share) ** 2 for scored, right in records)
    squares = math.fsum(float(scored * scored) for scored, _ in records)
    chance = share * (1.0 - share)
    effective = calls - squares / calls
    if effective <= 0.0:
        return fallback  # one source holds every call
    rho = (spread / chance - (len(records) - 1)) / effective
    if rho <= 0.0:
        return STRONGEST_FIT
    return min(STRONGEST_FIT, max(WEAKEST_FIT, 1.0 / rho - 1.0))


def shrunk(prior: float, strength: float, scored: int, right: int) -> float:
    """The mean of a Beta(prior·strength + right, (1 − prior)·strength + wrong)."""
    return (prior * strength + right) / (strength + scored)


@dataclass(frozen=True, slots=True)
class Learning:
    """The ledger's pools of both stances on a day."""

    report: Pool
    denial: Pool

    def of(self, kind: str) -> Pool:
        return self.report if kind == REPORT else self.denial


def learning_of(records: Iterable[StanceRecord], settings: Settings) -> Learning:
    """Both stances' pools from every source's record."""
    every = list(records)
    default, fallback = settings.default_reliability, settings.reliability_prior_strength
    return Learning(
        pooled((r.of(REPORT) for r in every), default, fallback),
        pooled((r.of(DENIAL) for r in every), default, fallback),
    )


def stance_reliability(
    settings: Settings, learning: Learning, key: str, record: StanceRecord, kind: str
) -> float:
    """A source's reliability for one stance: its record of that stance shrunk toward the
    ledger's mean (or toward its configured reliability, if it has one)."""
    pool = learning.of(kind)
    prior = settings.reliabilities.get(key, pool.mean)
    scored, right = record.of(kind)
    return shrunk(prior, pool.strength, scored, right)


def learned(
    settings: Settings,
    records: Mapping[str, StanceRecord],
    only: Iterable[str] | None = None,
) -> Settings:
    """The settings with the ledger's pools and each scored source's per-stance reliability
    (every source's, or only these; the pools always come from every record)."""
    learning = learning_of(records.values(), settings)
    keys = records.keys() if only is None else [k for k in set(only) if k in records]
    reports, denials, calls = dict(settings.reliabilities), {}, {}
    for key in keys:
        record = records[key]
        if not record.scored:
            continue
        reports[key] = stance_reliability(settings, learning, key, record, REPORT)
        denials[key] = stance_reliability(settings, learning, key, record, DENIAL)
        calls[key] = (record.report_scored, record.denial_scored)
    return replace(
        settings,
        reliabilities=reports,
        denial_reliabilities=denials,
        stance_calls=calls,
        report_mean=learning.report.mean,
        denial_mean=learning.denial.mean,
    )


def records_of(calls: Iterable[tuple[str, str, bool]]) -> dict[str, StanceRecord]:
    """Each source's record from its own calls, given as (source key, kind, right), right by
    records.is_right."""
    found: dict[str, list[int]] = {}
    for key, kind, right in calls:
        counts = found.setdefault(key, [0, 0, 0, 0])
        at = 0 if kind == REPORT else 2
        counts[at] += 1
        counts[at + 1] += int(right)
    return {key: StanceRecord(*counts) for key, counts in found.items()}


def is_thin(scored: int) -> bool:
    """Too few calls to say much: shown as "not enough data"."""
    return scored < THIN_RECORD
