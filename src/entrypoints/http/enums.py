"""The fixed sets of values the HTTP API speaks, as ``StrEnum``s, so the OpenAPI document lists them as enums.

Their owners are elsewhere (order sides, types and statuses in
``domain.orderbook``, candle intervals and transaction kinds in the market projection,
roles in sign-in); these mirror the owners' strings for the wire, and
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


class OrderSide(StrEnum):
    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    LIMIT = "limit"
    MARKET = "market"


class TimeInForce(StrEnum):
    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class SelfTradePrevention(StrEnum):
    CANCEL_MAKER = "cancel_maker"
    CANCEL_TAKER = "cancel_taker"
    CANCEL_BOTH = "cancel_both"


class OrderStatus(StrEnum):
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Liquidity(StrEnum):
    MAKER = "maker"
    TAKER = "taker"


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


class TokenSort(StrEnum):
    MARKET_CAP = "market_cap"
    VOLUME_24H = "volume_24h"
    PRICE_CHANGE_24H = "price_change_24h"
    NEWEST = "newest"
    SYMBOL = "symbol"


class TransactionKind(StrEnum):
    DEPOSIT = "deposit"
    ISSUANCE = "issuance"
    TRADE = "trade"
    FEE = "fee"


class TransactionStatus(StrEnum):
    CONFIRMED = "confirmed"  # on chain
    COMPLETED = "completed"  # on our ledger


class Role(StrEnum):
    USER = "user"
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
