"""Orders: their vocabulary, their state, and the index of every open order that all books share.

Only open orders live in memory. A closed order leaves the books and this
index when its last event is applied; the trading view keeps its history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from domain.orderbook.events import OrderAccepted


class Side(StrEnum):
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


BUY, SELL = Side.BUY, Side.SELL
LIMIT, MARKET = OrderType.LIMIT, OrderType.MARKET
GTC, IOC, FOK = TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK
CANCEL_MAKER, CANCEL_TAKER, CANCEL_BOTH = (
    SelfTradePrevention.CANCEL_MAKER,
    SelfTradePrevention.CANCEL_TAKER,
    SelfTradePrevention.CANCEL_BOTH,
)
OPEN, PARTIALLY_FILLED, FILLED, CANCELLED, EXPIRED = (
    OrderStatus.OPEN,
    OrderStatus.PARTIALLY_FILLED,
    OrderStatus.FILLED,
    OrderStatus.CANCELLED,
    OrderStatus.EXPIRED,
)


@dataclass(frozen=True, slots=True)
class NewOrder:
    order_id: UUID
    user_id: UUID
    side: str
    type: str
    price: int = 0
    quantity: int = 0
    quote_amount: int = 0
    time_in_force: str | None = None
    post_only: bool = False
    self_trade_prevention: str = CANCEL_MAKER
    client_order_id: str | None = None


@dataclass(frozen=True, slots=True)
class Fill:
    trade_id: UUID
    price: int
    quantity: int
    fee: int
    liquidity: str  # "maker" | "taker"


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderState:
    """An order as it stood at one moment, every field of Order, plain: what a snapshot keeps of an open
    order, and what a command answers (the live Order keeps changing, and leaves memory when it closes)."""

    id: UUID
    token_id: UUID  # the market's book
    user_id: UUID
    client_order_id: str | None
    side: str
    type: str
    time_in_force: str
    price: int
    quantity: int
    quote_amount: int
    post_only: bool
    self_trade_prevention: str
    remaining: int
    hold: int
    filled: int
    notional: int
    fees: int
    status: str
    created_at: datetime
    updated_at: datetime
    fills: list[Fill]


class Order:
    """An order's state. Mutated only by OrderBook._apply."""

    __slots__ = (
        "id", "token_id", "user_id", "client_order_id", "side", "type", "time_in_force", "price", "quantity",
        "quote_amount", "post_only", "self_trade_prevention", "remaining", "hold", "filled", "notional", "fees",
        "status", "created_at", "updated_at", "fills",
    )

    def __init__(self, e: OrderAccepted) -> None:
        self.id = e.order_id
        self.token_id = e.originator_id
        self.user_id = e.user_id
        self.client_order_id = e.client_order_id
        self.side = e.side
        self.type = e.type
        self.time_in_force = e.time_in_force
        self.price = e.price
        self.quantity = e.quantity
        self.quote_amount = e.quote_amount
        self.post_only = e.post_only
        self.self_trade_prevention = e.self_trade_prevention
        self.remaining = e.quantity
        self.hold = e.hold
        self.filled = 0
        self.notional = 0
        self.fees = 0
        self.status: str = OPEN
        self.created_at = e.at
        self.updated_at = e.at
        self.fills: list[Fill] = []

    @property
    def is_open(self) -> bool:
        return self.status in (OPEN, PARTIALLY_FILLED)

    @property
    def rests(self) -> bool:
        """A GTC limit order sits in its price level from acceptance until it closes."""
        return self.type == LIMIT and self.time_in_force == GTC

    def state(self) -> OrderState:
        return OrderState(**{name: getattr(self, name) for name in Order.__slots__ if name != "fills"}, fills=list(self.fills))

    @classmethod
    def from_state(cls, s: OrderState) -> Order:
        order = cls.__new__(cls)
        for name in Order.__slots__:
            setattr(order, name, getattr(s, name))
        order.fills = list(s.fills)
        return order


RECENTLY_CLOSED = 100_000  # closed order ids kept, so a placement delivered twice is refused


class OpenOrders:
    """Every open order of the books that share this index: by id, by owner, and by owner and client_order_id.

    ``client_order_id`` is unique per user among open orders across every
    market (ORDER_BOOK.md); once its order closes, the id may be used again.

    An order's own id is never used twice: besides the open orders, the ids
    of the last ``RECENTLY_CLOSED`` closed ones are kept, so a placement
    delivered a second time after its order filled is refused, not placed
    again (application.trading.commands), and a cancel of one is answered
    without asking the trading view. Older closed ids are forgotten:
    commands expire long before that many orders close.
    """

    __slots__ = ("_by_id", "_by_user", "_by_client_id", "closed")

    def __init__(self) -> None:
        self._by_id: dict[UUID, Order] = {}
        self._by_user: dict[UUID, dict[UUID, Order]] = {}
        self._by_client_id: dict[tuple[UUID, str], Order] = {}
        self.closed: dict[UUID, tuple[UUID, str]] = {}  # recently closed: id → (owner, status), oldest first

    def used(self, order_id: UUID) -> bool:
        """Open, or closed recently."""
        return order_id in self._by_id or order_id in self.closed

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, order_id: UUID) -> bool:
        return order_id in self._by_id

    def get(self, order_id: UUID) -> Order | None:
        return self._by_id.get(order_id)

    def __getitem__(self, order_id: UUID) -> Order:
        return self._by_id[order_id]

    def by_client_id(self, user_id: UUID, client_order_id: str) -> Order | None:
        return self._by_client_id.get((user_id, client_order_id))

    def of_user(self, user_id: UUID, token_id: UUID | None = None) -> list[Order]:
        """The user's open orders, oldest first; of one market when it is named."""
        mine = self._by_user.get(user_id)
        if not mine:
            return []
        return [o for o in mine.values() if token_id is None or o.token_id == token_id]

    def add(self, order: Order) -> None:
        self._by_id[order.id] = order
        self._by_user.setdefault(order.user_id, {})[order.id] = order
        if order.client_order_id is not None:
            self._by_client_id[(order.user_id, order.client_order_id)] = order

    def remove(self, order: Order) -> None:
        del self._by_id[order.id]
        closed = self.closed
        closed[order.id] = (order.user_id, order.status)
        if len(closed) > RECENTLY_CLOSED:
            del closed[next(iter(closed))]
        mine = self._by_user[order.user_id]
        del mine[order.id]
        if not mine:
            del self._by_user[order.user_id]
        if order.client_order_id is not None:
            del self._by_client_id[(order.user_id, order.client_order_id)]
