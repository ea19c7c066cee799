"""The portfolio view: per user and asset, what they own, what it cost and what it earned, and its history.

PORTFOLIO.md's cost-basis rule, in integers: per user and token the view
keeps ``quantity`` (base units, available + held) and ``cost_basis``
(micro-USD). A buy fill adds its quantity and ``notional + buyer's fee``; a
sell of ``q`` out of ``Q`` removes ``round_half_even(cost_basis * q / Q)``
and realises ``(notional - seller's fee) - removed``; tokens that arrive
without a trade come at cost 0; tokens that leave without one (a transfer
out with its fee, a completed withdrawal with its network fee) remove cost
like a sell, in one step, and realise nothing. USD is a row of its own: its
quantity is the user's cash total, and it sums the USD fees they paid.

Each batch reads the rows it touches once, applies its events in log order
in memory, and writes those rows back: O(1) per affected row, never a
rescan. Balance history keeps, per user, asset and interval (1h, 1d), the
quantity at the end of each interval in which it changed; a read fills the
intervals between from the last one before (see PortfolioQueries). And each
user's withdrawals with their status.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.ports import Recorded, View
from application.projections.market import bucket_of
from domain.account.events import (
    Deposited,
    SupplyIssued,
    Transferred,
    WithdrawalCancelled,
    WithdrawalCompleted,
    WithdrawalFailed,
    WithdrawalRequested,
)
from domain.account.ledger import FEE_ACCOUNT
from domain.orderbook.events import TradeExecuted
from domain.shared.money import USD

HISTORY_INTERVALS = {"1h": 3600, "1d": 86400}

PositionKey = tuple[UUID, str]  # user, asset ("USD" or a token id)


def round_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator to the nearest integer, a tie to the even one (numerator >= 0, denominator > 0)."""
    quotient, remainder = divmod(numerator, denominator)
    if remainder * 2 > denominator or (remainder * 2 == denominator and quotient % 2):
        quotient += 1
    return quotient


@dataclass(slots=True)
class Position:
    user_id: UUID
    asset: str
    quantity: int = 0  # base units of the token, or the USD total in micro-units
    cost_basis: int = 0  # micro-USD; 0 on the USD row
    realized_pnl: int = 0
    invested: int = 0  # what buys cost, fees included
    returned: int = 0  # what sells brought, fees taken off
    fees_paid: int = 0  # USD fees (USD row only): trading fees, transfer and withdrawal fees paid in USD
    trades: int = 0
    first_trade_at: datetime | None = None
    last_trade_at: datetime | None = None

    def buy(self, quantity: int, cost: int, at: datetime) -> None:
        self.quantity += quantity
        self.cost_basis += cost
        self.invested += cost
        self._traded(at)

    def sell(self, quantity: int, proceeds: int, at: datetime) -> None:
        self.realized_pnl += proceeds - self.remove(quantity)
        self.returned += proceeds
        self._traded(at)

    def add(self, quantity: int) -> None:
        """Arrived without a trade (a deposit, the listing supply, a transfer in): at cost 0."""
        self.quantity += quantity

    def remove(self, quantity: int) -> int:
        """Left with or without a trade: the cost it takes with it, in one rounding."""
        removed = self.cost_basis if quantity >= self.quantity else round_half_even(self.cost_basis * quantity, self.quantity)
        self.cost_basis -= removed
        self.quantity -= quantity
        return removed

    def _traded(self, at: datetime) -> None:
        self.trades += 1
        self.first_trade_at = self.first_trade_at or at
        self.last_trade_at = at


@dataclass(frozen=True, slots=True)
class BalancePoint:
    user_id: UUID
    asset: str
    interval: str
    start: datetime  # the interval's start; the point is its end
    quantity: int  # the asset's total at the end of the interval


@dataclass(frozen=True, slots=True)
class WithdrawalRow:
    id: UUID
    user_id: UUID
    asset: str
    amount: int
    network_fee: int
    to_address: str
    status: str
    digest: str | None
    created_at: datetime
    updated_at: datetime


class PortfolioRows(Protocol):
    async def positions(self, keys: Iterable[PositionKey]) -> list[Position]:
        """The stored rows of these keys (missing ones are simply absent)."""
        ...

    async def save_positions(self, rows: Sequence[Position]) -> None: ...

    async def save_points(self, rows: Sequence[BalancePoint]) -> None:
        """Each point replaces the stored one of its user, asset, interval and start."""
        ...

    async def add_withdrawals(self, rows: Sequence[WithdrawalRow]) -> None: ...

    async def end_withdrawals(self, outcomes: Sequence[tuple[UUID, str, str | None, datetime]]) -> None:
        """Each (id, status, digest, at): the withdrawal ended so."""
        ...


class PortfolioView(View, Protocol):
    def writing(self, expected: int, position: int) -> AbstractAsyncContextManager[PortfolioRows]: ...

    async def holdings(self, user_id: UUID) -> tuple[int, list[Position]]:
        """The view's position and every row of the user, read together."""
        ...

    async def points(self, user_id: UUID, interval: str, start: datetime, end: datetime) -> list[BalancePoint]:
        """The user's points with ``start <= point.start < end``, and for each asset the last one before
        ``start`` (the quantities the range starts from); oldest first."""
        ...

    async def withdrawals(
        self, user_id: UUID, limit: int, after: tuple[datetime, UUID] | None
    ) -> list[WithdrawalRow]:
        """The user's withdrawals, newest first; ``after`` is the (created_at, id) of the previous page's last."""
        ...


