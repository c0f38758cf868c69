"""Fold the filtered evidence about one rumoured move into an explained likelihood."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from functools import cached_property, reduce
from typing import NamedTuple

REPORT = "report"
DENIAL = "denial"
CONFIRMATION = "confirmation"
KINDS = (REPORT, DENIAL, CONFIRMATION)

OPEN = "open"
CONFIRMED = "confirmed"
DENIED = "denied"
NOT_HAPPENED = "not_happened"
STATUSES = (OPEN, CONFIRMED, DENIED, NOT_HAPPENED)
# The likelihood of a settled move, whatever its claims say.
_SETTLED = {CONFIRMED: 1.0, NOT_HAPPENED: 0.0}


def _plain(value: object) -> object:
    """Turn a value into JSON-ready data: dates become ISO strings."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, (Contribution, PriorFrom)):
        return value.to_dict()  # with its words
    if is_dataclass(value):
        return _fields_of(value)
    return value


def _fields_of(instance: object) -> dict[str, object]:
    return {f.name: _plain(getattr(instance, f.name)) for f in fields(instance)}


@dataclass(frozen=True, slots=True)
class Move:
    """The rumoured move, by normalised keys; role does not enter the maths."""

    subject_key: str
    from_key: str | None
    to_key: str | None
    role: str  # "player" | "coach" | "executive" | "other"

    def parties(self) -> frozenset[str]:
        """The keys whose own word about this move is first-party."""
        keys = (self.subject_key, self.from_key, self.to_key)
        return frozenset(key for key in keys if key)

    def to_dict(self) -> dict[str, object]:
        return _fields_of(self)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One claim about the move, already filtered and normalised by the caller."""

    claim_id: str
    kind: str  # one of KINDS
    source: str
    source_key: str
    cites: str | None
    cites_key: str | None
    official: bool
    published: date
    position: int

    @property
    def origin_key(self) -> str:
        """The source that originated this claim: whoever it cites, else itself."""
        return self.cites_key or self.source_key

    @property
    def is_relay(self) -> bool:
        return self.origin_key != self.source_key

    def to_dict(self) -> dict[str, object]:
        return _fields_of(self)


@dataclass(frozen=True, slots=True)
class Resolution:
    """An outside fact, dated, that rules the move out."""

    published: date
    reason: str

    def to_dict(self) -> dict[str, object]:
        return _fields_of(self)


WEAKEST_PRIOR_STRENGTH = 0.01


def learned_prior(prior: float, strength: float, happened: int, resolved: int) -> float:
    """The mean of a Beta(prior·strength + happened, (1 − prior)·strength + not happened):
    the configured prior, worth `strength` resolved moves, updated by the ledger's own."""
    if math.isinf(strength) or not resolved:
        return prior
    return (prior * strength + happened) / (strength + resolved)


def _check_probability(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value!r}")


