"""The sentiment formulas (docs/analytics.md), worked by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from application.sentiment import WEIGHTS, Component, TradedToken, breadth, index_of, momentum, sentiment, social, taker_balance


def components(**values: str) -> list[Component]:
    return [Component(name, Decimal(v), WEIGHTS[name]) for name, v in values.items()]


def test_the_index_is_the_weighted_mean_of_the_components_rounded_half_to_even() -> None:
    # 0.30 × 70 + 0.25 × 40 + 0.25 × 62.5 + 0.20 × 85.71 = 21 + 10 + 15.625 + 17.142 = 63.767 → 63.77
    found = index_of(components(taker_balance="70", breadth="40", momentum="62.5", social="85.71"))
    assert (found.index, found.label) == (Decimal("63.77"), "greed")
    # 0.30 × 0.05 + 0.25 × 0 … = 0.015 → 0.02 (half to even: 1.5 cents up to 2); 0.025 → 0.02 (2.5 down to 2)
    assert index_of(components(taker_balance="0.05", breadth="0", momentum="0", social="0")).index == Decimal("0.02")
    assert index_of(components(taker_balance="0", breadth="0.1", momentum="0", social="0")).index == Decimal("0.02")


@pytest.mark.parametrize(
    ("index", "label"),
    [("0", "extreme_fear"), ("19.99", "extreme_fear"), ("20", "fear"), ("39.99", "fear"), ("40", "neutral"),
     ("59.99", "neutral"), ("60", "greed"), ("79.99", "greed"), ("80", "extreme_greed"), ("100", "extreme_greed")],
)
def test_each_label_starts_at_its_bound(index: str, label: str) -> None:
    every = components(taker_balance=index, breadth=index, momentum=index, social=index)
    assert index_of(every).index == Decimal(index) and index_of(every).label == label


def test_with_no_activity_every_component_is_50_and_the_market_is_neutral() -> None:
    found = sentiment(0, 0, [], 0, 0)
    assert [(c.name, c.value, c.weight) for c in found.components] == [
        ("taker_balance", 50, Decimal("0.30")), ("breadth", 50, Decimal("0.25")),
        ("momentum", 50, Decimal("0.25")), ("social", 50, Decimal("0.20")),
    ]
    assert (found.index, found.label) == (Decimal("50.00"), "neutral")


def test_taker_balance_is_the_share_of_taker_buy_volume() -> None:
    assert taker_balance(3, 1) == Decimal("75.00")
    assert taker_balance(1, 2) == Decimal("33.33")
    assert taker_balance(0, 5) == 0 and taker_balance(5, 0) == 100


def test_breadth_counts_up_tokens_whole_and_flat_ones_half() -> None:
    # up, flat, down, no change known (flat): (1 + 0.5 × 2) / 4
    tokens = [TradedToken(1, 250), TradedToken(1, 0), TradedToken(1, -1), TradedToken(1, None)]
    assert breadth(tokens) == Decimal("50.00")
    assert breadth([TradedToken(1, 1), TradedToken(1, 1), TradedToken(1, -5)]) == Decimal("66.67")


def test_momentum_is_the_volume_weighted_change_scaled_and_clamped() -> None:
    # (3 × +10 % + 1 × −6 %) / 4 = +6 % → 50 + 15 = 65
    assert momentum([TradedToken(3, 1000), TradedToken(1, -600)]) == Decimal("65.00")
    assert momentum([TradedToken(1, 2500)]) == 100  # +25 % would be 112.5
    assert momentum([TradedToken(1, -2001)]) == 0
    assert momentum([TradedToken(0, 1000)]) == 50  # no volume


def test_social_compares_the_last_day_with_the_daily_mean_of_the_week() -> None:
    assert social(1, 7) == Decimal("50.00")  # one follow today, one a day on average
    assert social(2, 2) == Decimal("87.50")  # 2 / (2 + 2/7)
    assert social(0, 7) == 0 and social(0, 0) == 50
