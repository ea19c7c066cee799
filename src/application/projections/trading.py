"""Trading views: tokens, and each user's orders (open and closed) and fills."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.ports import Recorded, View
from domain.orderbook.events import OrderAccepted, OrderClosed, TradeExecuted
from domain.token.events import TokenListed


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: UUID
    symbol: str
    name: str
    creator_id: UUID
    decimals: int
    total_supply: int
    initial_price: int
    tick_size: int
    lot_size: int
    min_size: int
    listed_at: datetime


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: UUID
    seq: int
    user_id: UUID
    token_id: UUID
    client_order_id: str | None
    side: str
    type: str
    time_in_force: str
    price: int
    quantity: int
    quote_amount: int
    filled: int
    notional: int
    fees: int
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FillRow:
    seq: int
    user_id: UUID
    trade_id: UUID
    order_id: UUID
    token_id: UUID
    side: str
    price: int
    quantity: int
    fee: int
    liquidity: str
    at: datetime


class TokenRows(Protocol):
    async def add(self, row: TokenRow) -> None: ...


class TokensView(View, Protocol):
    def writing(self, expected: int, position: int) -> AbstractAsyncContextManager[TokenRows]: ...

    async def by_id(self, id: UUID) -> TokenRow | None: ...


@dataclass(slots=True)
class OrderProgress:
    """What a batch's trades add to one order."""

    id: UUID
    quantity: int = 0
    notional: int = 0
    fees: int = 0
    at: datetime | None = None


class TradingRows(Protocol):
    """Bulk writes, in this order within a batch: new orders, their progress, closes, fills."""

    async def add_orders(self, rows: Sequence[OrderRow]) -> None: ...

    async def fill_orders(self, progress: Sequence[OrderProgress]) -> None:
        """Add to each order's fills; it is ``filled`` once it has all its quantity, else ``partially_filled``."""
        ...

    async def close_orders(self, closes: Sequence[tuple[UUID, str, datetime]]) -> None: ...

    async def add_fills(self, rows: Sequence[FillRow]) -> None: ...


class TradingView(View, Protocol):
    def writing(self, expected: int, position: int) -> AbstractAsyncContextManager[TradingRows]: ...

    async def order(self, id: UUID) -> OrderRow | None: ...

    async def orders(
        self, user_id: UUID, status: str, token_id: UUID | None, limit: int, before_seq: int | None
    ) -> list[OrderRow]:
        """The user's orders, newest first; ``status`` is ``open``, ``closed`` or ``all``."""
        ...

    async def fills(self, user_id: UUID, token_id: UUID | None, limit: int, before_seq: int | None) -> list[FillRow]: ...


class TokensProjector:
    def __init__(self, view: TokensView) -> None:
        self.view = view

    async def project(self, batch: Sequence[Recorded], expected: int) -> None:
        async with self.view.writing(expected, batch[-1].position) as rows:
            for recorded in batch:
                if isinstance(e := recorded.event, TokenListed):
                    await rows.add(
                        TokenRow(
                            e.token_id, e.symbol, e.name, e.creator_id, e.decimals, e.total_supply,
                            e.initial_price, e.tick_size, e.lot_size, e.min_size, e.at,
                        )
                    )


class TradingProjector:
    """Gathers a batch into a few bulk statements: an order's trades within a batch become one update."""

    def __init__(self, view: TradingView) -> None:
        self.view = view

    async def project(self, batch: Sequence[Recorded], expected: int) -> None:
        new: list[OrderRow] = []
        progress: dict[UUID, OrderProgress] = {}
        closes: list[tuple[UUID, str, datetime]] = []
        fills: list[FillRow] = []

        def count(order_id: UUID, e: TradeExecuted, fee: int) -> None:
            p = progress.get(order_id)
            if p is None:
                p = progress[order_id] = OrderProgress(order_id)
            p.quantity += e.quantity
            p.notional += e.notional
            p.fees += fee
            p.at = e.at

        for recorded in batch:
            match recorded.event:
                case OrderAccepted() as e:
                    new.append(
                        OrderRow(
                            e.order_id, recorded.position, e.user_id, e.originator_id, e.client_order_id, e.side,
                            e.type, e.time_in_force, e.price, e.quantity, e.quote_amount, 0, 0, 0, "open", e.at, e.at,
                        )
                    )
                case TradeExecuted() as e:
                    count(e.taker_order_id, e, e.taker_fee)
                    count(e.maker_order_id, e, e.maker_fee)
                    maker_side = "sell" if e.taker_side == "buy" else "buy"
                    fills.append(
                        FillRow(recorded.position, e.taker_user_id, e.trade_id, e.taker_order_id, e.originator_id,
                                e.taker_side, e.price, e.quantity, e.taker_fee, "taker", e.at)
                    )
                    fills.append(
                        FillRow(recorded.position, e.maker_user_id, e.trade_id, e.maker_order_id, e.originator_id,
                                maker_side, e.price, e.quantity, e.maker_fee, "maker", e.at)
                    )
                case OrderClosed() as e:
                    closes.append((e.order_id, e.status, e.at))
        async with self.view.writing(expected, batch[-1].position) as rows:
            if new:
                await rows.add_orders(new)
            if progress:
                await rows.fill_orders(list(progress.values()))
            if closes:
                await rows.close_orders(closes)
            if fills:
                await rows.add_fills(fills)
