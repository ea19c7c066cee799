"""The views' tables as the queries see them; alembic migrations create and change them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    Integer,
    JSON,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    Uuid,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, also on SQLite, which stores no zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused; pass UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

projection_positions = Table(
    "projection_positions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("view", String(64), primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("topic", String(300), nullable=False),
    Column("stream_id", Uuid, nullable=False),
    Column("stream_version", BigInteger, nullable=False),
    Column("error", Text, nullable=False),
    Column("first_failed_at", UtcDateTime, nullable=False),
    Column("last_failed_at", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
)

categories = Table(
    "categories",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("slug", String(50), nullable=False, unique=True),
    Column("name", String(50), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

expiring_keys = Table(
    "expiring_keys",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", LargeBinary, nullable=False),
    Column("expires_at", Float, nullable=False),  # unix seconds
)

users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("wallet_address", String(66), nullable=False, unique=True),
    Column("username", String(30), unique=True),
    Column("display_name", String(50)),
    Column("bio", Text),
    Column("avatar_url", String(500)),
    Column("email", String(254)),
    Column("email_verified", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("symbol", String(10), nullable=False, unique=True),
    Column("name", String(60), nullable=False),
    Column("creator_id", Uuid, nullable=False),
    Column("decimals", Integer, nullable=False),
    Column("total_supply", BigInteger, nullable=False),
    Column("initial_price", BigInteger, nullable=False),
    Column("tick_size", BigInteger, nullable=False),
    Column("lot_size", BigInteger, nullable=False),
    Column("min_size", BigInteger, nullable=False),
    Column("listed_at", UtcDateTime, nullable=False),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("seq", BigInteger, nullable=False),  # log position of its acceptance: the list order
    Column("user_id", Uuid, nullable=False),
    Column("token_id", Uuid, nullable=False),
    Column("client_order_id", String(64)),
    Column("side", String(4), nullable=False),
    Column("type", String(6), nullable=False),
    Column("time_in_force", String(3), nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("quote_amount", BigInteger, nullable=False),
    Column("filled", BigInteger, nullable=False),
    Column("notional", BigInteger, nullable=False),
    Column("fees", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

fills = Table(
    "fills",
    metadata,
    Column("seq", BigInteger, primary_key=True),  # log position of the trade
    Column("user_id", Uuid, primary_key=True),
    Column("trade_id", Uuid, nullable=False),
    Column("order_id", Uuid, nullable=False),
    Column("token_id", Uuid, nullable=False),
    Column("side", String(4), nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("fee", BigInteger, nullable=False),
    Column("liquidity", String(5), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

public_trades = Table(
    "public_trades",
    metadata,
    Column("seq", BigInteger, primary_key=True),
    Column("token_id", Uuid, nullable=False),
    Column("trade_id", Uuid, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("taker_side", String(4), nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

candles = Table(
    "candles",
    metadata,
    Column("token_id", Uuid, primary_key=True),
    Column("interval", String(3), primary_key=True),
    Column("start", UtcDateTime, primary_key=True),
    Column("open", BigInteger, nullable=False),
    Column("high", BigInteger, nullable=False),
    Column("low", BigInteger, nullable=False),
    Column("close", BigInteger, nullable=False),
    Column("volume", BigInteger, nullable=False),
    Column("quote_volume", BigInteger, nullable=False),
    Column("trades", BigInteger, nullable=False),
)

holdings = Table(
    "holdings",
    metadata,
    Column("token_id", Uuid, primary_key=True),
    Column("user_id", Uuid, primary_key=True),
    Column("quantity", BigInteger, nullable=False),
)

wallets = Table(  # the address a deposit or a listing named for an owner: holders show it before they sign in
    "wallets",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("wallet_address", String(66), nullable=False),
)

transactions = Table(
    "transactions",
    metadata,
    Column("seq", BigInteger, primary_key=True),
    Column("user_id", Uuid, primary_key=True),
    Column("kind", String(12), primary_key=True),
    Column("asset", String(36), primary_key=True),
    Column("amount", BigInteger, nullable=False),
    Column("reference", String(100), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("fee", BigInteger, nullable=False),  # informational, never added (migration 0009)
    Column("status", String(10), nullable=False),
    Column("digest", String(100)),
)

# ----- the creators view (migration 0007) -----

creators = Table(
    "creators",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False, unique=True),
    Column("wallet_address", String(66), nullable=False),
    Column("handle", String(30), nullable=False, unique=True),
    Column("display_name", String(80), nullable=False),
    Column("headline", String(160)),
    Column("bio", Text),
    Column("avatar_url", Text),
    Column("banner_url", Text),
    Column("category", String(50)),
    Column("location", String(120)),
    Column("website", Text),
    Column("links", JSON, nullable=False),
    Column("skills", JSON, nullable=False),
    Column("achievements", JSON, nullable=False),
    Column("work_experiences", JSON, nullable=False),
    Column("education", JSON, nullable=False),
    Column("content_sections", JSON, nullable=False),
    Column("followers_count", BigInteger, nullable=False),
    Column("verified", Boolean, nullable=False),
    Column("token_id", Uuid),
    Column("token_symbol", String(10)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

listed_symbols = Table(
    "listed_symbols",
    metadata,
    Column("token_id", Uuid, primary_key=True),
    Column("symbol", String(10), nullable=False),
    Column("creator_id", Uuid, nullable=False),
    Column("initial_price", BigInteger, nullable=False),
    Column("moved", Boolean, nullable=False),
)

creator_directory = Table(
    "creator_directory",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", BigInteger, nullable=False),
)

token_hours = Table(
    "token_hours",
    metadata,
    Column("token_id", Uuid, primary_key=True),
    Column("hour", UtcDateTime, primary_key=True),
    Column("close", BigInteger, nullable=False),
)

follows = Table(
    "follows",
    metadata,
    Column("follower_id", Uuid, primary_key=True),
    Column("creator_id", Uuid, primary_key=True),
    Column("followed_at", UtcDateTime, nullable=False),
)

creator_feed = Table(
    "creator_feed",
    metadata,
    Column("seq", BigInteger, primary_key=True),
    Column("n", Integer, primary_key=True),
    Column("creator_id", Uuid, nullable=False),
    Column("type", String(20), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("data", JSON, nullable=False),
)

creator_applications = Table(
    "creator_applications",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("wallet_address", String(66), nullable=False),
    Column("status", String(10), nullable=False),
    Column("display_name", String(80), nullable=False),
    Column("handle", String(30), nullable=False),
    Column("category", String(50)),
    Column("token_symbol", String(10), nullable=False),
    Column("token_name", String(60), nullable=False),
    Column("headline", String(160)),
    Column("bio", Text),
    Column("profile_urls", JSON, nullable=False),
    Column("invited", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime),
    Column("rejection_reason", Text),
    Column("creator_id", Uuid),
    Column("token_id", Uuid),
)

trending_topics = Table(
    "trending_topics",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("summary", Text),
    Column("url", Text),
    Column("tags", JSON, nullable=False),
    Column("creator_ids", JSON, nullable=False),
    Column("published_at", UtcDateTime, nullable=False),
)

# ----- the portfolio view (migration 0009) -----

portfolio_positions = Table(
    "portfolio_positions",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("asset", String(36), primary_key=True),
    Column("quantity", BigInteger, nullable=False),
    Column("cost_basis", BigInteger, nullable=False),
    Column("realized_pnl", BigInteger, nullable=False),
    Column("invested", BigInteger, nullable=False),
    Column("returned", BigInteger, nullable=False),
    Column("fees_paid", BigInteger, nullable=False),
    Column("trades", BigInteger, nullable=False),
    Column("first_trade_at", UtcDateTime),
    Column("last_trade_at", UtcDateTime),
)

portfolio_history = Table(
    "portfolio_history",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("asset", String(36), primary_key=True),
    Column("interval", String(3), primary_key=True),
    Column("start", UtcDateTime, primary_key=True),
    Column("quantity", BigInteger, nullable=False),
)

portfolio_withdrawals = Table(
    "portfolio_withdrawals",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, nullable=False),
    Column("asset", String(36), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("network_fee", BigInteger, nullable=False),
    Column("to_address", String(66), nullable=False),
    Column("status", String(10), nullable=False),
    Column("digest", String(100)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# ----- the analytics view (migration 0010) -----

analytics_buckets = Table(
    "analytics_buckets",
    metadata,
    Column("interval", String(3), primary_key=True),
    Column("start", UtcDateTime, primary_key=True),
    Column("trades", BigInteger, nullable=False),
    Column("quote_volume", BigInteger, nullable=False),
    Column("taker_buy_volume", BigInteger, nullable=False),
    Column("taker_sell_volume", BigInteger, nullable=False),
    Column("new_users", BigInteger, nullable=False),
    Column("new_creators", BigInteger, nullable=False),
    Column("new_tokens", BigInteger, nullable=False),
    Column("new_follows", BigInteger, nullable=False),
)

analytics_last_fills = Table(
    "analytics_last_fills",
    metadata,
    Column("user_id", Uuid, primary_key=True),
    Column("last_fill_at", UtcDateTime, nullable=False),
)

analytics_traders = Table(
    "analytics_traders",
    metadata,
    Column("interval", String(3), primary_key=True),
    Column("start", UtcDateTime, primary_key=True),
    Column("user_id", Uuid, primary_key=True),
)

# ----- the depth view (migration 0011) -----

order_book_snapshots = Table(  # a book's depth at a minute boundary; levels as JSON [[price, quantity, orders], …]
    "order_book_snapshots",
    metadata,
    Column("token_id", Uuid, primary_key=True),
    Column("t", UtcDateTime, primary_key=True),
    Column("sequence", BigInteger, nullable=False),
    Column("bids", JSON, nullable=False),
    Column("asks", JSON, nullable=False),
)

# ----- the settlement view (migration 0012) -----

settlement_trades = Table(  # every trade; batch NULL while it waits (or again after its batch failed)
    "settlement_trades",
    metadata,
    Column("trade_id", Uuid, primary_key=True),
    Column("position", BigInteger, nullable=False, index=True),
    Column("token_id", Uuid, nullable=False),
    Column("buyer_id", Uuid, nullable=False),
    Column("seller_id", Uuid, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("quantity", BigInteger, nullable=False),
    Column("buyer_fee", BigInteger, nullable=False),
    Column("seller_fee", BigInteger, nullable=False),
    Column("batch", BigInteger, index=True),
    Column("leaf_index", Integer),
)

settlement_batches = Table(
    "settlement_batches",
    metadata,
    Column("sequence", BigInteger, primary_key=True),
    Column("status", String(10), nullable=False),
    Column("trade_count", BigInteger, nullable=False),
    Column("withdrawal_count", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("trades_root", LargeBinary),
    Column("digest", String(64)),
    Column("tx_bytes", LargeBinary),
    Column("signature", LargeBinary),
    Column("operator_address", String(66)),
    Column("submitted_at", UtcDateTime),
    Column("confirmed_at", UtcDateTime),
    Column("error", Text),
    Column("position", BigInteger, nullable=False),
)
