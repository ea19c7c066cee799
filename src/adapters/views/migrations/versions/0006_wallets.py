"""Wallet addresses in a table of their own, so a holding learns its owner's address whenever it was named.

The holdings rows kept the address a deposit or listing named in the same
projection batch only: a token bought in a later batch had none, and a
rebuild (one big batch) had it, so the live view and a replay differed.
The market view is emptied and set back to position 0: the runner rebuilds
it from the log at the next start, right.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallets",
        sa.Column("user_id", sa.Uuid, primary_key=True),
        sa.Column("wallet_address", sa.String(66), nullable=False),
    )
    with op.batch_alter_table("holdings") as table:
        table.drop_column("wallet_address")
    for table in ("public_trades", "candles", "holdings", "transactions"):
        op.execute(f"DELETE FROM {table}")
    op.execute("DELETE FROM dead_letters WHERE view = 'market'")
    op.execute("UPDATE projection_positions SET position = 0 WHERE name = 'market'")


def downgrade() -> None:
    with op.batch_alter_table("holdings") as table:
        table.add_column(sa.Column("wallet_address", sa.String(66)))
    op.drop_table("wallets")
