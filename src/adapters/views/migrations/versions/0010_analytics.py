"""The analytics view: counts per time bucket, each user's last fill, the active traders of each bucket.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from adapters.views.tables import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_COUNTS = (
    "trades", "quote_volume", "taker_buy_volume", "taker_sell_volume", "new_users", "new_creators", "new_tokens", "new_follows"
)


def upgrade() -> None:
    op.create_table(  # one row per (bucket size, UTC-aligned start) that saw something; volumes in micro-USD
        "analytics_buckets",
        sa.Column("interval", sa.String(3), primary_key=True),
        sa.Column("start", UtcDateTime, primary_key=True),
        *(sa.Column(name, sa.BigInteger, nullable=False) for name in _COUNTS),
    )
    op.create_table(
        "analytics_last_fills",
        sa.Column("user_id", sa.Uuid, primary_key=True),
        sa.Column("last_fill_at", UtcDateTime, nullable=False),
    )
    op.create_index("analytics_last_fills_by_time", "analytics_last_fills", ["last_fill_at"])
    op.create_table(  # the users with a fill in each 1h and 1d bucket
        "analytics_traders",
        sa.Column("interval", sa.String(3), primary_key=True),
        sa.Column("start", UtcDateTime, primary_key=True),
        sa.Column("user_id", sa.Uuid, primary_key=True),
    )


def downgrade() -> None:
    for table in ("analytics_traders", "analytics_last_fills", "analytics_buckets"):
        op.drop_table(table)
