"""The creators view: profiles, follows, the activity feed, applications, trending topics, and listed symbols.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from adapters.views.tables import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "creators",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("user_id", sa.Uuid, nullable=False, unique=True),
        sa.Column("wallet_address", sa.String(66), nullable=False),
        sa.Column("handle", sa.String(30), nullable=False, unique=True),
        sa.Column("display_name", sa.String(80), nullable=False),
        sa.Column("headline", sa.String(160)),
        sa.Column("bio", sa.Text),
        sa.Column("avatar_url", sa.Text),
        sa.Column("banner_url", sa.Text),
        sa.Column("category", sa.String(50)),
        sa.Column("location", sa.String(120)),
        sa.Column("website", sa.Text),
        sa.Column("links", sa.JSON, nullable=False),
        sa.Column("skills", sa.JSON, nullable=False),
        sa.Column("achievements", sa.JSON, nullable=False),
        sa.Column("work_experiences", sa.JSON, nullable=False),
        sa.Column("education", sa.JSON, nullable=False),
        sa.Column("content_sections", sa.JSON, nullable=False),
        sa.Column("followers_count", sa.BigInteger, nullable=False),
        sa.Column("verified", sa.Boolean, nullable=False),
        sa.Column("token_id", sa.Uuid),
        sa.Column("token_symbol", sa.String(10)),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index("creators_by_category", "creators", ["category", "id"])
    op.create_index("creators_by_followers", "creators", ["followers_count", "id"])
    op.create_index("creators_by_created", "creators", ["created_at", "id"])
    op.create_table(
        "listed_symbols",
        sa.Column("token_id", sa.Uuid, primary_key=True),
        sa.Column("symbol", sa.String(10), nullable=False),
        sa.Column("creator_id", sa.Uuid, nullable=False),
        sa.Column("initial_price", sa.BigInteger, nullable=False),
        sa.Column("moved", sa.Boolean, nullable=False),  # |24h change| at 10 % or more at its last trade
    )
    op.create_table(  # one row: raised with every change a creator list sorts or filters by
        "creator_directory",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.create_table(  # each hour's last trade price, for the 24h change a price_move is measured by
        "token_hours",
        sa.Column("token_id", sa.Uuid, primary_key=True),
        sa.Column("hour", UtcDateTime, primary_key=True),
        sa.Column("close", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "follows",
        sa.Column("follower_id", sa.Uuid, primary_key=True),
        sa.Column("creator_id", sa.Uuid, primary_key=True),
        sa.Column("followed_at", UtcDateTime, nullable=False),
    )
    op.create_index("follows_by_follower", "follows", ["follower_id", "followed_at"])
    op.create_index("follows_by_creator", "follows", ["creator_id", "followed_at"])
    op.create_table(
        "creator_feed",
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("n", sa.Integer, primary_key=True),  # several items from one event
        sa.Column("creator_id", sa.Uuid, nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_index("creator_feed_by_creator", "creator_feed", ["creator_id", "seq"])
    op.create_table(
        "creator_applications",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("user_id", sa.Uuid, nullable=False),
        sa.Column("wallet_address", sa.String(66), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("display_name", sa.String(80), nullable=False),
        sa.Column("handle", sa.String(30), nullable=False),
        sa.Column("category", sa.String(50)),
        sa.Column("token_symbol", sa.String(10), nullable=False),
        sa.Column("token_name", sa.String(60), nullable=False),
        sa.Column("headline", sa.String(160)),
        sa.Column("bio", sa.Text),
        sa.Column("profile_urls", sa.JSON, nullable=False),
        sa.Column("invited", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("decided_at", UtcDateTime),
        sa.Column("rejection_reason", sa.Text),
        sa.Column("creator_id", sa.Uuid),
        sa.Column("token_id", sa.Uuid),
    )
    op.create_index("creator_applications_by_status", "creator_applications", ["status", "created_at"])
    op.create_index("creator_applications_by_user", "creator_applications", ["user_id", "created_at"])
    op.create_table(
        "trending_topics",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text),
        sa.Column("url", sa.Text),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("creator_ids", sa.JSON, nullable=False),
        sa.Column("published_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    for table in ("trending_topics", "creator_applications", "creator_feed", "follows", "token_hours", "creator_directory", "listed_symbols", "creators"):
        op.drop_table(table)
