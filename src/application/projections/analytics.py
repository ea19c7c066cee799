"""The analytics view: platform counts per time bucket and each trader's last fill, for /statistics and the
market sentiment index (docs/analytics.md).

Every event adds to the bucket rows of its time, one per bucket size (``1m``,
``1h``, ``1d``, UTC-aligned): a batch folds its events into one row per bucket
in memory and writes each row once, as an upsert that adds. A fill also
moves its two users' last-fill times and marks them active in their ``1h``
and ``1d`` buckets. Nothing is rescanned: totals and 24h windows are sums
over bucket rows, read when asked (a window's end is the time of reading,
so it cannot be stored).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.ports import Recorded, View
from application.projections.market import INTERVALS, bucket_of
from domain.creator.events import CreatorCreated, Followed
from domain.identity.events import UserRegistered
from domain.orderbook.events import TradeExecuted
from domain.token.events import TokenListed

BUCKETS = ("1m", "1h", "1d")
TRADER_BUCKETS = ("1h", "1d")  # the history's intervals: active traders per interval


@dataclass(slots=True)
class Bucket:
    """What happened in one bucket (or, summed, in a window of them); volumes in micro-USD."""

    interval: str = ""
    start: datetime | None = None
    trades: int = 0
    quote_volume: int = 0
    taker_buy_volume: int = 0
    taker_sell_volume: int = 0
    new_users: int = 0
    new_creators: int = 0
    new_tokens: int = 0
    new_follows: int = 0

    def add(self, other: Bucket) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


COUNTS = tuple(f.name for f in fields(Bucket) if f.name not in ("interval", "start"))


class AnalyticsRows(Protocol):
    async def add_to_buckets(self, rows: Sequence[Bucket]) -> None:
        """Add each row's counts to the stored row of its interval and start (made when missing)."""
        ...

    async def mark_fills(self, last_fill: Mapping[UUID, datetime]) -> None:
        """Keep the later of the stored and the given last-fill time of each user."""
        ...

    async def mark_traders(self, rows: Sequence[tuple[str, datetime, UUID]]) -> None:
        """Record (interval, bucket start, user) as active; a row already there stays as it is."""
        ...


class AnalyticsView(View, Protocol):
    def writing(self, expected: int, position: int) -> AbstractAsyncContextManager[AnalyticsRows]: ...

    async def sums(self, interval: str, start: datetime | None, end: datetime | None) -> Bucket:
        """The counts of the ``interval`` buckets with ``start <= bucket < end`` (None: unbounded)."""
        ...

    async def buckets(self, interval: str, start: datetime, end: datetime) -> list[Bucket]:
        """The stored ``interval`` buckets with ``start <= bucket < end``, oldest first (quiet ones are missing)."""
        ...

    async def active_traders(self, since: datetime) -> int:
        """Users whose last fill is after ``since``."""
        ...

    async def traders(self, interval: str, start: datetime, end: datetime) -> dict[datetime, int]:
        """Distinct users with a fill in each ``interval`` bucket with ``start <= bucket < end`` (none: missing)."""
        ...


class AnalyticsProjector:
    def __init__(self, view: AnalyticsView) -> None:
        self.view = view

    async def project(self, batch: Sequence[Recorded], expected: int) -> None:
        buckets: dict[tuple[str, datetime], Bucket] = {}
        last_fill: dict[UUID, datetime] = {}
        traders: set[tuple[str, datetime, UUID]] = set()

        def count(at: datetime, **added: int) -> None:
            for name in BUCKETS:
                start = bucket_of(at, INTERVALS[name])
                row = buckets.get((name, start))
                if row is None:
                    row = buckets[(name, start)] = Bucket(name, start)
                for field, n in added.items():
                    setattr(row, field, getattr(row, field) + n)

        for recorded in batch:
            match recorded.event:
                case TradeExecuted() as e:
                    buy = e.notional if e.taker_side == "buy" else 0
                    count(e.at, trades=1, quote_volume=e.notional, taker_buy_volume=buy, taker_sell_volume=e.notional - buy)
                    for user in (e.taker_user_id, e.maker_user_id):
                        last_fill[user] = max(last_fill.get(user, e.at), e.at)
                        traders.update((name, bucket_of(e.at, INTERVALS[name]), user) for name in TRADER_BUCKETS)
                case UserRegistered() as e:
                    count(e.at, new_users=1)
                case CreatorCreated() as e:
                    count(e.at, new_creators=1)
                case TokenListed() as e:
                    count(e.at, new_tokens=1)
                case Followed() as e:
                    count(e.at, new_follows=1)  # an unfollow takes nothing back: the flow of new follows is measured
        async with self.view.writing(expected, batch[-1].position) as rows:
            if buckets:
                await rows.add_to_buckets(list(buckets.values()))
            if last_fill:
                await rows.mark_fills(last_fill)
            if traders:
                await rows.mark_traders(sorted(traders))
