"""The fixed sets of values the HTTP API speaks, as ``StrEnum``s, so the OpenAPI document lists them as enums.

Order sides, types, time in force, self-trade prevention, statuses and
liquidity are the domain's own enums (``domain.orderbook.order``); the rest
mirror their owners' strings for the wire (candle intervals and transaction
kinds in the market projection, history intervals, sentiment labels and
components in analytics, roles in sign-in), and
``tests/unit/test_http_enums.py`` holds each mirror to its owner. Request
bodies document them with ``one_of`` but keep them ``str``, so a value
outside the set still reaches the rule that owns it and is refused with that
rule's code (``invalid_order``) rather than a generic ``validation_error``;
query parameters are typed with the enum and refused as ``validation_error``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from litestar.params import Parameter

from domain.orderbook.order import Liquidity, OrderStatus, OrderType, SelfTradePrevention, TimeInForce
from domain.orderbook.order import Side as OrderSide


class OrderStatusFilter(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    ALL = "all"


class CandleInterval(StrEnum):
    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    H1 = "1h"
    H4 = "4h"
    D1 = "1d"


class HistoryInterval(StrEnum):
    """The intervals of /statistics/history, /market/sentiment/history and /users/me/balance-history."""

    H1 = "1h"
    D1 = "1d"


class SentimentLabel(StrEnum):
    EXTREME_FEAR = "extreme_fear"
    FEAR = "fear"
    NEUTRAL = "neutral"
    GREED = "greed"
    EXTREME_GREED = "extreme_greed"


class SentimentComponent(StrEnum):
    TAKER_BALANCE = "taker_balance"
    BREADTH = "breadth"
    MOMENTUM = "momentum"
    SOCIAL = "social"


class TokenSort(StrEnum):
    MARKET_CAP = "market_cap"
    VOLUME_24H = "volume_24h"
    PRICE_CHANGE_24H = "price_change_24h"
    NEWEST = "newest"
    SYMBOL = "symbol"


class TransactionKind(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    TRANSFER_IN = "transfer_in"
    TRANSFER_OUT = "transfer_out"
    TRADE = "trade"
    FEE = "fee"
    ISSUANCE = "issuance"


class TransactionStatus(StrEnum):
    PENDING = "pending"  # a withdrawal no settlement batch has carried yet
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


class CreatorSort(StrEnum):
    MARKET_CAP = "market_cap"
    VOLUME_24H = "volume_24h"
    PRICE_CHANGE_24H = "price_change_24h"
    FOLLOWERS = "followers"
    NEWEST = "newest"


class ApplicationStatusFilter(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Role(StrEnum):
    USER = "user"
    CREATOR = "creator"
    ADMIN = "admin"


def one_of(values: type[StrEnum]) -> Parameter:  # type: ignore[valid-type]
    """Annotated metadata: a ``str`` field documented as this enum (msgspec still takes any string)."""
    return Parameter(schema_extra={"enum": [v.value for v in values]})  # type: ignore[no-any-return]


Side = Annotated[str, one_of(OrderSide)]
Kind = Annotated[str, one_of(OrderType)]
Status = Annotated[str, one_of(OrderStatus)]
Tif = Annotated[str, one_of(TimeInForce)]
Stp = Annotated[str, one_of(SelfTradePrevention)]
Maker = Annotated[str, one_of(Liquidity)]
RoleName = Annotated[str, one_of(Role)]
Movement = Annotated[str, one_of(TransactionKind)]
MovementStatus = Annotated[str, one_of(TransactionStatus)]
Mood = Annotated[str, one_of(SentimentLabel)]
Gauge = Annotated[str, one_of(SentimentComponent)]
