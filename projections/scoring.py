"""Scores for probabilistic forecasts: Brier, log loss, accuracy, AUC and a reliability table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

EPSILON = 1e-6  # keeps log loss finite for forecasts of exactly 0 or 1


def _check(predictions: Sequence[float], outcomes: Sequence[int]) -> None:
    if len(predictions) != len(outcomes):
        raise ValueError("predictions and outcomes differ in length")
    if not predictions:
        raise ValueError("nothing to score")


def brier(predictions: Sequence[float], outcomes: Sequence[int]) -> float:
    """Mean squared distance between forecast and outcome (0 is perfect, 0.25 a coin)."""
    _check(predictions, outcomes)
    return math.fsum((p - y) ** 2 for p, y in zip(predictions, outcomes, strict=True)) / len(
        predictions
    )


def log_loss(predictions: Sequence[float], outcomes: Sequence[int]) -> float:
    """Mean negative log-likelihood of the outcomes, forecasts clipped to [1e-6, 1 - 1e-6]."""
    _check(predictions, outcomes)
    total = 0.0
    for p, y in zip(predictions, outcomes, strict=True):
        p = min(max(p, EPSILON), 1 - EPSILON)
        total -= math.log(p) if y else math.log(1 - p)
    return total / len(predictions)


def accuracy(predictions: Sequence[float], outcomes: Sequence[int], cut: float = 0.5) -> float:
    """Share of outcomes on the side of `cut` their forecast was (a forecast of exactly 0.5
    counts as 'happens')."""
    _check(predictions, outcomes)
    hits = sum((p >= cut) == bool(y) for p, y in zip(predictions, outcomes, strict=True))
    return hits / len(predictions)


def auc(predictions: Sequence[float], outcomes: Sequence[int]) -> float | None:
    """Chance a random positive is ranked above a random negative, ties counting half
    (the Mann-Whitney statistic); None when only one class is present."""
    _check(predictions, outcomes)
    ranked = sorted(zip(predictions, outcomes, strict=True))
    positives = sum(outcomes)
    negatives = len(outcomes) - positives
    if not positives or not negatives:
        return None
    rank_sum = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mean_rank = (i + 1 + j) / 2  # ranks i+1 .. j share their average
        rank_sum += mean_rank * sum(y for _p, y in ranked[i:j])
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


@dataclass(frozen=True, slots=True)
class Bin:
    """Forecasts in [low, high): how many, their mean, and the share that happened."""

    low: float
    high: float
    count: int
    mean_forecast: float | None
    happened: float | None

    def to_dict(self) -> dict[str, object]:
        return {
            "low": self.low,
            "high": self.high,
            "count": self.count,
            "mean_forecast": self.mean_forecast,
            "happened": self.happened,
        }


def reliability_table(
    predictions: Sequence[float], outcomes: Sequence[int], bins: int = 10
) -> list[Bin]:
    """Forecasts binned by value (the last bin includes 1.0) against what happened."""
    _check(predictions, outcomes)
    members: list[list[tuple[float, int]]] = [[] for _ in range(bins)]
    for p, y in zip(predictions, outcomes, strict=True):
        members[min(int(p * bins), bins - 1)].append((p, y))
    table = []
    for index, inside in enumerate(members):
        count = len(inside)
        table.append(
            Bin(
                low=index / bins,
                high=(index + 1) / bins,
                count=count,
                mean_forecast=math.fsum(p for p, _y in inside) / count if count else None,
                happened=sum(y for _p, y in inside) / count if count else None,
            )
        )
    return table


def summary(predictions: Sequence[float], outcomes: Sequence[int]) -> dict[str, object]:
    """Every score at once, as plain data."""
    return {
        "n": len(predictions),
        "brier": brier(predictions, outcomes),
        "log_loss": log_loss(predictions, outcomes),
        "accuracy": accuracy(predictions, outcomes),
        "auc": auc(predictions, outcomes),
        "reliability": [b.to_dict() for b in reliability_table(predictions, outcomes)],
    }
