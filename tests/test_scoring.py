"""Scoring functions on hand-computed cases."""

from __future__ import annotations

import math

import pytest

from rumour_ledger.projections.scoring import accuracy, auc, brier, log_loss, reliability_table


def test_brier_of_a_known_vector():
    assert brier([0.9, 0.2, 0.5], [1, 0, 1]) == pytest.approx((0.01 + 0.04 + 0.25) / 3)


def test_log_loss_of_a_known_vector():
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.5)) / 3
    assert log_loss([0.9, 0.2, 0.5], [1, 0, 1]) == pytest.approx(expected)


def test_log_loss_stays_finite_for_certain_forecasts_that_were_wrong():
    assert log_loss([1.0, 0.0], [0, 1]) == pytest.approx(-math.log(1e-6))


def test_accuracy_at_one_half():
    assert accuracy([0.9, 0.2, 0.5, 0.4], [1, 0, 1, 1]) == 0.75


def test_auc_perfect_inverted_and_with_ties():
    assert auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]) == 1.0
    assert auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]) == 0.0
    # one positive and one negative tied at 0.5 count half: pairs (0.5+,0.5-)=.5, (0.5+,0.1-)=1,
    # (0.7+,0.5-)=1, (0.7+,0.1-)=1 -> 3.5 / 4
    assert auc([0.5, 0.5, 0.1, 0.7], [1, 0, 0, 1]) == pytest.approx(3.5 / 4)
    assert auc([0.3, 0.3, 0.3], [1, 0, 1]) == pytest.approx(0.5)
    assert auc([0.3, 0.4], [1, 1]) is None


def test_reliability_bins_count_mean_and_share():
    table = reliability_table([0.05, 0.15, 0.12, 1.0, 0.95], [0, 1, 0, 1, 1], bins=10)
    assert [b.count for b in table] == [1, 2, 0, 0, 0, 0, 0, 0, 0, 2]
    assert table[1].mean_forecast == pytest.approx(0.135)
    assert table[1].happened == 0.5
    assert table[2].mean_forecast is None
    assert table[9].happened == 1.0


def test_scoring_nothing_is_an_error():
    with pytest.raises(ValueError):
        brier([], [])
    with pytest.raises(ValueError):
        brier([0.5], [1, 0])
