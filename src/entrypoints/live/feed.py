"""Renders the committed market's updates and snapshots as WebSocket messages (API.md), once each.

An update is rendered once and handed, as the same bytes, to every local
subscriber of its channel through the fan-out: ``<sequence>\\n<JSON
envelope>``, so a subscriber drops what its snapshot already held without
parsing JSON. Snapshots are rendered from the committed market on demand,
with the channel's current sequence, at one instant of the event loop: the
updates that follow a snapshot are exactly those numbered after it.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec

from application.live.follower import MarketFollower
from application.live.market import (
    BookUpdate,
    CommittedMarket,
    OrderUpdate,
    PriceUpdate,
    Ticker,
    TradeTick,
    TradeUpdate,
    Update,
    channel_key,
)
from application.ports import PubSub, Subscription
from entrypoints.http.presenters import book_levels, fill_response, order_response, usd
from entrypoints.http.schemas import FillResponse, LevelResponse, OrderResponse
from entrypoints.http.units import from_units

DEPTH = 50

Channel = Literal["orderbook", "trades", "price", "user_orders"]
CHANNELS: tuple[Channel, ...] = ("orderbook", "trades", "price", "user_orders")


class LevelChangeData(msgspec.Struct):
    side: str
    price: str
    quantity: str


class BookUpdateData(msgspec.Struct):
    levels: list[LevelChangeData]


class BookData(msgspec.Struct):
    bids: list[LevelResponse]
    asks: list[LevelResponse]


class TradeData(msgspec.Struct):
    id: UUID
    price: str
    quantity: str
    taker_side: str
    timestamp: datetime


class PriceData(msgspec.Struct):
    price: str | None
    best_bid: str | None
    best_ask: str | None
    timestamp: datetime | None


class OrderChangeData(msgspec.Struct):
    order: OrderResponse
    fills: list[FillResponse]


class OpenOrdersData(msgspec.Struct):
    orders: list[OrderResponse]


class Envelope(msgspec.Struct, tag_field="type", tag=str.lower):
    channel: str
    token_id: UUID
    sequence: int
    data: Any


class UpdateMessage(Envelope, tag="update"):
    pass


class SnapshotMessage(Envelope, tag="snapshot"):
    pass


_encode = msgspec.json.Encoder().encode


def decode_update(message: bytes) -> tuple[int, bytes]:
    """A published message's sequence and its envelope."""
    sequence, _, envelope = message.partition(b"\n")
    return int(sequence), envelope


class LiveFeed:
    """The committed market's updates for this process's WebSocket subscribers, through a local fan-out."""

    def __init__(self, fanout: PubSub, follower: MarketFollower) -> None:
        self._fanout, self._follower = fanout, follower

    @property
    def market(self) -> CommittedMarket:
        return self._follower.market

    def subscribe(self, key: str, max_queue: int) -> AbstractAsyncContextManager[Subscription]:
        return self._fanout.subscribe([key], max_queue=max_queue)

    async def publish(self, updates: list[Update]) -> None:
        for update in updates:
            key, channel, data = self._render(update)
            envelope = _encode(UpdateMessage(channel, update.token_id, update.sequence, data))
            await self._fanout.publish(key, b"%d\n" % update.sequence + envelope)

    def snapshot(self, channel: Channel, token_id: UUID, user_id: UUID | None = None) -> tuple[int, bytes]:
        """The channel's snapshot envelope now, and its sequence."""
        market = self.market
        key = channel_key(channel, token_id, user_id)
        decimals = market.state.tokens[token_id].decimals
        data: object
        if channel == "orderbook":
            bids, asks = book_levels(market.state.book(token_id), decimals, DEPTH)
            data = BookData(bids, asks)
        elif channel == "trades":
            data = [_trade(t, decimals) for t in market.recent_trades(token_id)]
        elif channel == "price":
            data = _price(market.ticker(token_id))
        else:
            assert user_id is not None
            orders = market.state.open_orders.of_user(user_id, token_id)
            data = OpenOrdersData([order_response(o, decimals) for o in orders])
        sequence = market.sequence(key)
        return sequence, _encode(SnapshotMessage(channel, token_id, sequence, data))

    def _render(self, update: Update) -> tuple[str, str, object]:
        token_id = update.token_id
        decimals = self.market.state.tokens[token_id].decimals
        if isinstance(update, BookUpdate):
            levels = [LevelChangeData(c.side, usd(c.price), from_units(c.quantity, decimals)) for c in update.levels]
            return channel_key("orderbook", token_id), "orderbook", BookUpdateData(levels)
        if isinstance(update, TradeUpdate):
            return channel_key("trades", token_id), "trades", _trade(update.trade, decimals)
        if isinstance(update, PriceUpdate):
            return channel_key("price", token_id), "price", _price(update.ticker)
        assert isinstance(update, OrderUpdate)
        data = OrderChangeData(order_response(update.order, decimals), [fill_response(f, decimals) for f in update.fills])
        return channel_key("user_orders", token_id, update.user_id), "user_orders", data


def _trade(trade: TradeTick, decimals: int) -> TradeData:
    return TradeData(trade.id, usd(trade.price), from_units(trade.quantity, decimals), trade.taker_side, trade.at)


def _price(ticker: Ticker) -> PriceData:
    def money(value: int | None) -> str | None:
        return usd(value) if value else None

    return PriceData(money(ticker.price), money(ticker.best_bid), money(ticker.best_ask), ticker.at)
