"""The settlement view: every trade with the batch that carries it, and the batches.

The view starts empty at position 0 and is built from the log by its projector.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from adapters.views.tables import UtcDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settlement_trades",
        sa.Column("trade_id", sa.Uuid, primary_key=True),
        sa.Column("position", sa.BigInteger, nullable=False),
        sa.Column("token_id", sa.Uuid, nullable=False),
        sa.Column("buyer_id", sa.Uuid, nullable=False),
        sa.Column("seller_id", sa.Uuid, nullable=False),
        sa.Column("price", sa.BigInteger, nullable=False),
        sa.Column("quantity", sa.BigInteger, nullable=False),
        sa.Column("buyer_fee", sa.BigInteger, nullable=False),
        sa.Column("seller_fee", sa.BigInteger, nullable=False),
        sa.Column("batch", sa.BigInteger),
        sa.Column("leaf_index", sa.Integer),
    )
    op.create_index("ix_settlement_trades_position", "settlement_trades", ["position"])
    op.create_index("ix_settlement_trades_batch", "settlement_trades", ["batch"])
    op.create_table(
        "settlement_batches",
        sa.Column("sequence", sa.BigInteger, primary_key=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("trade_count", sa.BigInteger, nullable=False),
        sa.Column("withdrawal_count", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("trades_root", sa.LargeBinary),
        sa.Column("digest", sa.String(64)),
        sa.Column("tx_bytes", sa.LargeBinary),
        sa.Column("signature", sa.LargeBinary),
        sa.Column("operator_address", sa.String(66)),
        sa.Column("submitted_at", UtcDateTime),
        sa.Column("confirmed_at", UtcDateTime),
        sa.Column("error", sa.Text),
        sa.Column("position", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("settlement_batches")
    op.drop_table("settlement_trades")
