"""PLACEHOLDER for the creators view's tables, written in another branch; this file is replaced by that one.

It only holds the revision chain together so that 0008 (creator search) can be
migrated and tested on this branch.

Revision ID: 0007
Revises: 0006
"""

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
