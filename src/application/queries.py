"""The read side: queries answer from views, optionally after waiting for a log position."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from application.errors import InvalidQuery, PositionNotWritten, ReadModelBehind
from application.projections.market import (
    INTERVALS,
    Candle,
    Holding,
    MarketView,
    PublicTrade,
    Transaction,
    WindowTotals,
    bucket_of,
)
from application.projections.depth import MINUTE, DepthSnapshot, DepthView
from application.projections.categories import CategoriesView, CategoryRow
from application.projections.runner import ProjectionRunner
from application.projections.trading import FillRow, OrderRow, TradingView
from application.projections.users import UserRow, UsersView
from application.ports import Clock, EventStore
from domain.creator.errors import CategoryNotFound
from domain.identity.errors import NotRegistered
from domain.orderbook.errors import OrderNotFound

MIN_POSITION_WAIT = 5.0  # seconds a query may wait for its view to reach ?min_position


class ReadYourWrites:
    """Waits until a view reflects a given log position (the one a command answered with)."""

    def __init__(self, store: EventStore, runner: ProjectionRunner, timeout: float = MIN_POSITION_WAIT) -> None:
        self._store, self._runner, self._timeout = store, runner, timeout

    async def reach_head(self, view: str) -> None:
        """Wait until the view reflects everything written so far."""
        await self.reach(view, await self._store.head())

    async def reach(self, view: str, min_position: int | None) -> None:
        if not min_position:
            return
        if min_position > await self._store.head():
            raise PositionNotWritten(f"position {min_position} has not been written")
        if not await self._runner.wait_for(view, min_position, self._timeout):
            raise ReadModelBehind(f"the {view} view has not reached position {min_position} yet")


class CategoryQueries:
    def __init__(self, view: CategoriesView, consistency: ReadYourWrites) -> None:
        self._view, self._consistency = view, consistency

    async def page(self, limit: int, after_slug: str | None = None, min_position: int | None = None) -> list[CategoryRow]:
        await self._consistency.reach(self._view.name, min_position)
        return await self._view.page(limit, after_slug)

    async def one(self, slug: str, min_position: int | None = None) -> CategoryRow:
        await self._consistency.reach(self._view.name, min_position)
        found = await self._view.page(1, after_slug=None, slug=slug)
        if not found:
            raise CategoryNotFound(f"no category {slug!r}")
        return found[0]


class UserQueries:
    def __init__(self, view: UsersView, consistency: ReadYourWrites) -> None:
        self._view, self._consistency = view, consistency

    async def by_ids(self, ids: list[UUID]) -> dict[UUID, UserRow]:
        return await self._view.by_ids(ids)

    async def me(self, user_id: UUID, min_position: int | None = None) -> UserRow:
        """The signed-in user; a user signed in a moment ago may not be in the view yet, so wait for it once."""
        await self._consistency.reach(self._view.name, min_position)
        row = await self._view.by_id(user_id)
        if row is None:
            await self._consistency.reach_head(self._view.name)
            row = await self._view.by_id(user_id)
        if row is None:
            raise NotRegistered("no such user")
        return row


class TradingQueries:
    def __init__(self, view: TradingView, consistency: ReadYourWrites) -> None:
        self._view, self._consistency = view, consistency

    async def order(self, user_id: UUID, order_id: UUID, min_position: int | None = None) -> OrderRow:
        await self._consistency.reach(self._view.name, min_position)
        row = await self._view.order(order_id)
        if row is None or row.user_id != user_id:
            raise OrderNotFound("no such order of yours")
        return row

    async def status_of(self, user_id: UUID, order_id: UUID) -> str | None:
        """ClosedOrders: the order's status as the view has it. An order the view does not have yet may have
        closed a moment ago: then it asks again once the view holds everything written so far."""
        row = await self._view.order(order_id)
        if row is None:
            await self._consistency.reach_head(self._view.name)
            row = await self._view.order(order_id)
        return row.status if row is not None and row.user_id == user_id else None

    async def orders(
        self, user_id: UUID, status: str, token_id: UUID | None, limit: int, before_seq: int | None, min_position: int | None
    ) -> list[OrderRow]:
        await self._consistency.reach(self._view.name, min_position)
        return await self._view.orders(user_id, status, token_id, limit, before_seq)

    async def fills(
        self, user_id: UUID, token_id: UUID | None, limit: int, before_seq: int | None, min_position: int | None
    ) -> list[FillRow]:
        await self._consistency.reach(self._view.name, min_position)
        return await self._view.fills(user_id, token_id, limit, before_seq)


@dataclass(frozen=True, slots=True)
class Ticker:
    price: int  # micro-USD; the last trade's, else the listing price, else 0
    price_24h_ago: int
    volume_24h: int  # base units
    quote_volume_24h: int  # micro-USD
    high_24h: int | None
    low_24h: int | None

    @property
    def change_24h(self) -> int | None:
        """The 24h change in hundredths of a percent, rounded half to even; None without both prices."""
        if not self.price or not self.price_24h_ago:
            return None
        scaled, remainder = divmod((self.price - self.price_24h_ago) * 10_000, self.price_24h_ago)
        if remainder * 2 > self.price_24h_ago or (remainder * 2 == self.price_24h_ago and scaled % 2):
            scaled += 1
        return scaled

    def market_cap(self, circulating: int, decimals: int) -> int | None:
        """micro-USD: price × circulating supply; None without a price."""
        return self.price * circulating // 10**decimals if self.price else None


def ticker_of(window: WindowTotals | None, initial_price: int) -> Ticker:
    """A token's ticker from its candles of a window (MarketView.window): the last close, else the close before
    the window, else the listing price; the price then is the close before the window, else the window's open."""
    if window is None:
        return Ticker(initial_price, initial_price, 0, 0, None, None)
    w = window
    price = w.last_close if w.last_close is not None else (w.close_before if w.close_before is not None else initial_price)
    then = w.close_before if w.close_before is not None else (w.first_open if w.first_open is not None else price)
    return Ticker(price, then, w.volume, w.quote_volume, w.high, w.low)


