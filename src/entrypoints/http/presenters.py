"""How the engine's integers and the committed market are shown: decimal strings, orders, fills, book levels.

Controllers and the live feed both present through here, so an order or a
level looks the same over HTTP and over the WebSocket.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.queries import Ticker
from application.projections.depth import DepthSnapshot
from domain.orderbook.book import OrderBook
from domain.orderbook.order import BUY, SELL, Fill
from domain.shared.errors import DomainError
from domain.shared.money import MICRO, USD_DECIMALS
from entrypoints.http.errors import Problem
from entrypoints.http.schemas import DepthSnapshotResponse, FillResponse, LevelResponse, OrderResponse
from entrypoints.http.units import NotADecimal, from_units, ratio, to_units


def units(text: str | None, decimals: int, error: type[DomainError]) -> int:
    """A decimal string in units; not a decimal is a validation error, off its step the rule's error."""
    if text is None:
        return 0
    try:
        return to_units(text, decimals)
    except NotADecimal as problem:
        raise Problem(422, "validation_error", str(problem)) from None
    except ValueError as problem:
        raise error(str(problem)) from None


def usd(value: int) -> str:
    return from_units(value, USD_DECIMALS)


class OrderLike(Protocol):
    id: UUID
    client_order_id: str | None
    token_id: UUID
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


def order_response(order: OrderLike, decimals: int) -> OrderResponse:
    scale = 10**decimals
    return OrderResponse(
        id=order.id,
        client_order_id=order.client_order_id,
        token_id=order.token_id,
        side=order.side,
        type=order.type,
        price=usd(order.price) if order.price else None,
        quantity=from_units(order.quantity, decimals) if order.quantity else None,
        quote_amount=usd(order.quote_amount) if order.quote_amount else None,
        filled_quantity=from_units(order.filled, decimals),
        remaining_quantity=from_units(max(order.quantity - order.filled, 0), decimals),
        average_price=ratio(order.notional * scale, order.filled * MICRO, USD_DECIMALS) if order.filled else None,
        fees_paid=usd(order.fees),
        time_in_force=order.time_in_force,
        status=order.status,
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


def fill_response(fill: Fill, decimals: int) -> FillResponse:
    return FillResponse(fill.trade_id, usd(fill.price), from_units(fill.quantity, decimals), usd(fill.fee), fill.liquidity)


def book_levels(book: OrderBook, decimals: int, depth: int) -> tuple[list[LevelResponse], list[LevelResponse]]:
    """Bids high to low, asks low to high, ``depth`` levels each."""
    return levels(book.depth(BUY, depth), decimals), levels(book.depth(SELL, depth), decimals)


def levels(depth: list[tuple[int, int, int]], decimals: int) -> list[LevelResponse]:
    """``(price, quantity, orders)`` levels as ``GET /orderbook`` shows them."""
    return [LevelResponse(usd(p), from_units(q, decimals), n) for p, q, n in depth]


def depth_snapshot(snapshot: DepthSnapshot, decimals: int) -> DepthSnapshotResponse:
    return DepthSnapshotResponse(snapshot.t, snapshot.sequence, levels(snapshot.bids, decimals), levels(snapshot.asks, decimals))


def change_24h(ticker: Ticker) -> str | None:
    """The 24-hour change in percent, two decimals; None without both prices."""
    change = ticker.change_24h
    return from_units(change, 2) if change is not None else None


def market_cap(ticker: Ticker, circulating: int, decimals: int) -> str | None:
    """``price * circulating_supply`` in USD."""
    cap = ticker.market_cap(circulating, decimals)
    return usd(cap) if cap is not None else None
