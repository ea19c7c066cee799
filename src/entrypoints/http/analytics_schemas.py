"""Response bodies of the market analytics (PORTFOLIO.md "Market analytics"); figures in docs/analytics.md."""

from __future__ import annotations

from datetime import datetime

import msgspec

from entrypoints.http.enums import Gauge, Mood


class StatisticsResponse(msgspec.Struct):
    users: int
    creators: int
    tokens: int
    trades_24h: int
    volume_24h: str  # USD
    market_cap: str  # USD
    active_traders_24h: int
    as_of: datetime


class StatisticsPointResponse(msgspec.Struct):
    t: datetime  # the interval's end
    users: int
    creators: int
    tokens: int
    trades: int
    volume: str  # USD
    active_traders: int


class ComponentResponse(msgspec.Struct):
    name: Gauge
    value: float  # 0..100, two decimals
    weight: float


class SentimentResponse(msgspec.Struct):
    index: float  # 0..100, two decimals
    label: Mood
    components: list[ComponentResponse]
    as_of: datetime


class SentimentPointResponse(msgspec.Struct):
    t: datetime
    index: float
    label: Mood
