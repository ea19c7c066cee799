"""Platform statistics and the market sentiment index, now and as history; public reads (docs/analytics.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get

from application.analytics_queries import AnalyticsQueries
from application.live.market import CommittedMarket
from application.sentiment import Sentiment
from entrypoints.http.analytics_schemas import (
    ComponentResponse,
    SentimentPointResponse,
    SentimentResponse,
    StatisticsPointResponse,
    StatisticsResponse,
)
from entrypoints.http.enums import HistoryInterval
from entrypoints.http.presenters import usd
from entrypoints.http.schemas import query_time, time_parameter

RANGE = (
    "Points at the ends of UTC intervals, oldest first: from the interval holding `from` to the one holding `to` "
    "(default: the last 30, the last ending at the end of the current interval). More than 1,000 points, or `from` "
    "after `to`, is `422 invalid_query`."
)


def sentiment_response(s: Sentiment, as_of: datetime) -> SentimentResponse:
    components = [ComponentResponse(c.name, float(c.value), float(c.weight)) for c in s.components]
    return SentimentResponse(float(s.index), s.label, components, as_of)


class StatisticsController(Controller):
    path = "/api/v1/statistics"
    tags = ["market data"]

    @get("/", summary="Platform totals and the last 24 hours' trading")
    async def statistics(self, market: CommittedMarket, analytics_queries: AnalyticsQueries) -> StatisticsResponse:
        s = await analytics_queries.statistics(market)
        return StatisticsResponse(
            s.users, s.creators, s.tokens, s.trades_24h, usd(s.volume_24h), usd(s.market_cap), s.active_traders_24h, s.as_of
        )

    @get("/history", summary="Totals and each interval's trading, one point per interval", description=RANGE)
    async def history(
        self,
        analytics_queries: AnalyticsQueries,
        interval: HistoryInterval = HistoryInterval.H1,
        from_: Annotated[datetime | None, time_parameter("from")] = None,
        to: Annotated[datetime | None, time_parameter("to")] = None,
    ) -> list[StatisticsPointResponse]:
        points = await analytics_queries.statistics_history(interval, query_time(from_, "from"), query_time(to, "to"))
        return [
            StatisticsPointResponse(p.t, p.users, p.creators, p.tokens, p.trades, usd(p.volume), p.active_traders)
            for p in points
        ]


class SentimentController(Controller):
    path = "/api/v1/market/sentiment"
    tags = ["market data"]

    @get("/", summary="The market sentiment index (0-100) over the last 24 hours, with its components")
    async def sentiment(self, market: CommittedMarket, analytics_queries: AnalyticsQueries) -> SentimentResponse:
        return sentiment_response(*await analytics_queries.sentiment(market))

    @get("/history", summary="The sentiment index at the end of each interval", description=RANGE)
    async def history(
        self,
        analytics_queries: AnalyticsQueries,
        interval: HistoryInterval = HistoryInterval.H1,
        from_: Annotated[datetime | None, time_parameter("from")] = None,
        to: Annotated[datetime | None, time_parameter("to")] = None,
    ) -> list[SentimentPointResponse]:
        points = await analytics_queries.sentiment_history(interval, query_time(from_, "from"), query_time(to, "to"))
        return [SentimentPointResponse(p.t, float(p.sentiment.index), p.sentiment.label) for p in points]
