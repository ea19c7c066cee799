"""The live market feed: each committed command becomes channel updates, published once, formatted once.

The engine process hears every command's events right after their commit, in
commit order, and turns them at once into WebSocket-ready updates (orderbook
levels, trades, price, the users' orders), numbered per channel and token
(+1 each), and into each channel's latest snapshot, kept here: by the time
the command is answered, a subscriber in this process starts from a snapshot
that holds it. One task then writes the snapshots to the snapshots port
(Redis when configured, for the other server processes) and publishes the
updates through the pub/sub port, in that order, so a subscriber elsewhere
that reads an older snapshot still receives the update after it.

A published message is ``<sequence>\\n<JSON envelope>``: a subscriber filters
by sequence without parsing JSON and sends the envelope as it is.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

import msgspec

from application.ports import LiveSnapshots, PubSub
from application.trading.exchange import Exchange, OrderSnapshot
from domain.orderbook.book import GTC, LIMIT, SELL, Fill, Order, OrderBook
from domain.orderbook.events import MarketOpened, OrderAccepted, OrderClosed, TradeExecuted
from domain.shared.aggregate import DomainEvent
from entrypoints.http.controllers.trading import order_response, usd
from entrypoints.http.schemas import FillResponse
from entrypoints.http.units import from_units

log = logging.getLogger(__name__)

DEPTH = 50
RECENT_TRADES = 50

_encode = msgspec.json.Encoder().encode


def channel_key(channel: str, token_id: UUID, user_id: UUID | None = None) -> str:
    return f"{channel}:{token_id}" if user_id is None else f"{channel}:{token_id}:{user_id}"


def book_levels(book: OrderBook, decimals: int, depth: int = DEPTH) -> dict[str, list[dict[str, object]]]:
    def side(name: str) -> list[dict[str, object]]:
        return [
            {"price": usd(p), "quantity": from_units(q, decimals), "orders": n} for p, q, n in book.depth(name, depth)
        ]

    return {"bids": side("buy"), "asks": side(SELL)}


def price_data(book: OrderBook, last_price: int | None, at: datetime) -> dict[str, object]:
    bid, ask = book.best("buy"), book.best(SELL)
    return {
        "price": usd(last_price) if last_price else None,
        "best_bid": usd(bid) if bid else None,
        "best_ask": usd(ask) if ask else None,
        "timestamp": at.isoformat().replace("+00:00", "Z"),
    }


class FeedPublisher:
    def __init__(self, exchange: Exchange, pubsub: PubSub, snapshots: LiveSnapshots) -> None:
        self._exchange, self._pubsub, self._snapshots = exchange, pubsub, snapshots
        self._queue: asyncio.Queue[tuple[dict[str, tuple[int, bytes]], list[tuple[str, bytes]]]] = asyncio.Queue()
        self._sequences: dict[str, int] = {}
        self._latest: dict[str, tuple[int, bytes]] = {}
        self._latest: dict[str, tuple[int, bytes]] = {}
        self._dirty: dict[str, tuple[int, bytes]] = {}
        self._recent: dict[UUID, deque[dict[str, object]]] = {}
        self._last_price: dict[UUID, int] = {}
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Snapshot every market as it stands, then follow the engine."""
        for token_id in self._exchange.books:
            self._open(token_id)
        dirty, self._dirty = self._dirty, {}
        await self._snapshots.put_many(dirty)
        self._exchange.listen(self._committed)
        self._tasks = [asyncio.create_task(self._publish_forever(), name="feed-publisher")]

    async def close(self) -> None:
        while not self._queue.empty():
            await asyncio.sleep(0.005)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def get(self, key: str) -> tuple[int, bytes] | None:
        """The latest snapshot of a channel: this process has it before any store does."""
        return self._latest.get(key)

    def _committed(self, events: Sequence[DomainEvent]) -> None:
        messages = self._updates(events)
        dirty, self._dirty = self._dirty, {}
        if messages or dirty:
            self._queue.put_nowait((dirty, messages))

    async def _publish_forever(self) -> None:
        while True:
            snapshots, messages = await self._queue.get()
            try:
                await self._snapshots.put_many(snapshots)
                for channel, message in messages:
                    await self._pubsub.publish(channel, message)
            except Exception:  # a feed hiccup must not stop the feed; subscribers see the gap in sequences
                log.exception("live feed could not publish a command's updates")

    def _open(self, token_id: UUID) -> None:
        book = self._exchange.books[token_id]
        decimals = self._exchange.tokens[token_id].decimals
        self._snapshot(channel_key("orderbook", token_id), book_levels(book, decimals))
        self._snapshot(channel_key("trades", token_id), list(self._recent.get(token_id, ())))
        self._snapshot(channel_key("price", token_id), price_data(book, self._last_price.get(token_id), datetime.now(UTC)))

    def _snapshot(self, key: str, data: object) -> None:
        self._latest[key] = self._dirty[key] = (self._sequences.get(key, 0), _encode(data))

    def _update(self, key: str, channel: str, token_id: UUID, data: object) -> tuple[str, bytes]:
        sequence = self._sequences[key] = self._sequences.get(key, 0) + 1
        envelope = {"channel": channel, "token_id": str(token_id), "type": "update", "sequence": sequence, "data": data}
        return key, b"%d\n" % sequence + _encode(envelope)

    def _updates(self, events: Sequence[DomainEvent]) -> list[tuple[str, bytes]]:
        by_token: dict[UUID, list[DomainEvent]] = {}
        for event in events:
            if isinstance(event, OrderAccepted | TradeExecuted | OrderClosed):
                by_token.setdefault(event.originator_id, []).append(event)
            elif isinstance(event, MarketOpened):
                self._open(event.originator_id)
        messages: list[tuple[str, bytes]] = []
        for token_id, token_events in by_token.items():
            messages += self._token_updates(token_id, token_events)
        return messages

    def _token_updates(self, token_id: UUID, events: list[DomainEvent]) -> list[tuple[str, bytes]]:
        book = self._exchange.books[token_id]
        decimals = self._exchange.tokens[token_id].decimals
        levels: dict[tuple[str, int], None] = {}
        orders: dict[UUID, list[Fill]] = {}
        trades: list[dict[str, object]] = []
        at = events[-1].at

        def rested(order: Order | None) -> None:
            if order is not None and order.type == LIMIT and order.time_in_force == GTC:
                levels[(order.side, order.price)] = None

        for event in events:
            if isinstance(event, TradeExecuted):
                maker_side = SELL if event.taker_side == "buy" else "buy"
                levels[(maker_side, event.price)] = None
                rested(book.find(event.taker_order_id))
                for order_id, fee, liquidity in (
                    (event.taker_order_id, event.taker_fee, "taker"),
                    (event.maker_order_id, event.maker_fee, "maker"),
                ):
                    orders.setdefault(order_id, []).append(Fill(event.trade_id, event.price, event.quantity, fee, liquidity))
                trades.append(
                    {
                        "id": str(event.trade_id),
                        "price": usd(event.price),
                        "quantity": from_units(event.quantity, decimals),
                        "taker_side": event.taker_side,
                        "timestamp": event.at.isoformat().replace("+00:00", "Z"),
                    }
                )
                self._last_price[token_id] = event.price
            else:
                assert isinstance(event, OrderAccepted | OrderClosed)
                rested(book.find(event.order_id))
                orders.setdefault(event.order_id, [])

        messages: list[tuple[str, bytes]] = []
        if levels:
            changed = []
            for side, price in levels:
                quantity, _ = book.level(side, price)
                changed.append({"side": side, "price": usd(price), "quantity": from_units(quantity, decimals)})
            key = channel_key("orderbook", token_id)
            messages.append(self._update(key, "orderbook", token_id, {"levels": changed}))
            self._snapshot(key, book_levels(book, decimals))
        if trades:
            key = channel_key("trades", token_id)
            recent = self._recent.setdefault(token_id, deque(maxlen=RECENT_TRADES))
            for trade in trades:
                messages.append(self._update(key, "trades", token_id, trade))
                recent.appendleft(trade)
            self._snapshot(key, list(recent))
        if levels or trades:
            key = channel_key("price", token_id)
            price = price_data(book, self._last_price.get(token_id), at)
            messages.append(self._update(key, "price", token_id, price))
            self._snapshot(key, price)
        for order_id, fills in orders.items():
            order = book.find(order_id)
            if order is None:
                continue
            key = channel_key("user_orders", token_id, order.user_id)
            data = {
                "order": msgspec.to_builtins(order_response(OrderSnapshot.of(order, token_id, book), decimals)),
                "fills": [
                    msgspec.to_builtins(FillResponse(f.trade_id, usd(f.price), from_units(f.quantity, decimals), usd(f.fee), f.liquidity))
                    for f in fills
                ],
            }
            messages.append(self._update(key, "user_orders", token_id, data))
            self._snapshot(key, [])
        return messages


def decode_update(message: bytes) -> tuple[int, bytes]:
    """A published message's sequence and its envelope."""
    sequence, _, envelope = message.partition(b"\n")
    return int(sequence), envelope


def snapshot_envelope(channel: str, token_id: UUID, sequence: int, data: bytes) -> str:
    return '{"channel":%s,"token_id":"%s","type":"snapshot","sequence":%d,"data":%s}' % (
        json.dumps(channel),
        token_id,
        sequence,
        data.decode(),
    )

