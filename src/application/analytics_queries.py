"""Platform statistics and market sentiment, now and as history, from the analytics and market views.

A 24h window ends at the time it is read, so its sums are taken when asked:
now, over the 1m buckets (the minute holding now − 24h counts whole, as in a
ticker); in history, over the 1h buckets of the 24 hours before each point.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from application.errors import InvalidQuery
from application.live.market import CommittedMarket
from application.ports import Clock
from application.projections.analytics import Bucket, AnalyticsView
from application.projections.market import INTERVALS, MarketView, bucket_of
from application.queries import MarketQueries, ReadYourWrites, Ticker, interval_range, ticker_of
from application.sentiment import Sentiment, TradedToken, sentiment

DAY, WEEK = timedelta(days=1), timedelta(days=7)
HISTORY_INTERVALS = ("1h", "1d")
DEFAULT_POINTS = 30
MAX_POINTS = 1_000


@dataclass(frozen=True, slots=True)
class Statistics:
    users: int
    creators: int
    tokens: int
    trades_24h: int
    volume_24h: int  # micro-USD
    market_cap: int  # micro-USD: the tokens' market caps as GET /tokens shows them, summed
    active_traders_24h: int
    as_of: datetime


@dataclass(frozen=True, slots=True)
class StatisticsPoint:
    t: datetime  # the interval's end
    users: int  # totals as of t
    creators: int
    tokens: int
    trades: int  # in the interval ending at t
    volume: int  # micro-USD
    active_traders: int  # distinct users with a fill in the interval


@dataclass(frozen=True, slots=True)
class SentimentPoint:
    t: datetime
    sentiment: Sentiment


def traded(tickers: Mapping[UUID, Ticker]) -> list[TradedToken]:
    """The tokens with trades in the window, with their quote volume and 24h change."""
    return [TradedToken(t.quote_volume_24h, t.change_24h) for t in tickers.values() if t.volume_24h]


class AnalyticsQueries:
    def __init__(
        self, view: AnalyticsView, market_view: MarketView, market: MarketQueries, consistency: ReadYourWrites, clock: Clock
    ) -> None:
        self._view, self._market_view, self._market = view, market_view, market
        self._consistency, self._clock = consistency, clock

    @property
    def view_name(self) -> str:
        return self._view.name

    async def _tickers(self, live: CommittedMarket) -> dict[UUID, Ticker]:
        """Every listed token's ticker, as GET /tokens shows it, once both views hold everything written."""
        await self._consistency.reach_head(self._view.name)
        await self._consistency.reach_head(self._market.view_name)
        return await self._market.tickers({t: listing.initial_price for t, listing in live.state.tokens.items()})

    async def statistics(self, live: CommittedMarket) -> Statistics:
        now = self._clock.now()
        tickers = await self._tickers(live)
        totals = await self._view.sums("1d", None, None)
        day = await self._view.sums("1m", bucket_of(now - DAY, 60), bucket_of(now, 60) + timedelta(minutes=1))
        caps = (tickers[t].market_cap(live.state.circulating(listing), listing.decimals) for t, listing in live.state.tokens.items())
        return Statistics(
            users=totals.new_users,
            creators=totals.new_creators,
            tokens=totals.new_tokens,
            trades_24h=day.trades,
            volume_24h=day.quote_volume,
            market_cap=sum(cap or 0 for cap in caps),
            active_traders_24h=await self._view.active_traders(now - DAY),
            as_of=now,
        )

    async def sentiment(self, live: CommittedMarket) -> tuple[Sentiment, datetime]:
        """The index over the 24 hours before now, and now."""
        now = self._clock.now()
        tickers = await self._tickers(live)
        end = bucket_of(now, 60) + timedelta(minutes=1)
        day = await self._view.sums("1m", bucket_of(now - DAY, 60), end)
        week = await self._view.sums("1m", bucket_of(now - WEEK, 60), end)
        return sentiment(day.taker_buy_volume, day.taker_sell_volume, traded(tickers), day.new_follows, week.new_follows), now

    async def statistics_history(self, interval: str, start: datetime | None, end: datetime | None) -> list[StatisticsPoint]:
        """A point at the end of every interval from the one holding ``start`` to the one holding ``end``."""
        seconds, first, last = self._range(interval, start, end)
        step = timedelta(seconds=seconds)
        await self._consistency.reach_head(self._view.name)
        running = await self._view.sums(interval, None, first)
        stored = {b.start: b for b in await self._view.buckets(interval, first, last)}
        traders = await self._view.traders(interval, first, last)
        points = []
        at = first
        while at < last:
            bucket = stored.get(at, Bucket())
            running.add(bucket)
            points.append(
                StatisticsPoint(
                    at + step, running.new_users, running.new_creators, running.new_tokens,
                    bucket.trades, bucket.quote_volume, traders.get(at, 0),
                )
            )
            at += step
        return points

    async def sentiment_history(self, interval: str, start: datetime | None, end: datetime | None) -> list[SentimentPoint]:
        """Each point from the 24 hours of 1h buckets and 1h candles before it, and the 7 days of follows."""
        seconds, first, last = self._range(interval, start, end)
        step, hour = timedelta(seconds=seconds), timedelta(hours=1)
        await self._consistency.reach_head(self._view.name)
        await self._consistency.reach_head(self._market.view_name)
        hours = {b.start: b for b in await self._view.buckets("1h", first + step - WEEK, last)}
        points = []
        at = first + step
        while at <= last:
            day, week = Bucket(), Bucket()
            h = at - WEEK
            while h < at:
                if (b := hours.get(h)) is not None:
                    week.add(b)
                    if h >= at - DAY:
                        day.add(b)
                h += hour
            tickers: dict[UUID, Ticker] = {}
            if day.trades:  # no trade in the 24 hours: no token traded, and no candle to read
                tickers = {t: ticker_of(w, 0) for t, w in (await self._market_view.window("1h", at - DAY, at)).items()}
            points.append(
                SentimentPoint(at, sentiment(day.taker_buy_volume, day.taker_sell_volume, traded(tickers), day.new_follows, week.new_follows))
            )
            at += step
        return points

    def _range(self, interval: str, start: datetime | None, end: datetime | None) -> tuple[int, datetime, datetime]:
        if interval not in HISTORY_INTERVALS:
            raise InvalidQuery(f"interval is one of {', '.join(HISTORY_INTERVALS)}")
        seconds = INTERVALS[interval]
        return (seconds, *interval_range(seconds, start, end, self._clock.now(), DEFAULT_POINTS, MAX_POINTS))