@dataclass(frozen=True)
class Settings:
    """Tunables of the model; docs/likelihood.md gives the reasoning for each."""

    # Mean of the resolved-rumour league's seven papers (25.2%).
    prior: float = 0.25
    half_life_days: float = 60.0
    # The BBC gossip column's "just over one in three" came true.
    default_reliability: float = 0.35
    reliabilities: Mapping[str, float] = field(default_factory=dict)
    # Makes one first-party denial take a typical open rumour to a few percent.
    first_party_weight: float = 6.0
    # How many claims' worth of belief the reliability prior carries against a track record.
    reliability_prior_strength: float = 10.0
    # A report is right if the move is confirmed within this many days of it.
    horizon_days: float = 365.0
    # How far outlets saying the same are discounted (see `concurring_share`): 1 makes n
    # concurring outlets of equal weight count log2(1 + n) times one; 0 counts each fully.
    # 0.5 scored best over all of issue 17's protocols (docs/likelihood.md).
    concurring_discount: float = 0.5
    # How many resolved moves' worth of belief the configured prior carries against the
    # ledger's own outcomes (see `base_rate`); inf keeps the prior as configured.
    prior_strength: float = 100.0
    # The ledger's resolved moves as of the day asked, (happened, resolved): learned from
    # the read models, never configured.
    outcomes: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        _check_probability("prior", self.prior)
        _check_probability("default_reliability", self.default_reliability)
        for key, value in self.reliabilities.items():
            _check_probability(f"reliabilities[{key!r}]", value)
        if not (math.isfinite(self.half_life_days) and self.half_life_days > 0):
            raise ValueError(f"half_life_days must be positive, got {self.half_life_days!r}")
        if not (math.isfinite(self.horizon_days) and self.horizon_days > 0):
            raise ValueError(f"horizon_days must be positive, got {self.horizon_days!r}")
        # Much weaker, and a perfect track record rounds to a reliability of exactly 1.
        strength = self.reliability_prior_strength
        if not (math.isfinite(strength) and strength >= WEAKEST_PRIOR_STRENGTH):
            raise ValueError(
                f"reliability_prior_strength must be at least {WEAKEST_PRIOR_STRENGTH}, "
                f"got {strength!r}"
            )
        discount = self.concurring_discount
        if not (math.isfinite(discount) and discount >= 0):
            raise ValueError(f"concurring_discount must be at least 0, got {discount!r}")
        if not (self.prior_strength >= WEAKEST_PRIOR_STRENGTH):  # (false for NaN too)
            raise ValueError(
                f"prior_strength must be at least {WEAKEST_PRIOR_STRENGTH}, "
                f"got {self.prior_strength!r}"
            )
        happened, resolved = self.outcomes
        if not 0 <= happened <= resolved:
            raise ValueError(f"outcomes must be (happened, resolved), got {self.outcomes!r}")
        # Below 1 a party to the move would count for less than a bystander.
        if not (math.isfinite(self.first_party_weight) and self.first_party_weight >= 1):
            raise ValueError(
                f"first_party_weight must be at least 1, got {self.first_party_weight!r}"
            )

    @cached_property
    def base_rate(self) -> float:
        """The prior in use: the share of the ledger's resolved moves that happened, shrunk
        toward the configured prior as if that were `prior_strength` resolved moves. A
        young ledger starts from the configured prior; a ledger of many outcomes from its
        own."""
        return learned_prior(self.prior, self.prior_strength, *self.outcomes)

    @cached_property
    def unrated_reliability(self) -> float:
        """The reliability of a source with no record and none configured: as far above the
        prior in use as the configured default is above the configured prior, so an
        unknown outlet moves a move's odds by the same factor whatever the ledger's base
        rate (with a learned base rate of 15%, a default of 35% fixed against it would
        make an unknown blog count as much as a record of many right calls)."""
        if self.base_rate == self.prior:
            return self.default_reliability  # exactly, not to the last bit of a round trip
        shift = _logit(self.default_reliability) - _logit(self.prior)
        return _sigmoid(_logit(self.base_rate) + shift)

    def reliability_for(self, source_key: str) -> float:
        """The configured or learned reliability of a source, else the unrated one."""
        found = self.reliabilities.get(source_key)
        return self.unrated_reliability if found is None else found

    def to_dict(self) -> dict[str, object]:
        return _fields_of(self)