def interval_range(
    seconds: int, start: datetime | None, end: datetime | None, now: datetime, default: int, most: int
) -> tuple[datetime, datetime]:
    """``[first interval's start, last interval's end)`` of the UTC-aligned intervals from the one holding
    ``start`` to the one holding ``end`` (default: ``now``'s, and the ``default`` intervals before it).
    InvalidQuery when ``start`` falls after ``end`` or the range holds more than ``most`` intervals."""
    step = timedelta(seconds=seconds)
    end = bucket_of(end or now, seconds) + step
    start = bucket_of(start, seconds) if start else end - step * default
    if start >= end:
        raise InvalidQuery("from is before to")
    if (end - start) // step > most:
        raise InvalidQuery(f"at most {most} intervals at once")
    return start, end


class MarketQueries:
    """Public market data from the market view; candles are gap-filled as they are read."""

    MAX_CANDLES = 5_000

    def __init__(self, view: MarketView, consistency: ReadYourWrites, clock: Clock) -> None:
        self._view, self._consistency, self._clock = view, consistency, clock

    async def ticker(self, token_id: UUID, initial_price: int) -> Ticker:
        now = self._clock.now()
        day_ago = now - timedelta(days=1)
        window = await self._view.candles(token_id, "1m", bucket_of(day_ago, 60), now + timedelta(minutes=1))
        window = [c for c in window if c.start + timedelta(minutes=1) > day_ago]
        last = window[-1] if window else await self._view.candle_before(token_id, "1m", now + timedelta(minutes=1))
        price = last.close if last else initial_price
        before = await self._view.candle_before(token_id, "1m", bucket_of(day_ago, 60))
        price_then = before.close if before else (window[0].open if window else price)
        return Ticker(
            price=price,
            price_24h_ago=price_then,
            volume_24h=sum(c.volume for c in window),
            quote_volume_24h=sum(c.quote_volume for c in window),
            high_24h=max((c.high for c in window), default=None),
            low_24h=min((c.low for c in window), default=None),
        )

    @property
    def view_name(self) -> str:
        return self._view.name

    async def position(self) -> int:
        return await self._view.position()

    async def tickers(self, initial_prices: Mapping[UUID, int]) -> dict[UUID, Ticker]:
        """``ticker`` of every token named, from one read of the window whatever their number."""
        now = self._clock.now()
        day_ago = now - timedelta(days=1)
        start = bucket_of(day_ago, 60)
        window = await self._view.window("1m", start, now + timedelta(minutes=1))
        found = {}
        for n, (token_id, initial_price) in enumerate(initial_prices.items()):
            if n % 500 == 499:
                await asyncio.sleep(0)  # thousands of tokens: let the loop serve others between slices
            found[token_id] = ticker_of(window.get(token_id), initial_price)
        return found

    async def candles(
        self, token_id: UUID, interval: str, start: datetime | None, end: datetime | None, initial_price: int, listed_at: datetime
    ) -> list[Candle]:
        """Oldest first; an interval without trades repeats the last close with zero volume (from the listing on)."""
        if interval not in INTERVALS:
            raise InvalidQuery(f"interval is one of {', '.join(INTERVALS)}")
        seconds = INTERVALS[interval]
        step = timedelta(seconds=seconds)
        start, end = interval_range(seconds, start, end, self._clock.now(), 500, self.MAX_CANDLES)
        stored = {c.start: c for c in await self._view.candles(token_id, interval, start, end)}
        previous = await self._view.candle_before(token_id, interval, start)
        close = previous.close if previous else (initial_price or None)
        first = bucket_of(listed_at, seconds)
        filled: list[Candle] = []
        at = start
        while at < end:
            candle = stored.get(at)
            if candle is not None:
                filled.append(candle)
                close = candle.close
            elif close is not None and at >= first:
                filled.append(Candle(token_id, interval, at, close, close, close, close, 0, 0, 0))
            at += step
        return filled

    async def holders(self, token_id: UUID, limit: int, offset: int) -> list[Holding]:
        return await self._view.holders(token_id, limit, offset)

    async def holders_count(self, token_id: UUID) -> int:
        return await self._view.holders_count(token_id)

    async def trades(self, token_id: UUID, limit: int, before_seq: int | None, min_position: int | None = None) -> list[PublicTrade]:
        await self._consistency.reach(self._view.name, min_position)
        return await self._view.trades(token_id, limit, before_seq)

    async def transactions(
        self,
        user_id: UUID,
        limit: int,
        after: tuple[int, str, str] | None,
        min_position: int | None = None,
        kind: str | None = None,
    ) -> list[Transaction]:
        await self._consistency.reach(self._view.name, min_position)
        return await self._view.transactions(user_id, limit, after, kind)


