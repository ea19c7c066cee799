"""Response and request shapes of the HTTP API, and the list conventions every list endpoint shares."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Generic, TypeVar
from uuid import UUID

import msgspec
from litestar.params import Parameter

from entrypoints.http.enums import Kind, Maker, Movement, MovementStatus, RoleName, Side, Status, Stp, Tif
from entrypoints.http.errors import Problem

T = TypeVar("T")

INT64_MAX = 2**63 - 1  # the largest integer PostgreSQL's bigint and SQLite's integer hold
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)  # times a query may name: nothing here is older, and date
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # arithmetic near year 1 or 9999 overflows
_CURSOR_TEXT = re.compile(r"[0-9A-Za-z_-]{0,64}")  # what a sort key we hand out holds: slugs, kinds, ids, "USD"

Limit = Annotated[int, Parameter(ge=1, le=500, description="How many items, 1 to 500.")]
Cursor = Annotated[str | None, Parameter(max_length=1000, description="The next_cursor of the previous page.")]
MinPosition = Annotated[
    int | None,
    Parameter(
        ge=1, le=INT64_MAX, description="Wait briefly until the answer reflects this log position (X-Event-Position)."
    ),
]


# Shapes the document states so a client (and a fuzzer) can form valid values; the rules that refuse
# others stay where they are, with their own codes (validation_error, invalid_address, invalid_symbol).
DecimalText = Annotated[
    str, Parameter(pattern=r"^[0-9]{1,30}(\.[0-9]{1,30})?$", description='A decimal number as a string, e.g. "12.5".')
]
Address = Annotated[str, Parameter(pattern=r"^0x[0-9a-fA-F]{64}$", description="A Sui address: 0x and 64 hex digits.")]
Symbol = Annotated[str, Parameter(pattern=r"^[A-Za-z][A-Za-z0-9]{1,9}$", description="2 to 10 letters and digits.")]


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(key: object) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(key)).decode().rstrip("=")


def decode_cursor(cursor: str | None, type_: type[T]) -> T | None:
    """The sort key a cursor holds, of ``type_``; anything else, or anything no list could have handed out
    (an integer outside 0..2^63-1, text other than a short plain word), is ``422 invalid_cursor``."""
    if cursor is None:
        return None
    try:
        key = msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)), type=type_)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        key = None
    if key is None or not _plausible_key(key):
        raise Problem(422, "invalid_cursor", "the cursor is not one this list gave out")
    return key


def _plausible_key(key: object) -> bool:
    if isinstance(key, tuple | list):
        return all(_plausible_key(part) for part in key)
    if isinstance(key, bool):
        return False
    if isinstance(key, int):
        return 0 <= key <= INT64_MAX
    return isinstance(key, str) and _CURSOR_TEXT.fullmatch(key) is not None


def query_time(at: datetime | None, name: str) -> datetime | None:
    """A time from the query in UTC (one without an offset is taken as UTC), from 2000-01-01 to 2100-01-01;
    anything outside is ``422 validation_error`` naming the parameter."""
    if at is None:
        return None
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    if not EARLIEST <= at <= LATEST:
        message = f"{name} is a time from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}"
        raise Problem(422, "validation_error", message, errors=[{"key": name, "message": message, "source": "query"}])
    return at


def time_parameter(name: str) -> Parameter:  # type: ignore[valid-type]
    return Parameter(  # type: ignore[no-any-return]
        query=name,
        description=f"RFC 3339; UTC when it has no offset; from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}.",
    )


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def time_key(at: datetime, id: UUID) -> list[object]:
    """A cursor's key for a list ordered by a time and an id: whole microseconds (exact) and the id's hex."""
    return [(at - EPOCH) // timedelta(microseconds=1), id.hex]


def decode_time_cursor(cursor: str | None) -> tuple[datetime, UUID] | None:
    """What ``time_key`` put in a cursor; anything else is ``422 invalid_cursor``."""
    key = decode_cursor(cursor, tuple[int, str])
    if key is None:
        return None
    try:
        return EPOCH + timedelta(microseconds=key[0]), UUID(hex=key[1])
    except (ValueError, OverflowError):
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
    address: Address


class NonceResponse(msgspec.Struct):
    nonce: str
    message: str
    expires_at: datetime


class VerifyRequest(msgspec.Struct):
    address: Address
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
    roles: list[RoleName]
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


class ScrapeRequest(msgspec.Struct, forbid_unknown_fields=True):
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=2048, description="A public http(s) page.")]


class ScrapedProfileResponse(msgspec.Struct):
    name: str | None
    handle: str | None
    bio: str | None
    avatar_url: str | None
    followers: int | None


class ScrapeResponse(msgspec.Struct):
    """What the page says of itself (OpenGraph, Twitter card, schema.org Person); null where it says nothing."""

    url: str
    final_url: str
    title: str | None
    description: str | None
    image: str | None
    site_name: str | None
    profile: ScrapedProfileResponse


class OrderRequest(msgspec.Struct, forbid_unknown_fields=True):
    token_id: str
    side: Side
    type: Kind
    price: DecimalText | None = None
    quantity: DecimalText | None = None
    quote_amount: DecimalText | None = None
    time_in_force: Tif | None = None
    post_only: bool = False
    client_order_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    self_trade_prevention: Stp = "cancel_maker"


class EstimateRequest(msgspec.Struct, forbid_unknown_fields=True):
    token_id: str
    side: Side
    type: Kind
    price: DecimalText | None = None
    quantity: DecimalText | None = None
    quote_amount: DecimalText | None = None


class OrderResponse(msgspec.Struct):
    id: UUID
    client_order_id: str | None
    token_id: UUID
    side: Side
    type: Kind
    price: str | None
    quantity: str | None
    quote_amount: str | None
    filled_quantity: str
    remaining_quantity: str
    average_price: str | None
    fees_paid: str
    time_in_force: Tif
    status: Status
    created_at: datetime
    updated_at: datetime


class FillResponse(msgspec.Struct):
    trade_id: UUID
    price: str
    quantity: str
    fee: str
    liquidity: Maker


class PlacementResponse(msgspec.Struct):
    order: OrderResponse
    fills: list[FillResponse]


class CancelledResponse(msgspec.Struct):
    cancelled: list[OrderResponse]


class SettlementRef(msgspec.Struct):
    batch: int
    digest: str


class TradeResponse(msgspec.Struct):
    trade_id: UUID
    order_id: UUID
    token_id: UUID
    side: Side
    price: str
    quantity: str
    fee: str
    liquidity: Maker
    timestamp: datetime
    settlement: SettlementRef | None = None  # the confirmed batch that carried it (SETTLEMENT.md)


class EstimateResponse(msgspec.Struct):
    token_id: UUID
    side: Side
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


class DepthSnapshotResponse(msgspec.Struct):
    """A book at a minute boundary ``t``: after every event before ``t``; levels as ``GET /orderbook`` shows them."""

    t: datetime
    sequence: int
    bids: list[LevelResponse]
    asks: list[LevelResponse]


class BalanceResponse(msgspec.Struct):
    asset: str
    available: str
    held: str
    total: str


class ListTokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    symbol: Symbol
    name: str
    creator_wallet_address: Address
    total_supply: DecimalText
    initial_price: DecimalText | None = None
    tick_size: DecimalText | None = None
    lot_size: DecimalText | None = None
    min_size: DecimalText | None = None
    decimals: Annotated[int, msgspec.Meta(ge=0, le=9)] = 6


class DepositRequest(msgspec.Struct, forbid_unknown_fields=True):
    address: Address
    asset: str
    amount: DecimalText
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
    taker_side: Side
    timestamp: datetime


class TransactionResponse(msgspec.Struct):
    """One entry of the user's ledger (PORTFOLIO.md): ``amount`` signed, ``fee`` informational, never added."""

    id: UUID
    type: Movement
    asset: str
    amount: str
    fee: str
    status: MovementStatus
    reference: str | None
    digest: str | None
    created_at: datetime
