"""Response and request shapes of the HTTP API, and the list conventions every list endpoint shares."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from collections.abc import Callable
from typing import Annotated, Generic, TypeVar
from uuid import UUID

import msgspec
from litestar.params import Parameter

from entrypoints.http.errors import Problem

T = TypeVar("T")

Limit = Annotated[int, Parameter(ge=1, le=500, description="How many items, 1 to 500.")]
Cursor = Annotated[str | None, Parameter(description="The next_cursor of the previous page.")]
MinPosition = Annotated[
    int | None,
    Parameter(ge=1, description="Wait briefly until the answer reflects this log position (X-Event-Position)."),
]


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(key: object) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(key)).decode().rstrip("=")


def decode_cursor(cursor: str | None, type_: type[T]) -> T | None:
    if cursor is None:
        return None
    try:
        return msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)), type=type_)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise Problem(422, "invalid_cursor", "the cursor is not one this list gave out") from None


def page_of(items: list[T], limit: int, key_of: Callable[[T], object]) -> Page[T]:
    """``items`` were fetched with limit + 1: one more means another page follows this one's last item."""
    if len(items) > limit:
        return Page(items[:limit], encode_cursor(key_of(items[limit - 1])))
    return Page(items, None)


class CategoryResponse(msgspec.Struct):
    id: UUID
    slug: str
    name: str
    created_at: datetime
    updated_at: datetime


class NonceRequest(msgspec.Struct):
    address: str


class NonceResponse(msgspec.Struct):
    nonce: str
    message: str
    expires_at: datetime


class VerifyRequest(msgspec.Struct):
    address: str
    message: str
    signature: str


class RefreshRequest(msgspec.Struct):
    refresh_token: str


class UserResponse(msgspec.Struct):
    id: UUID
    wallet_address: str
    username: str | None
    display_name: str | None
    bio: str | None
    avatar_url: str | None
    email: str | None
    email_verified: bool
    roles: list[str]
    created_at: datetime


class TokenResponse(msgspec.Struct):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    user: UserResponse


class ProfileRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent change; ``null`` clears one."""

    username: str | None | msgspec.UnsetType = msgspec.UNSET
    display_name: str | None | msgspec.UnsetType = msgspec.UNSET
    bio: str | None | msgspec.UnsetType = msgspec.UNSET
    avatar_url: str | None | msgspec.UnsetType = msgspec.UNSET


class EmailRequest(msgspec.Struct):
    email: str


class EmailCodeResponse(msgspec.Struct):
    email: str
    expires_at: datetime


class EmailCodeRequest(msgspec.Struct):
    code: str


class AddCategoryRequest(msgspec.Struct):
    name: str
    slug: str | None = None


class RenameCategoryRequest(msgspec.Struct):
    name: str


class OrderRequest(msgspec.Struct, forbid_unknown_fields=True):
    token_id: str
    side: str
    type: str
    price: str | None = None
    quantity: str | None = None
    quote_amount: str | None = None
    time_in_force: str | None = None
    post_only: bool = False
    client_order_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    self_trade_prevention: str = "cancel_maker"


class EstimateRequest(msgspec.Struct, forbid_unknown_fields=True):
    token_id: str
    side: str
    type: str
    price: str | None = None
    quantity: str | None = None
    quote_amount: str | None = None


class OrderResponse(msgspec.Struct):
    id: UUID
    client_order_id: str | None
    token_id: UUID
    side: str
    type: str
    price: str | None
    quantity: str | None
    quote_amount: str | None
    filled_quantity: str
    remaining_quantity: str
    average_price: str | None
    fees_paid: str
    time_in_force: str
    status: str
    created_at: datetime
    updated_at: datetime


class FillResponse(msgspec.Struct):
    trade_id: UUID
    price: str
    quantity: str
    fee: str
    liquidity: str


class PlacementResponse(msgspec.Struct):
    order: OrderResponse
    fills: list[FillResponse]


class CancelledResponse(msgspec.Struct):
    cancelled: list[OrderResponse]


class TradeResponse(msgspec.Struct):
    trade_id: UUID
    order_id: UUID
    token_id: UUID
    side: str
    price: str
    quantity: str
    fee: str
    liquidity: str
    timestamp: datetime


class EstimateResponse(msgspec.Struct):
    token_id: UUID
    side: str
    filled_quantity: str
    average_price: str | None
    notional: str
    fee: str
    total: str  # what a buyer pays (notional + fee) or a seller receives (notional - fee)
    best_price: str | None
    worst_price: str | None
    slippage: str | None  # (average - best) / best, as a fraction; positive means worse than the best price
    fully_filled: bool
    fok_would_succeed: bool


class LevelResponse(msgspec.Struct):
    price: str
    quantity: str
    orders: int


class OrderBookResponse(msgspec.Struct):
    token_id: UUID
    sequence: int
    bids: list[LevelResponse]
    asks: list[LevelResponse]
    timestamp: datetime


class BalanceResponse(msgspec.Struct):
    asset: str
    available: str
    held: str
    total: str


class ListTokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    symbol: str
    name: str
    creator_wallet_address: str
    total_supply: str
    initial_price: str | None = None
    tick_size: str | None = None
    lot_size: str | None = None
    min_size: str | None = None
    decimals: Annotated[int, msgspec.Meta(ge=0, le=9)] = 6


class DepositRequest(msgspec.Struct, forbid_unknown_fields=True):
    address: str
    asset: str
    amount: str
    reference: str | None = None  # makes the deposit idempotent: one reference credits once


class DepositResponse(msgspec.Struct):
    address: str
    user_id: UUID
    asset: str
    amount: str
    transaction_digest: str
    reference: str


class TokenDetailResponse(msgspec.Struct):
    id: UUID
    symbol: str
    name: str
    creator_id: UUID
    decimals: int
    total_supply: str
    circulating_supply: str
    price: str | None
    change_24h: str | None  # percent, e.g. "12.5" for +12.5 %
    volume_24h: str  # tokens traded in the last 24 hours
    quote_volume_24h: str  # USD traded in the last 24 hours
    high_24h: str | None
    low_24h: str | None
    market_cap: str | None
    holders_count: int
    best_bid: str | None
    best_ask: str | None
    tick_size: str
    lot_size: str
    min_size: str
    listed_at: datetime


class CandleResponse(msgspec.Struct):
    t: datetime
    open: str
    high: str
    low: str
    close: str
    volume: str
    quote_volume: str
    trades: int


class HolderResponse(msgspec.Struct):
    user_id: UUID
    wallet_address: str | None
    username: str | None
    quantity: str
    share: str  # of the total supply, as a fraction


class PublicTradeResponse(msgspec.Struct):
    id: UUID
    price: str
    quantity: str
    taker_side: str
    timestamp: datetime


class TransactionResponse(msgspec.Struct):
    kind: str
    asset: str
    amount: str
    status: str
    reference: str | None
    transaction_digest: str | None
    timestamp: datetime
