"""Renders the committed market's updates and snapshots as WebSocket messages (API.md), once each.

An update is rendered (and framed) once, and only if some connection of this
process follows its channel, then handed as the same object to every
follower: a follower drops what its snapshot already held by the update's
sequence, without parsing JSON. Once a batch of updates is handed out, each
connection that got any is flushed once (one write). Snapshots are rendered
from the committed market on demand, with the channel's current sequence, at
one instant of the event loop: the updates that follow a snapshot are
exactly those numbered after it. The last snapshot of each public channel
is kept for as long as its sequence holds, so a crowd subscribing at once, or many
slow clients being caught up, costs one rendering.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol
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
from entrypoints.http.presenters import book_levels, fill_response, order_response, usd
from entrypoints.http.schemas import FillResponse, LevelResponse, OrderResponse
from entrypoints.http.units import from_units
from entrypoints.http.wsprotocol import OutgoingMessage

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


class Follower(Protocol):
    """One connection's subscription to one channel key."""

    key: str

    def deliver(self, message: OutgoingMessage) -> None:
        """Take one update (never blocks; a follower that cannot keep up coalesces or gives up by itself)."""

    def flush(self) -> None:
        """The batch handed out is complete: write what is waiting."""


class LiveFeed:
    """The committed market's updates for this process's WebSocket connections."""

    def __init__(self, follower: MarketFollower) -> None:
        self._follower = follower
        self._followers: dict[str, set[Follower]] = {}
        self._snapshots: dict[str, tuple[CommittedMarket, int, bytes]] = {}

    @property
    def market(self) -> CommittedMarket:
        return self._follower.market

    def follow(self, follower: Follower) -> None:
        self._followers.setdefault(follower.key, set()).add(follower)

    def unfollow(self, follower: Follower) -> None:
        followers = self._followers.get(follower.key)
        if followers is not None:
            followers.discard(follower)
            if not followers:
                del self._followers[follower.key]

    async def publish(self, updates: list[Update]) -> None:
        touched: dict[Follower, None] = {}
        for update in updates:
            key = _key(update)
            followers = self._followers.get(key)
            if not followers:
                continue
            channel, data = self._render(update)
            envelope = _encode(UpdateMessage(channel, update.token_id, update.sequence, data))
            message = OutgoingMessage(envelope, key, update.sequence)
            for follower in tuple(followers):
                follower.deliver(message)
                touched[follower] = None
        for follower in touched:
            follower.flush()

    def snapshot(self, channel: Channel, token_id: UUID, user_id: UUID | None = None) -> tuple[int, bytes]:
        """The channel's snapshot envelope now, and its sequence."""
        market = self.market
        key = channel_key(channel, token_id, user_id)
        kept = self._snapshots.get(key)
        if kept is not None and kept[0] is market and kept[1] == market.sequence(key):
            return kept[1], kept[2]
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
        envelope = _encode(SnapshotMessage(channel, token_id, sequence, data))
        if user_id is None:  # a public channel's, shared by its crowd; one user's own orders are not kept
            self._snapshots[key] = (market, sequence, envelope)
        return sequence, envelope

    def _render(self, update: Update) -> tuple[str, object]:
        token_id = update.token_id
        decimals = self.market.state.tokens[token_id].decimals
        if isinstance(update, BookUpdate):
            levels = [LevelChangeData(c.side, usd(c.price), from_units(c.quantity, decimals)) for c in update.levels]
            return "orderbook", BookUpdateData(levels)
        if isinstance(update, TradeUpdate):
            return "trades", _trade(update.trade, decimals)
        if isinstance(update, PriceUpdate):
            return "price", _price(update.ticker)
        assert isinstance(update, OrderUpdate)
        return "user_orders", OrderChangeData(
            order_response(update.order, decimals), [fill_response(f, decimals) for f in update.fills]
        )


def _key(update: Update) -> str:
    if isinstance(update, BookUpdate):
        return channel_key("orderbook", update.token_id)
    if isinstance(update, TradeUpdate):
        return channel_key("trades", update.token_id)
    if isinstance(update, PriceUpdate):
        return channel_key("price", update.token_id)
    assert isinstance(update, OrderUpdate)
    return channel_key("user_orders", update.token_id, update.user_id)


def _trade(trade: TradeTick, decimals: int) -> TradeData:
    return TradeData(trade.id, usd(trade.price), from_units(trade.quantity, decimals), trade.taker_side, trade.at)


def _price(ticker: Ticker) -> PriceData:
    def money(value: int | None) -> str | None:
        return usd(value) if value else None

    return PriceData(money(ticker.price), money(ticker.best_bid), money(ticker.best_ask), ticker.at)
