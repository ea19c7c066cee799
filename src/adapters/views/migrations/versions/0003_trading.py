"""Trading views: tokens, orders and fills.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from adapters.views.tables import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("symbol", sa.String(10), nullable=False, unique=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("creator_id", sa.Uuid, nullable=False),
        sa.Column("decimals", sa.Integer, nullable=False),
        sa.Column("total_supply", sa.BigInteger, nullable=False),
        sa.Column("initial_price", sa.BigInteger, nullable=False),
        sa.Column("tick_size", sa.BigInteger, nullable=False),
        sa.Column("lot_size", sa.BigInteger, nullable=False),
        sa.Column("min_size", sa.BigInteger, nullable=False),
        sa.Column("listed_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("token_id", sa.Uuid, nullable=False),
        sa.Column("client_order_id", sa.String(64)),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("type", sa.String(6), nullable=False),
        sa.Column("time_in_force", sa.String(3), nullable=False),
        sa.Column("price", sa.BigInteger, nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("quote_amount", sa.BigInteger, nullable=False),
        sa.Column("filled", sa.BigInteger, nullable=False),
        sa.Column("notional", sa.BigInteger, nullable=False),
        sa.Column("fees", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index("orders_by_user", "orders", ["user_id", "seq"])
    op.create_table(
        "fills",
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.Uuid, primary_key=True),
        sa.Column("trade_id", sa.Uuid, nullable=False),
        sa.Column("order_id", sa.Uuid, nullable=False),
        sa.Column("token_id", sa.Uuid, nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("price", sa.BigInteger, nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("fee", sa.BigInteger, nullable=False),
        sa.Column("liquidity", sa.String(5), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
    )
    op.create_index("fills_by_user", "fills", ["user_id", "seq"])


def downgrade() -> None:
    op.drop_index("fills_by_user", "fills")
    op.drop_table("fills")
    op.drop_index("orders_by_user", "orders")
    op.drop_table("orders")
    op.drop_table("tokens")