class DepthQueries:
    """The depth kept every minute; a minute without a row repeats the row before it (the book did not change)."""

    MAX_POINTS = 1_440
    DEFAULT_SPAN = timedelta(minutes=60)

    def __init__(self, view: DepthView, consistency: ReadYourWrites, clock: Clock) -> None:
        self._view, self._consistency, self._clock = view, consistency, clock

    async def snapshots(
        self, token_id: UUID, start: datetime | None, end: datetime | None, listed_at: datetime
    ) -> list[DepthSnapshot]:
        """One point per minute boundary in ``[start, end]`` (default: the last hour) from the listing on, up to
        now, oldest first."""
        now = self._clock.now()
        end = end or now
        start = start or end - self.DEFAULT_SPAN
        if start > end:
            raise InvalidQuery("from is after to")
        first, last = _minute_after(start), bucket_of(end, 60)
        if (last - first) // MINUTE + 1 > self.MAX_POINTS:
            raise InvalidQuery(f"at most {self.MAX_POINTS} minutes at once")
        first, last = max(first, _minute_after(listed_at)), min(last, bucket_of(now, 60))
        if first > last:
            return []
        await self._consistency.reach_head(self._view.name)
        stored = {s.t: s for s in await self._view.snapshots(token_id, first, last)}
        carried = await self._view.snapshot_before(token_id, first) or DepthSnapshot(token_id, first, 0, [], [])
        points = []
        at = first
        while at <= last:
            carried = stored.get(at, carried)
            points.append(DepthSnapshot(token_id, at, carried.sequence, carried.bids, carried.asks))
            at += MINUTE
        return points


def _minute_after(at: datetime) -> datetime:
    """The first whole minute at or after ``at``."""
    floor = bucket_of(at, 60)
    return floor if floor == at else floor + MINUTE
