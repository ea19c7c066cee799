"""Market views: public trades, candles, holdings and the transactions ledger.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from adapters.views.tables import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_trades",
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("token_id", sa.Uuid, nullable=False),
        sa.Column("trade_id", sa.Uuid, nullable=False),
        sa.Column("price", sa.BigInteger, nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("taker_side", sa.String(4), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
    )
    op.create_index("public_trades_by_token", "public_trades", ["token_id", "seq"])
    op.create_table(
        "candles",
        sa.Column("token_id", sa.Uuid, primary_key=True),
        sa.Column("interval", sa.String(3), primary_key=True),
        sa.Column("start", UtcDateTime, primary_key=True),
        sa.Column("open", sa.BigInteger, nullable=False),
        sa.Column("high", sa.BigInteger, nullable=False),
        sa.Column("low", sa.BigInteger, nullable=False),
        sa.Column("close", sa.BigInteger, nullable=False),
        sa.Column("volume", sa.BigInteger, nullable=False),
        sa.Column("quote_volume", sa.BigInteger, nullable=False),
        sa.Column("trades", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "holdings",
        sa.Column("token_id", sa.Uuid, primary_key=True),
        sa.Column("user_id", sa.Uuid, primary_key=True),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("wallet_address", sa.String(66)),
    )
    op.create_index("holdings_by_size", "holdings", ["token_id", "quantity"])
    op.create_table(
        "transactions",
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.Uuid, primary_key=True),
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("asset", sa.String(36), primary_key=True),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("reference", sa.String(100), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
    )
    op.create_index("transactions_by_user", "transactions", ["user_id", "seq"])


def downgrade() -> None:
    for index, table in [("transactions_by_user", "transactions"), ("holdings_by_size", "holdings"), ("public_trades_by_token", "public_trades")]:
        op.drop_index(index, table)
    for table in ["transactions", "holdings", "candles", "public_trades"]:
        op.drop_table(table)
