"""PORTFOLIO.md's cost-basis rule on one position: ties round to even, a whole sale takes the whole cost."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from application.projections.portfolio import Position, round_half_even, value_of

T0 = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.mark.parametrize(("n", "d", "expected"), [(3, 2, 2), (5, 2, 2), (7, 2, 4), (1, 3, 0), (2, 3, 1), (10, 5, 2), (0, 7, 0)])
def test_round_half_even(n: int, d: int, expected: int) -> None:
    assert round_half_even(n, d) == expected


def test_a_sale_removes_its_share_of_cost_rounded_half_even_and_realises_proceeds_less_that_share() -> None:
    p = Position(UUID(int=1), "T")
    p.buy(2, 5, T0)  # two units for 5 micro-USD
    p.sell(1, 10, T0)  # removes round(5 * 1 / 2 = 2.5) = 2
    assert (p.quantity, p.cost_basis, p.realized_pnl, p.invested, p.returned, p.trades) == (1, 3, 8, 5, 10, 2)
    p.sell(1, 1, T0)  # the last unit takes all that is left
    assert (p.quantity, p.cost_basis, p.realized_pnl) == (0, 0, 6)
    p.add(4)  # arrived without a trade: cost 0
    assert (p.quantity, p.cost_basis, p.trades) == (4, 0, 3)


def test_a_value_is_price_times_quantity_rounded_half_even_and_zero_without_a_price() -> None:
    assert value_of(2_500_000, 3, 6) == 8  # 7.5 micro-USD -> 8
    assert value_of(1_500_000, 3, 6) == 4  # 4.5 -> 4
    assert value_of(None, 10**6, 6) == 0