@dataclass(frozen=True, slots=True)
class Relay:
    """An outlet that passed on an origin's claims: shown, never counted."""

    source: str
    source_key: str
    claim_ids: tuple[str, ...]
    published: tuple[date, ...]
    kinds: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return _fields_of(self)


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one originating source added to the log-odds, and why."""

    origin: str
    origin_key: str
    kind: str
    published: date
    position: int
    reliability: float
    first_party: bool
    weight: float
    decay: float
    log_odds: float
    points: float
    claim_ids: tuple[str, ...]
    counted_claim_id: str
    via: str | None
    relays: tuple[Relay, ...]
    # The origin is the n-th outlet saying the same (0: not discounted, being the first, a
    # party, or adding nothing), and the share of its weight it counts for.
    concurring: int = 0
    share: float = 1.0

    def to_dict(self) -> dict[str, object]:
        return {**_fields_of(self), "concurring_note": self.concurring_note()}

    def concurring_note(self) -> str | None:
        """The discount in plain words, if any."""
        if self.concurring <= 1:
            return None
        return (
            f"{_ordinal(self.concurring)} strongest outlet saying the same: "
            f"counts {self.share:.2f} of its weight"
        )


@dataclass(frozen=True, slots=True)
class Explanation:
    """The likelihood of a move as of a day, with everything that produced it."""

    move: Move
    likelihood: float
    status: str
    prior: float
    prior_log_odds: float
    log_odds: float
    contributions: tuple[Contribution, ...]
    reports: int
    denials: int
    confirmations: int
    origins: int
    relays: int
    set_aside: int
    counted_after: date | None
    last_claim: date | None
    as_of: date
    resolved_by: str | None
    resolved_on: date | None
    prior_from: PriorFrom | None = None

    def to_dict(self) -> dict[str, object]:
        return _fields_of(self)

    def describe(self) -> str:
        """A few lines of plain text an editor can read top to bottom."""
        lines = [
            f"{self.likelihood:.0%} ({self.status.replace('_', ' ')}) as of "
            f"{self.as_of.isoformat()}, starting from a prior of {self.prior:.0%}"
        ]
        if self.prior_from is not None:
            lines.append(f"  prior: {self.prior_from.describe()}")
        if self.resolved_by:
            lines.append(f"  ended: {self.resolved_by}")
        if self.counted_after:
            lines.append(
                f"  only claims after {self.counted_after.isoformat()} count "
                f"({self.set_aside} set aside)"
            )
        for part in self.contributions:
            party = ", first-party" if part.first_party else ""
            relayed = ", ".join(relay.source for relay in part.relays)
            note = part.concurring_note()
            lines.append(
                f"  {part.points:+.1f} pts  {part.origin} {part.kind} "
                f"{part.published.isoformat()} (reliability {part.reliability:.0%}"
                f"{party}, kept {part.decay:.0%} after decay)"
                + (f"; {note}" if note else "")
                + (f"; relayed by {relayed}" if relayed else "")
            )
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class PriorFrom:
    """Where the prior in use came from: the configured prior, worth `strength` resolved
    moves, and the ledger's own resolved moves as of the day, of which some happened."""

    configured: float
    strength: float
    resolved: int
    happened: int

    @classmethod
    def of(cls, settings: Settings) -> PriorFrom:
        happened, resolved = settings.outcomes
        return cls(settings.prior, settings.prior_strength, resolved, happened)

    def to_dict(self) -> dict[str, object]:
        # JSON has no infinity: a prior kept as configured has no strength to show.
        strength = self.strength if math.isfinite(self.strength) else None
        return {**_fields_of(self), "strength": strength, "note": self.describe()}

    def describe(self) -> str:
        """In words: how much the ledger's own outcomes moved the configured prior."""
        if math.isinf(self.strength):
            return f"as configured ({self.configured:.0%}), set not to learn"
        if not self.resolved:
            return f"as configured ({self.configured:.0%}); no resolved move to learn from yet"
        moves = "move" if self.resolved == 1 else "moves"
        return (
            f"{self.happened:,} of the ledger's {self.resolved:,} resolved {moves} happened, "
            f"weighed with the configured {self.configured:.0%}, "
            f"which counts as {self.strength:g} moves"
        )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _sigmoid(x: float) -> float:
    # Two branches so math.exp never sees a large positive argument.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    small = math.exp(x)
    return small / (1.0 + small)


def _claim_order(claim: Evidence) -> tuple[object, ...]:
    # Every field takes part so the result never depends on the input's order.
    return (
        claim.published,
        claim.position,
        claim.claim_id,
        claim.kind,
        claim.source_key,
        claim.cites_key or "",
        claim.source,
        claim.cites or "",
        claim.official,
    )


