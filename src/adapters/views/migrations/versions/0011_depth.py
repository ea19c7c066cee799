"""The depth view: each book's depth at the minute boundaries that ended a minute with a step on it.

The view starts empty at position 0 and is built from the log by its projector.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from adapters.views.tables import UtcDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_book_snapshots",
        sa.Column("token_id", sa.Uuid, primary_key=True),
        sa.Column("t", UtcDateTime, primary_key=True),
        sa.Column("sequence", sa.BigInteger, nullable=False),
        sa.Column("bids", sa.JSON, nullable=False),  # [[price, quantity, orders], …] best first
        sa.Column("asks", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("order_book_snapshots")
