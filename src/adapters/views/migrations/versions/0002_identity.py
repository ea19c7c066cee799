"""Sign-in state and the users view: expiring keys (challenges, revocations) and users.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from adapters.views.tables import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "expiring_keys",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.LargeBinary, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("expiring_keys_expires_at", "expiring_keys", ["expires_at"])
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("wallet_address", sa.String(66), nullable=False, unique=True),
        sa.Column("username", sa.String(30), unique=True),
        sa.Column("display_name", sa.String(50)),
        sa.Column("bio", sa.Text),
        sa.Column("avatar_url", sa.String(500)),
        sa.Column("email", sa.String(254)),
        sa.Column("email_verified", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("users")
    op.drop_index("expiring_keys_expires_at", "expiring_keys")
    op.drop_table("expiring_keys")