def _checked(evidence: Iterable[Evidence], as_of: date) -> list[Evidence]:
    claims = sorted(evidence, key=_claim_order)
    for claim in claims:
        if claim.kind not in KINDS:
            raise ValueError(f"claim {claim.claim_id}: unknown kind {claim.kind!r}")
        # The read model filters by as_of; a later claim would give decay above 1.
        if claim.published > as_of:
            raise ValueError(
                f"claim {claim.claim_id} published {claim.published} after as_of {as_of}"
            )
    return claims


def _ending(resolutions: Iterable[Resolution], as_of: date) -> Resolution | None:
    """The latest resolution known by as_of; later ones have not happened yet."""
    known = [r for r in resolutions if r.published <= as_of]
    return max(known, key=lambda r: (r.published, r.reason), default=None)


def source_weight(reliability: float, prior: float) -> float:
    """Log-odds a claim moves a rumour by: how far the source beats the prior.

    Floored at zero so a weak source's report can never lower the likelihood.
    """
    return max(0.0, _logit(reliability) - _logit(prior))


def concurring_share(n: int, discount: float) -> float:
    """The share of its weight the n-th outlet saying the same about a move counts for.

    Outlets of one stance copy and echo each other, so they are not independent witnesses:
    the n-th counts log2(1 + n) - log2(n) of its weight (1, 0.58, 0.42, 0.32, ...), and n
    of equal weight add up to log2(1 + n) times one. `discount` is the power of that share:
    0 counts every outlet fully."""
    if n <= 1 or discount == 0:
        return 1.0
    return (math.log2(1 + n) - math.log2(n)) ** discount


def concurring(
    said: Iterable[tuple[float, bool, int]], discount: float, half_life_days: float
) -> list[tuple[int, float]]:
    """For counted origins in claim order, given as (weight, first-party, published day's
    ordinal), each one's rank among the outlets saying the same (0 if not ranked) and the
    share of its weight it counts for.

    Ranked: origins that move the figure, by stance (the sign of the weight), strongest
    after decay first (ties: oldest first), so a faded old story never discounts a fresh
    one. Which of two is stronger after decay is the same on every later day, so a board
    ageing a standing ranks as `explain` does. A party to the move speaks for itself and
    is neither ranked nor discounted."""
    said = list(said)
    ranked = sorted(
        (
            (weight > 0, -(math.log2(abs(weight)) + day / half_life_days), index)
            for index, (weight, first_party, day) in enumerate(said)
            if not first_party and weight != 0
        )
    )
    shares = [(0, 1.0)] * len(said)
    seen = {True: 0, False: 0}  # by stance: reports, denials
    for stance, _, index in ranked:
        seen[stance] += 1
        shares[index] = (seen[stance], concurring_share(seen[stance], discount))
    return shares


def discounted(
    said: Iterable[tuple[float, bool, int]], discount: float, half_life_days: float
) -> list[float]:
    """The weights of counted origins in claim order, given as (weight, first-party,
    published day's ordinal), each scaled by its concurring share: what the fold adds up,
    before decay."""
    said = list(said)
    if discount == 0 or len(said) < 2:
        # Nothing to discount, and most moves have one origin: a board ages hundreds of
        # thousands of them, so they skip the ranking.
        return [weight for weight, _, _ in said]
    shares = concurring(said, discount, half_life_days)
    return [weight * share for (weight, _, _), (_, share) in zip(said, shares, strict=True)]


def decay(published: date, as_of: date, half_life_days: float) -> float:
    """The share of a claim's weight left after ageing from published to as_of."""
    return decay_after((as_of - published).days, half_life_days)


def decay_after(days: int, half_life_days: float) -> float:
    """The share of a claim's weight left after ageing this many days."""
    return 0.5 ** (days / half_life_days)


