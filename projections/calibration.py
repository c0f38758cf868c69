"""How right the board's likelihoods were: each resolved rumour scored at moments before it
resolved, exactly as the board stood on those days, against two baselines."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection

from rumour_ledger.ledger.errors import InvalidClaim
from rumour_ledger.projections import records as track
from rumour_ledger.projections import reliability
from rumour_ledger.projections.board import Weighing, weigh, weigh_every_move
from rumour_ledger.projections.evidence import Moment, Rumoured
from rumour_ledger.projections.likelihood import Settings
from rumour_ledger.projections.scoring import summary

OFFSETS = (90, 30, 7, 1)
# A century before a resolution: further back, the day may not exist in the calendar.
LONGEST_HORIZON_DAYS = 36_525


def check_horizons(offsets: tuple[int, ...]) -> tuple[int, ...]:
    """Days before resolution to read the board at: 1 or more, at most a century."""
    if not offsets or min(offsets) < 1:
        raise InvalidClaim("horizon", "days before resolution must be 1 or more")
    if max(offsets) > LONGEST_HORIZON_DAYS:
        raise InvalidClaim(
            "horizon", f"days before resolution must be at most {LONGEST_HORIZON_DAYS:,}"
        )
    return offsets


@dataclass(frozen=True, slots=True)
class Forecast:
    """What the board said about a resolved rumour some days before it resolved."""

    label: str
    days_before: int
    day: date
    model: float
    prior: float
    majority: float
    happened: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "rumour": self.label,
            "days_before": self.days_before,
            "date": self.day.isoformat(),
            "model": self.model,
            "prior": self.prior,
            "majority_stance": self.majority,
            "happened": bool(self.happened),
        }


def forecasts(
    conn: Connection, moment: Moment, settings: Settings, offsets: tuple[int, ...] = OFFSETS
) -> list[Forecast]:
    """Every resolved rumour, at each offset before its resolution on which it was on the
    board (at least one claim published by then)."""
    check_horizons(offsets)
    final = weigh_every_move(conn, moment, settings)
    wanted: dict[date, list[tuple[Any, track.Outcome, int]]] = {}
    for key, move in final.found.moves.items():
        evidence = final.evidence.get(key, [])
        result = track.outcome(move, evidence, final.rivals, moment.as_of) if evidence else None
        if result is None:
            continue
        first = min(e.published for e in evidence)
        for offset in offsets:
            day = result.resolved_on - timedelta(days=offset)
            if first <= day:
                wanted.setdefault(day, []).append((move, result, offset))
    made = []
    for day in sorted(wanted):
        then = _then(conn, final, day, [move for move, _, _ in wanted[day]], settings)
        for move, result, offset in wanted[day]:
            made.append(_forecast(then, move.key, move.ref.label, result, offset, day))
    return made


def _then(
    conn: Connection, final: Weighing, day: date, moves: list[Rumoured], settings: Settings
) -> Weighing:
    """The board as it stood on a day, as far as these moves go: their claims published by
    then (`Weighing.explain` keeps those) with their sources' records as of that day, read
    from the calls model. As known at a past recording time, the whole ledger is weighed
    again for the day."""
    moment = Moment(day, final.moment.known_at)
    if moment.known_at is not None:
        return weigh(conn, moment, settings)
    origins = {
        e.origin_key
        for move in moves
        for e in final.evidence.get(move.key, [])
        if e.published <= day
    }
    learned = reliability.learned_on(conn, day, settings, origins)
    return replace(final, moment=moment, settings=learned)


def _forecast(
    then: Weighing,
    key: Any,
    label: str,
    result: track.Outcome,
    offset: int,
    day: date,
) -> Forecast:
    explained = then.explain(then.found.moves[key])
    stances = explained.reports + explained.denials
    # The prior baseline is the prior in use that day: learned from the outcomes by then.
    prior = then.settings.base_rate
    majority = explained.reports / stances if stances else prior
    return Forecast(
        label=label,
        days_before=offset,
        day=day,
        model=explained.likelihood,
        prior=prior,
        majority=majority,
        happened=int(result.happened),
    )


def score(made: list[Forecast]) -> dict[str, Any]:
    """The model and both baselines, overall and for each offset."""
    if not made:
        return {"rumours": 0, "forecasts": 0, "model": None, "baselines": None, "by_offset": {}}
    outcomes = [f.happened for f in made]
    by_offset = {}
    for offset in sorted({f.days_before for f in made}, reverse=True):
        subset = [f for f in made if f.days_before == offset]
        ys = [f.happened for f in subset]
        by_offset[str(offset)] = {
            "n": len(subset),
            "model_brier": summary([f.model for f in subset], ys)["brier"],
            "prior_brier": summary([f.prior for f in subset], ys)["brier"],
            "majority_stance_brier": summary([f.majority for f in subset], ys)["brier"],
        }
    return {
        "rumours": len({f.label for f in made}),
        "forecasts": len(made),
        "model": summary([f.model for f in made], outcomes),
        "baselines": {
            "prior": summary([f.prior for f in made], outcomes),
            "majority_stance": summary([f.majority for f in made], outcomes),
        },
        "by_offset": by_offset,
    }