def _keys(event: object) -> list[PositionKey]:
    match event:
        case TradeExecuted() as e:
            token = str(e.originator_id)
            users = (e.taker_user_id, e.maker_user_id)
            return [(u, a) for u in users for a in (token, USD)] + [(FEE_ACCOUNT, USD)]
        case Deposited() | SupplyIssued() as e:
            return [(e.owner, e.asset)]
        case Transferred() as e:
            return [(e.sender, e.asset), (e.recipient, e.asset), (FEE_ACCOUNT, e.asset)]
        case WithdrawalCompleted() as e:
            return [(e.owner, e.asset), (FEE_ACCOUNT, e.asset)]
    return []


class PortfolioProjector:
    def __init__(self, view: PortfolioView) -> None:
        self.view = view

    async def project(self, batch: Sequence[Recorded], expected: int) -> None:
        touched = {key: None for recorded in batch for key in _keys(recorded.event)}
        requested = [_withdrawal(r.event) for r in batch if isinstance(r.event, WithdrawalRequested)]
        ended = [_ended(r.event) for r in batch if isinstance(r.event, WithdrawalEnded)]
        async with self.view.writing(expected, batch[-1].position) as rows:
            if requested:
                await rows.add_withdrawals(requested)
            if ended:
                await rows.end_withdrawals(ended)
            if not touched:
                return
            found: dict[PositionKey, Position] = {(p.user_id, p.asset): p for p in await rows.positions(touched)}
            points: dict[tuple[UUID, str, str, datetime], int] = {}

            def row(user: UUID, asset: str, at: datetime) -> Position:
                position = found.get((user, asset))
                if position is None:
                    position = found[(user, asset)] = Position(user, asset)
                changed.append((position, at))
                return position

            for recorded in batch:
                changed: list[tuple[Position, datetime]] = []
                _apply(recorded.event, row)
                for position, at in changed:
                    for name, seconds in HISTORY_INTERVALS.items():
                        points[(position.user_id, position.asset, name, bucket_of(at, seconds))] = position.quantity
            await rows.save_positions([found[key] for key in touched if key in found])
            await rows.save_points([BalancePoint(u, a, i, s, q) for (u, a, i, s), q in points.items()])


class _Row(Protocol):
    def __call__(self, user: UUID, asset: str, at: datetime) -> Position: ...


def _apply(event: object, row: _Row) -> None:
    match event:
        case TradeExecuted() as e:
            token, at = str(e.originator_id), e.at
            buyer, seller, buyer_fee, seller_fee = e.sides()
            row(buyer, token, at).buy(e.quantity, e.notional + buyer_fee, at)
            _pay(row(buyer, USD, at), e.notional + buyer_fee, buyer_fee)
            row(seller, token, at).sell(e.quantity, e.notional - seller_fee, at)
            _pay(row(seller, USD, at), seller_fee - e.notional, seller_fee)
            row(FEE_ACCOUNT, USD, at).add(buyer_fee + seller_fee)
        case Deposited() | SupplyIssued() as e:
            row(e.owner, e.asset, e.at).add(e.amount)
        case Transferred() as e:
            _leave(row(e.sender, e.asset, e.at), e.amount + e.fee, e.fee)
            row(e.recipient, e.asset, e.at).add(e.amount)
            row(FEE_ACCOUNT, e.asset, e.at).add(e.fee)
        case WithdrawalCompleted() as e:
            _leave(row(e.owner, e.asset, e.at), e.amount + e.network_fee, e.network_fee)
            row(FEE_ACCOUNT, e.asset, e.at).add(e.network_fee)


WithdrawalEnded = WithdrawalCancelled | WithdrawalCompleted | WithdrawalFailed
_ENDED_AS = {WithdrawalCancelled: "cancelled", WithdrawalCompleted: "completed", WithdrawalFailed: "failed"}


def _withdrawal(e: WithdrawalRequested) -> WithdrawalRow:
    return WithdrawalRow(
        e.originator_id, e.owner, e.asset, e.amount, e.network_fee, e.to_address, "pending", None, e.at, e.at
    )


def _ended(e: WithdrawalEnded) -> tuple[UUID, str, str | None, datetime]:
    return e.originator_id, _ENDED_AS[type(e)], getattr(e, "digest", None), e.at


def _pay(cash: Position, amount: int, fee: int) -> None:
    """USD out (``amount`` < 0 is money in), of which ``fee`` was a fee the user paid."""
    cash.quantity -= amount
    cash.fees_paid += fee


def _leave(position: Position, quantity: int, fee: int) -> None:
    """An asset leaving without a trade, its fee included; a USD fee counts among the fees paid."""
    if position.asset == USD:
        _pay(position, quantity, fee)
    else:
        position.remove(quantity)


def value_of(price: int | None, quantity: int, decimals: int) -> int:
    """``round_half_even(price * quantity)`` in micro-USD, ``price`` per whole token; 0 without a price."""
    if price is None or quantity <= 0:
        return 0
    return round_half_even(price * quantity, 10**decimals)