def _relays(relayed: list[Evidence]) -> tuple[Relay, ...]:
    by_outlet: dict[str, list[Evidence]] = {}
    for claim in relayed:
        by_outlet.setdefault(claim.source_key, []).append(claim)
    return tuple(
        Relay(
            source=claims[0].source,
            source_key=key,
            claim_ids=tuple(c.claim_id for c in claims),
            published=tuple(c.published for c in claims),
            kinds=tuple(c.kind for c in claims),
        )
        for key, claims in by_outlet.items()
    )


class Count(NamedTuple):
    """How an origin is counted so far: the claim that counts for it, whether that is the
    origin's own claim, and whether the origin has spoken on the record."""

    claim: Evidence
    own: bool
    on_record: bool


def counted_after(count: Count | None, claim: Evidence) -> Count:
    """An origin's count after one more of its claims, taken in claim order: its latest own
    claim, else the first relay of it. Only the first relay stands in, so later relays can
    never change the count; having spoken on the record about the move makes the source a
    party."""
    if not claim.is_relay:
        was_on_record = count is not None and count.own and count.on_record
        return Count(claim, True, claim.official or was_on_record)
    if count is None:
        return Count(claim, False, claim.official)
    return count


def _contribution(
    parties: frozenset[str],
    origin_key: str,
    claims: list[Evidence],
    as_of: date,
    settings: Settings,
) -> Contribution:
    """Count one origin once: its latest own claim, else the first relay of it."""
    count = reduce(counted_after, claims, None)
    assert count is not None
    counted = count.claim
    own = [c for c in claims if not c.is_relay]
    relayed = [c for c in claims if c.is_relay]
    origin = counted.source if count.own else counted.cites or origin_key
    first_party = count.on_record or origin_key in parties
    reliability = settings.reliability_for(origin_key)
    weight = weight_of(counted.kind, reliability, first_party, settings)
    kept = decay(counted.published, as_of, settings.half_life_days)
    return Contribution(
        origin=origin,
        origin_key=origin_key,
        kind=counted.kind,
        published=counted.published,
        position=counted.position,
        reliability=reliability,
        first_party=first_party,
        weight=weight,
        decay=kept,
        log_odds=weight * kept + 0.0,
        points=0.0,
        claim_ids=tuple(c.claim_id for c in own),
        counted_claim_id=counted.claim_id,
        via=None if count.own else counted.source,
        relays=_relays(relayed),
    )


def weight_of(kind: str, reliability: float, first_party: bool, settings: Settings) -> float:
    """The log-odds a counted claim moves its move by, before decay."""
    magnitude = source_weight(reliability, settings.base_rate)
    if first_party:
        magnitude *= settings.first_party_weight
    # Adding 0.0 turns a zero-weight denial's -0.0 into a plain 0.0.
    return (magnitude if kind == REPORT else -magnitude) + 0.0


def _contribution_order(part: Contribution) -> tuple[date, int, str]:
    return (part.published, part.position, part.origin_key)


def _contributions(
    move: Move, weighed: list[Evidence], as_of: date, settings: Settings
) -> tuple[Contribution, ...]:
    by_origin: dict[str, list[Evidence]] = {}
    for claim in weighed:
        # Confirmations settle the status; they carry no weight of their own.
        if claim.kind != CONFIRMATION:
            by_origin.setdefault(claim.origin_key, []).append(claim)
    parties = move.parties()
    parts = sorted(
        (_contribution(parties, key, claims, as_of, settings) for key, claims in by_origin.items()),
        key=_contribution_order,
    )
    shares = concurring(
        [(p.weight, p.first_party, p.published.toordinal()) for p in parts],
        settings.concurring_discount,
        settings.half_life_days,
    )
    running = _logit(settings.base_rate)
    with_points = []
    for part, (n, share) in zip(parts, shares, strict=True):
        # The same arithmetic as `discounted` then `_aged`, so the fast paths agree exactly.
        log_odds = part.weight * share * part.decay + 0.0
        before = _sigmoid(running)
        running += log_odds
        points = 100.0 * (_sigmoid(running) - before)
        with_points.append(_with_points(part, log_odds, points, n, share))
    return tuple(with_points)


