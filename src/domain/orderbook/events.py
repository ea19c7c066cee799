"""Events of an order book. Never rename or move these classes: their path is the stored topic.

Each event carries every amount it moves, so replaying the log moves the
same money without deciding anything again.
"""

from dataclasses import dataclass
from uuid import UUID

from domain.shared.aggregate import DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketOpened(DomainEvent):
    symbol: str
    decimals: int
    tick_size: int
    lot_size: int
    min_size: int
    maker_fee_bps: int
    taker_fee_bps: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderAccepted(DomainEvent):
    order_id: UUID
    user_id: UUID
    client_order_id: str | None
    side: str  # "buy" | "sell"
    type: str  # "limit" | "market"
    time_in_force: str  # "GTC" | "IOC" | "FOK"
    price: int  # micro-USD per whole token; 0 for a market order
    quantity: int  # base units; 0 for a market buy by quote amount
    quote_amount: int  # micro-USD a market buy may spend, fees included; 0 otherwise
    post_only: bool
    self_trade_prevention: str
    hold: int  # what is moved from available to held: USD for a buy, the token for a sell


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeExecuted(DomainEvent):
    trade_id: UUID
    price: int
    quantity: int
    notional: int
    taker_order_id: UUID
    taker_user_id: UUID
    taker_side: str
    maker_order_id: UUID
    maker_user_id: UUID
    taker_fee: int
    maker_fee: int
    buyer_paid: int  # taken from the buyer's hold: notional + the buyer's fee
    buyer_released: int  # returned from the buyer's hold to available (price improvement, a lower fee)

    def sides(self) -> tuple[UUID, UUID, int, int]:
        """(buyer, seller, the buyer's fee, the seller's fee): the taker is the buyer when it bought."""
        if self.taker_side == "buy":
            return self.taker_user_id, self.maker_user_id, self.taker_fee, self.maker_fee
        return self.maker_user_id, self.taker_user_id, self.maker_fee, self.taker_fee


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderClosed(DomainEvent):
    """An order left the book or ended without resting: ``filled``, ``cancelled`` or ``expired``."""

    order_id: UUID
    user_id: UUID
    status: str
    reason: str  # "filled", "user", "self_trade_prevention", "no_liquidity", "fok_unfillable", "budget_spent"
    released: int  # what the order still held, back to available
