"""The committed market: books, balances and the live feed's state, built from stored events only.

Every server process keeps one and brings it forward by reading the log
(the engine's process is woken by its own commits, others poll), so it never
holds anything a crash could take back, and reads never see the engine's
state while it decides or recovers.

Updates and their sequences are a function of the log alone. The log is cut
into steps: a placement (its acceptance and everything it caused), one
cancel by a user, or one event outside the markets. A step is applied whole
and then compared with the state before it: an ``orderbook`` update names
the levels whose total changed (a level that appeared and went within a
placement is not named), ``trades`` has one update per trade, ``price`` one
when last price, best bid or best ask changed, ``user_orders`` one per order
of the user that the step touched. Each channel of each token (and user)
counts its updates +1, so every process that reads the same log numbers the
same updates the same way, and a snapshot carries the counters across a
restart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from application.trading.state import MarketState, MarketStateSnapshot
from domain.orderbook.book import OrderBook
from domain.orderbook.events import OrderAccepted, OrderClosed, TradeExecuted
from domain.orderbook.order import BUY, GTC, LIMIT, SELL, Fill, Liquidity, Order, OrderState
from domain.shared.aggregate import DomainEvent

RECENT_TRADES = 50
SNAPSHOT_FORMAT = 4  # bump whenever a snapshot's shape changes: older ones are then ignored, the log replayed

BookEvent = OrderAccepted | TradeExecuted | OrderClosed


def channel_key(channel: str, token_id: UUID, user_id: UUID | None = None) -> str:
    return f"{channel}:{token_id}" if user_id is None else f"{channel}:{token_id}:{user_id}"


@dataclass(frozen=True, slots=True)
class TradeTick:
    id: UUID
    price: int
    quantity: int
    taker_side: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Ticker:
    price: int | None
    best_bid: int | None
    best_ask: int | None
    at: datetime | None


@dataclass(frozen=True, slots=True)
class LevelChange:
    side: str
    price: int
    quantity: int  # the level's new total; 0 when it is gone


@dataclass(frozen=True, slots=True)
class BookUpdate:
    token_id: UUID
    sequence: int
    levels: list[LevelChange]


@dataclass(frozen=True, slots=True)
class TradeUpdate:
    token_id: UUID
    sequence: int
    trade: TradeTick


@dataclass(frozen=True, slots=True)
class PriceUpdate:
    token_id: UUID
    sequence: int
    ticker: Ticker


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    token_id: UUID
    user_id: UUID
    sequence: int
    order: OrderState
    fills: list[Fill]


Update = BookUpdate | TradeUpdate | PriceUpdate | OrderUpdate


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedSnapshot:
    sequences: list[tuple[str, int]]
    trades: list[tuple[UUID, list[TradeTick]]]
    tickers: list[tuple[UUID, Ticker]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """The committed market at one log position, as the snapshot store keeps it."""

    format: int
    position: int
    market: MarketStateSnapshot
    feed: FeedSnapshot


@dataclass(slots=True)
class _Step:
    """One placement or cancel being applied: what it touched, and the level totals before it."""

    token_id: UUID
    before: dict[tuple[str, int], int] = field(default_factory=dict)
    orders: dict[UUID, Order] = field(default_factory=dict)
    fills: dict[UUID, list[Fill]] = field(default_factory=dict)
    trades: list[TradeTick] = field(default_factory=list)
    at: datetime | None = None


def _starts_a_step(event: DomainEvent) -> bool:
    return isinstance(event, OrderAccepted) or (isinstance(event, OrderClosed) and event.reason == "user")


def closes_step(last: DomainEvent, following: DomainEvent | None) -> bool:
    """Whether a read that stopped at ``last`` holds a whole step, ``following`` being the log's next event (None:
    nothing is stored after it yet, so ``last`` ended a transaction, and every command's events start a step).

    Decided by the log alone, so every process cut there decides the same, whatever the head was."""
    if following is None or not isinstance(last, BookEvent):
        return True
    return not isinstance(following, BookEvent) or _starts_a_step(following) or following.originator_id != last.originator_id


class CommittedMarket:
    def __init__(self, state: MarketState | None = None, position: int = 0) -> None:
        self.state = state if state is not None else MarketState()
        self.position = position
        self._sequences: dict[str, int] = {}
        self._trades: dict[UUID, list[TradeTick]] = {}
        self._tickers: dict[UUID, Ticker] = {}

    # ----- reading -----

    def sequence(self, key: str) -> int:
        return self._sequences.get(key, 0)

    def recent_trades(self, token_id: UUID) -> list[TradeTick]:
        """Newest first."""
        return list(self._trades.get(token_id, ()))

    def ticker(self, token_id: UUID) -> Ticker:
        return self._tickers.get(token_id) or self._ticker_of(self.state.book(token_id), None, None)

    # ----- applying the log -----

    def advance(
        self,
        batch: Sequence[tuple[int, DomainEvent]],
        complete: bool,
        before_step: Callable[[UUID, datetime], None] | None = None,
    ) -> list[Update]:
        """Apply stored events in log order; returns the updates they make, numbered.

        ``complete`` says the batch ends where a transaction ended (a read that reached the head of the log).
        Otherwise its last step may go on in the next read: it is left unapplied, and ``position`` tells
        where to read from again. Returns how far it got through ``position``.

        ``before_step`` is called with a book step's token and time before the step is applied (every step
        before it applied and numbered): the moment the depth view keeps a minute's snapshot.
        """
        end = len(batch)
        if not complete:
            end = self._last_step_start(batch)
        updates: list[Update] = []
        step: _Step | None = None
        for position, event in batch[:end]:
            if isinstance(event, BookEvent):
                if step is not None and (step.token_id != event.originator_id or _starts_a_step(event)):
                    updates += self._finish(step)
                    step = None
                if step is None:
                    if before_step is not None:
                        before_step(event.originator_id, event.at)
                    step = _Step(event.originator_id)
                self._apply_in_step(step, event)
            else:
                if step is not None:
                    updates += self._finish(step)
                    step = None
                self.state.apply(event)
            self.position = position
        if step is not None:
            updates += self._finish(step)
        return updates

    @staticmethod
    def _last_step_start(batch: Sequence[tuple[int, DomainEvent]]) -> int:
        """Where the batch's last step starts: what may still be cut off by the end of the read."""
        for index in range(len(batch) - 1, -1, -1):
            event = batch[index][1]
            if not isinstance(event, BookEvent) or _starts_a_step(event):
                return index if isinstance(event, BookEvent) else index + 1
        return 0

    def _apply_in_step(self, step: _Step, event: BookEvent) -> None:
        book = self.state.books[step.token_id]
        open_orders = self.state.open_orders
        if isinstance(event, OrderAccepted):
            if event.type == LIMIT and event.time_in_force == GTC:
                self._level_before(step, book, event.side, event.price)
            book.apply_stored(event)
            step.orders.setdefault(event.order_id, open_orders[event.order_id])
        elif isinstance(event, TradeExecuted):
            taker, maker = open_orders[event.taker_order_id], open_orders[event.maker_order_id]
            self._touch(step, book, taker)
            self._touch(step, book, maker)
            step.fills.setdefault(taker.id, []).append(
                Fill(event.trade_id, event.price, event.quantity, event.taker_fee, Liquidity.TAKER)
            )
            step.fills.setdefault(maker.id, []).append(
                Fill(event.trade_id, event.price, event.quantity, event.maker_fee, Liquidity.MAKER)
            )
            step.trades.append(TradeTick(event.trade_id, event.price, event.quantity, event.taker_side, event.at))
            book.apply_stored(event)
        else:
            self._touch(step, book, open_orders[event.order_id])
            book.apply_stored(event)
        step.at = event.at

    def _touch(self, step: _Step, book: OrderBook, order: Order) -> None:
        step.orders.setdefault(order.id, order)
        if order.rests:
            self._level_before(step, book, order.side, order.price)

    @staticmethod
    def _level_before(step: _Step, book: OrderBook, side: str, price: int) -> None:
        """The level's total before the step first changes it."""
        if (side, price) not in step.before:
            step.before[(side, price)] = book.level(side, price)[0]

    def _finish(self, step: _Step) -> list[Update]:
        token_id = step.token_id
        book = self.state.books[token_id]
        updates: list[Update] = []
        changed = []
        for (side, price), before in step.before.items():
            after = book.level(side, price)[0]
            if after != before:
                changed.append(LevelChange(side, price, after))
        if changed:
            updates.append(BookUpdate(token_id, self._next(channel_key("orderbook", token_id)), changed))
        if step.trades:
            recent = self._trades.setdefault(token_id, [])
            for trade in step.trades:
                updates.append(TradeUpdate(token_id, self._next(channel_key("trades", token_id)), trade))
            recent[:0] = reversed(step.trades)
            del recent[RECENT_TRADES:]
        previous = self._tickers.get(token_id) or Ticker(None, None, None, None)
        ticker = self._ticker_of(book, step.trades[-1].price if step.trades else previous.price, step.at)
        if (previous.price, previous.best_bid, previous.best_ask) != (ticker.price, ticker.best_bid, ticker.best_ask):
            self._tickers[token_id] = ticker
            updates.append(PriceUpdate(token_id, self._next(channel_key("price", token_id)), ticker))
        for order in step.orders.values():
            key = channel_key("user_orders", token_id, order.user_id)
            updates.append(
                OrderUpdate(token_id, order.user_id, self._next(key), order.state(), step.fills.get(order.id, []))
            )
        return updates

    @staticmethod
    def _ticker_of(book: OrderBook, last: int | None, at: datetime | None) -> Ticker:
        return Ticker(last, book.best(BUY), book.best(SELL), at)

    def _next(self, key: str) -> int:
        sequence = self._sequences[key] = self._sequences.get(key, 0) + 1
        return sequence

    # ----- snapshots -----

    def snapshot(self) -> Snapshot:
        return Snapshot(
            format=SNAPSHOT_FORMAT,
            position=self.position,
            market=self.state.snapshot(),
            feed=FeedSnapshot(
                sequences=sorted(self._sequences.items()),
                trades=sorted((t, list(trades)) for t, trades in self._trades.items()),
                tickers=sorted(self._tickers.items()),
            ),
        )

    @classmethod
    def from_snapshot(cls, kept: Snapshot) -> CommittedMarket:
        market = cls(MarketState.from_snapshot(kept.market), kept.position)
        market._sequences = dict(kept.feed.sequences)
        market._trades = {t: list(trades) for t, trades in kept.feed.trades}
        market._tickers = dict(kept.feed.tickers)
        return market