def _with_points(
    p: Contribution, log_odds: float, points: float, concurring: int, share: float
) -> Contribution:
    # As dataclasses.replace, without its generic field walk: this runs once per origin on
    # every day of a timeline.
    return Contribution(
        p.origin,
        p.origin_key,
        p.kind,
        p.published,
        p.position,
        p.reliability,
        p.first_party,
        p.weight,
        p.decay,
        log_odds,
        points,
        p.claim_ids,
        p.counted_claim_id,
        p.via,
        p.relays,
        concurring,
        share,
    )


# A counted claim as the status rule sees it: its order, its kind, whether first-party.
Said = tuple[tuple[date, int, str], str, bool]


def _is_denied(parts: Sequence[Said]) -> bool:
    """The latest first-party word is a denial and no report came after it."""
    first_party = [(order, kind) for order, kind, party in parts if party]
    if not first_party:
        return False
    after, kind = max(first_party)
    if kind != DENIAL:
        return False
    return not any(kind == REPORT and order > after for order, kind, _ in parts)


def _status(
    confirmed: Evidence | None, ending: Resolution | None, parts: Sequence[Said]
) -> tuple[str, str | None, date | None]:
    """A move's status, and what resolved it and when: confirmed by its first confirmation;
    not happened if a rival's confirmation ended it and no report has counted since; else
    denied or open."""
    if confirmed is not None:
        return CONFIRMED, f"confirmed by {confirmed.source}", confirmed.published
    if ending is not None and not any(kind == REPORT for _, kind, _ in parts):
        return NOT_HAPPENED, ending.reason, ending.published
    return (DENIED if _is_denied(parts) else OPEN), None, None


def explain(
    move: Move,
    evidence: Iterable[Evidence],
    as_of: date,
    settings: Settings = Settings(),
    resolutions: Iterable[Resolution] = (),
) -> Explanation:
    """Weigh the evidence about a move as of a date and say how it was weighed."""
    claims = _checked(evidence, as_of)
    ending = _ending(resolutions, as_of)
    cutoff = ending.published if ending else None
    weighed = [c for c in claims if cutoff is None or c.published > cutoff]
    parts = _contributions(move, weighed, as_of, settings)
    prior_log_odds = _logit(settings.base_rate)
    log_odds = prior_log_odds + math.fsum(p.log_odds for p in parts)

    confirmations = [c for c in claims if c.kind == CONFIRMATION]
    said = [(_contribution_order(p), p.kind, p.first_party) for p in parts]
    first = confirmations[0] if confirmations else None
    status, resolved_by, resolved_on = _status(first, ending, said)
    value = _SETTLED.get(status)
    if value is None:
        value = _sigmoid(log_odds)

    return Explanation(
        move=move,
        likelihood=value,
        status=status,
        prior=settings.base_rate,
        prior_log_odds=prior_log_odds,
        log_odds=log_odds,
        contributions=parts,
        reports=sum(c.kind == REPORT for c in claims),
        denials=sum(c.kind == DENIAL for c in claims),
        confirmations=len(confirmations),
        origins=len(parts),
        relays=sum(len(r.claim_ids) for p in parts for r in p.relays),
        set_aside=len(claims) - len(weighed),
        counted_after=cutoff,
        last_claim=claims[-1].published if claims else None,
        as_of=as_of,
        resolved_by=resolved_by,
        resolved_on=resolved_on,
        prior_from=PriorFrom.of(settings),
    )


