"""Listing a token: a price or a size beyond what an order book can hold is refused before anything is recorded.

An initial price of 10^30 was once listed, and then no view could store it (64-bit columns): every
market read answered 503 from then on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain.shared.money import MAX_PRICE, MAX_QUANTITY
from domain.token.errors import InvalidTokenParameters
from domain.token.token import MarketParameters, Token, default_parameters

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DEFAULTS = default_parameters()


def listing(initial_price: int = 0, parameters: MarketParameters = DEFAULTS) -> Token:
    token = Token(UUID(int=7))
    token.list(
        token_id=UUID(int=8), symbol="ALICE", name="Alice", creator_id=UUID(int=9), creator_address="0x" + "ab" * 32,
        total_supply=10**9, initial_price=initial_price, parameters=parameters, at=T0,
    )
    return token


def test_the_largest_price_and_sizes_are_listed() -> None:
    assert listing(initial_price=MAX_PRICE).listing is not None


@pytest.mark.parametrize(
    ("initial_price", "parameters"),
    [
        (MAX_PRICE + DEFAULTS.tick_size, DEFAULTS),
        (10**30, DEFAULTS),
        (0, MarketParameters(6, MAX_PRICE * 10, DEFAULTS.lot_size, DEFAULTS.lot_size)),
        (0, MarketParameters(6, DEFAULTS.tick_size, MAX_QUANTITY * 10, MAX_QUANTITY * 10)),
        (0, MarketParameters(6, DEFAULTS.tick_size, DEFAULTS.lot_size, MAX_QUANTITY * 10)),
    ],
)
def test_a_price_or_size_past_the_order_books_bounds_is_refused_and_records_nothing(
    initial_price: int, parameters: MarketParameters
) -> None:
    token = Token(UUID(int=7))
    with pytest.raises(InvalidTokenParameters):
        token.list(
            token_id=UUID(int=8), symbol="ALICE", name="Alice", creator_id=UUID(int=9), creator_address="0x" + "ab" * 32,
            total_supply=10**9, initial_price=initial_price, parameters=parameters, at=T0,
        )
    assert token.collect_events() == []
