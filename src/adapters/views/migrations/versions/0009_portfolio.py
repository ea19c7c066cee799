"""The portfolio view (positions with cost basis, balance history, withdrawals) and a transactions ledger that says more.

``transactions`` gains ``fee`` (informational), ``status`` (a withdrawal's
entry is pending until a batch completes it) and ``digest``; ``kind`` takes
``transfer_out``. Its rows were written without them, so the market view is
emptied and set back to position 0: the runner rebuilds it from the log at
the next start. The portfolio view starts empty and is built the same way.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from adapters.views.tables import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("public_trades", "candles", "holdings", "wallets", "transactions"):
        op.execute(f"DELETE FROM {table}")
    op.execute("DELETE FROM dead_letters WHERE view = 'market'")
    op.execute("UPDATE projection_positions SET position = 0 WHERE name = 'market'")
    with op.batch_alter_table("transactions") as table:
        table.alter_column("kind", type_=sa.String(12), existing_type=sa.String(10), existing_nullable=False)
        table.add_column(sa.Column("fee", sa.BigInteger, nullable=False, server_default="0"))
        table.add_column(sa.Column("status", sa.String(10), nullable=False, server_default="completed"))
        table.add_column(sa.Column("digest", sa.String(100)))
    op.create_index("transactions_by_reference", "transactions", ["reference"])
    op.create_index("transactions_by_kind", "transactions", ["user_id", "kind", "seq"])
    op.create_table(
        "portfolio_positions",
        sa.Column("user_id", sa.Uuid, primary_key=True),
        sa.Column("asset", sa.String(36), primary_key=True),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("cost_basis", sa.BigInteger, nullable=False),
        sa.Column("realized_pnl", sa.BigInteger, nullable=False),
        sa.Column("invested", sa.BigInteger, nullable=False),
        sa.Column("returned", sa.BigInteger, nullable=False),
        sa.Column("fees_paid", sa.BigInteger, nullable=False),
        sa.Column("trades", sa.BigInteger, nullable=False),
        sa.Column("first_trade_at", UtcDateTime),
        sa.Column("last_trade_at", UtcDateTime),
    )
    op.create_table(
        "portfolio_history",
        sa.Column("user_id", sa.Uuid, primary_key=True),
        sa.Column("asset", sa.String(36), primary_key=True),
        sa.Column("interval", sa.String(3), primary_key=True),
        sa.Column("start", UtcDateTime, primary_key=True),
        sa.Column("quantity", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "portfolio_withdrawals",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("asset", sa.String(36), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("network_fee", sa.BigInteger, nullable=False),
        sa.Column("to_address", sa.String(66), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("digest", sa.String(100)),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index("portfolio_withdrawals_by_user", "portfolio_withdrawals", ["user_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_table("portfolio_withdrawals")
    op.drop_table("portfolio_history")
    op.drop_table("portfolio_positions")
    op.drop_index("transactions_by_kind", "transactions")
    op.drop_index("transactions_by_reference", "transactions")
    with op.batch_alter_table("transactions") as table:
        table.drop_column("digest")
        table.drop_column("status")
        table.drop_column("fee")
        table.alter_column("kind", type_=sa.String(10), existing_type=sa.String(12), existing_nullable=False)