class DayByDay:
    """A move's likelihood on each day of a stretch, as `explain` would give it that day,
    without weighing every claim again each day: its claims and rivals' confirmations are
    taken in as their days come, each origin's count kept (see `counted_after`), and each
    day ages the counted claims with the reliabilities of that day. A timeline of the most
    spoken-of move (hundreds of claims over a decade of days) asked `explain` on each of
    its claim days and took a second.

    Asked day after day, never back."""

    def __init__(
        self,
        move: Move,
        evidence: Iterable[Evidence],
        settings: Settings,
        resolutions: Iterable[Resolution] = (),
    ) -> None:
        self.claims = _checked(evidence, date.max)
        self.resolutions = sorted(resolutions, key=lambda r: (r.published, r.reason))
        self.parties = move.parties()
        self.settings = settings
        self.prior_log_odds = _logit(settings.base_rate)
        self.counts: dict[str, Count] = {}
        self.weights: dict[str, tuple[float, int]] = {}  # by origin: weight, day counted
        # The counted claims as `_aged` takes them, concurring outlets discounted: worked
        # out again only when a weight changes.
        self.aged: list[tuple[float, int]] | None = None
        self.confirmed: Evidence | None = None
        self.ending: Resolution | None = None
        self.taken = self.ended = 0  # claims and resolutions taken in so far
        self.decays: dict[int, float] = {}  # by days of ageing
        self.status, self.resolved_by, self.resolved_on = _status(None, None, [])

    def take(self, day: date) -> None:
        """Take in the claims published and the rivals confirmed on or before the day."""
        changed = False
        while self.ended < len(self.resolutions) and self.resolutions[self.ended].published <= day:
            # Only claims published after the latest ending are weighed: so far, none.
            self.ending = self.resolutions[self.ended]
            self.ended += 1
            self.counts.clear()
            self.weights.clear()
            changed = True
        cutoff = self.ending.published if self.ending is not None else None
        while self.taken < len(self.claims) and self.claims[self.taken].published <= day:
            claim = self.claims[self.taken]
            self.taken += 1
            changed = True
            if claim.kind == CONFIRMATION:
                # Confirmations settle the status; they carry no weight of their own.
                self.confirmed = self.confirmed or claim
            elif cutoff is None or claim.published > cutoff:
                key = claim.origin_key
                self.counts[key] = counted_after(self.counts.get(key), claim)
                self.weights.pop(key, None)
        if changed:
            self.aged = None
            said = [
                (_order_of(key, count.claim), count.claim.kind, self._first_party(key, count))
                for key, count in self.counts.items()
            ]
            self.status, self.resolved_by, self.resolved_on = _status(
                self.confirmed, self.ending, said
            )

    def rebase(self, settings: Settings) -> None:
        """The ledger's outcomes changed the prior in use: weigh every counted claim again."""
        self.settings = settings
        self.prior_log_odds = _logit(settings.base_rate)
        self.weights.clear()
        self.aged = None

    def reweigh(self, origin_keys: Iterable[str]) -> None:
        """These origins' reliabilities changed: weigh their counted claims again."""
        for key in origin_keys:
            self.weights.pop(key, None)
        self.aged = None

    def likelihood(self, day: date, reliability_for: Callable[[str], float]) -> float:
        """The likelihood on a day on or after the last one taken in, with the origins'
        reliabilities on that day (asked only of origins weighed afresh)."""
        settled = _SETTLED.get(self.status)
        if settled is not None:
            return settled
        weights = self.weights
        for key, count in self.counts.items():
            if key not in weights:
                party = self._first_party(key, count)
                weight = weight_of(count.claim.kind, reliability_for(key), party, self.settings)
                weights[key] = (weight, count.claim.published.toordinal())
                self.aged = None
        if self.aged is None:
            self.aged = self._discounted()
        half_life = self.settings.half_life_days
        return _aged(self.prior_log_odds, self.aged, day.toordinal(), half_life, self.decays)

    def _discounted(self) -> list[tuple[float, int]]:
        """The counted claims in claim order, each weight scaled by its concurring share."""
        # Claim order only breaks ties between outlets equally strong.
        in_order = sorted(self.counts.items(), key=lambda item: _order_of(item[0], item[1].claim))
        said = [(*self.weights[key], self._first_party(key, count)) for key, count in in_order]
        weights = discounted(
            [(weight, party, day) for weight, day, party in said],
            self.settings.concurring_discount,
            self.settings.half_life_days,
        )
        return [
            (weight, self.weights[key][1])
            for weight, (key, _) in zip(weights, in_order, strict=True)
        ]

    def _first_party(self, origin_key: str, count: Count) -> bool:
        return count.on_record or origin_key in self.parties


def _order_of(origin_key: str, claim: Evidence) -> tuple[date, int, str]:
    return (claim.published, claim.position, origin_key)


class Ageing:
    """`aged` for many open or denied moves on one day, each day's decay worked out once:
    a board ages a few hundred thousand moves."""

    def __init__(self, as_of: date, settings: Settings) -> None:
        self.as_of = as_of.toordinal()
        self.half_life = settings.half_life_days
        self.prior_log_odds = _logit(settings.base_rate)
        self.concurring_discount = settings.concurring_discount
        self.decays: dict[int, float] = {}  # by days of ageing

    def likelihood(self, counted: Iterable[tuple[float, int]]) -> float:
        """The likelihood of counted claims given as (weight, published day's ordinal), the
        weights already scaled for concurring outlets (see `discounted`)."""
        return _aged(self.prior_log_odds, counted, self.as_of, self.half_life, self.decays)


def _aged(
    prior_log_odds: float,
    counted: Iterable[tuple[float, int]],
    today: int,
    half_life: float,
    decays: dict[int, float],
) -> float:
    """The likelihood on a day (an ordinal) of counted claims given as (weight, published
    day's ordinal), each age's decay worked out once into `decays`: the same terms as
    `explain`'s, summed exactly, so the two agree to the last bit."""
    log_odds = []
    for weight, published in counted:
        days = today - published
        kept = decays.get(days)
        if kept is None:
            kept = decays[days] = decay_after(days, half_life)
        log_odds.append(weight * kept + 0.0)
    return _sigmoid(prior_log_odds + math.fsum(log_odds))


class Ceiling:
    """The most log-odds a move's counted claims can give it on a day, knowing only how
    many there are at most and the last day one was published: as if each were a
    first-party report by the most reliable source, published on that last day. A board
    cut to its top moves skips those that cannot reach the cut without reading them."""

    def __init__(self, as_of: date, settings: Settings) -> None:
        best = max([settings.unrated_reliability, *settings.reliabilities.values()])
        self.most = source_weight(best, settings.base_rate) * settings.first_party_weight
        self.prior_log_odds = _logit(settings.base_rate)
        self.as_of = as_of.toordinal()
        self.half_life = settings.half_life_days

    def log_odds(self, counted: int, last_day: int) -> float:
        """The ceiling of a move counting at most this many claims (its origins, or its
        reports), the last of them published on this day (an ordinal)."""
        kept = decay_after(self.as_of - last_day, self.half_life)
        return self.prior_log_odds + self.most * counted * kept

    def earliest(self, counted: int, log_odds: float) -> int:
        """A day (an ordinal) before which a move counting at most this many claims cannot
        have last been spoken of and reach these log-odds by the day asked: a day or two
        early, to be safe; after the day asked if no move can reach them."""
        needed = log_odds - self.prior_log_odds
        if needed <= 0:
            return date.min.toordinal()  # the prior alone reaches them
        if self.most * counted <= 0:
            return self.as_of + 1
        days = self.half_life * math.log2(self.most * counted / needed)
        if not math.isfinite(days):
            return date.min.toordinal()  # a half-life too long to tell
        return max(date.min.toordinal(), self.as_of - max(-1, math.ceil(days)) - 1)


def logit(p: float) -> float:
    """The log-odds of a probability."""
    return _logit(p)


def likelihood(
    move: Move,
    evidence: Iterable[Evidence],
    as_of: date,
    settings: Settings = Settings(),
    resolutions: Iterable[Resolution] = (),
) -> float:
    """The probability that the move happens, as of a date."""
    return explain(move, evidence, as_of, settings, resolutions).likelihood
