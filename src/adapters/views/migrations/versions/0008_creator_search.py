"""The creator search index (adapters/views/creator_search.py): a tsvector on PostgreSQL, FTS5 on SQLite.

Both hold ``creator_search``, one row per creator, written by one upsert.

PostgreSQL: the document is a tsvector the adapter writes word by word (no
text search configuration or extension is needed), with a GIN index, which
also serves prefix queries (``'ali':*``). The index has ``fastupdate`` off:
with it on, the entries of a rebuild wait in GIN's pending list, which every
search reads through until a vacuum merges it, and the planner then prefers
a sequential scan (bench.creator_search: 3-8 ms a query where 0.2-1 ms is
the index's own figure). Profiles change seldom, so a put pays instead
(~0.9 ms instead of ~0.4 ms on the bench machine).

SQLite: ``creator_search`` holds each field's words and is the external
content of the FTS5 table ``creator_search_fts``; three triggers keep the
index in step with it, as SQLite's FTS5 documentation sets out, so a put or
a removal is one statement and the text is stored once. FTS5 must be
compiled into the SQLite the process links; when it is not, this migration
stops with a message rather than leaving search broken.

The index starts empty: the creators view fills it as it projects (0007 and
0008 ship together, so that view is built from the log with it).

Revision ID: 0008
Revises: 0007
"""

import sqlite3

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.exc import OperationalError

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_FIELDS = ("display_name", "handle", "symbol", "headline", "skills", "bio")
_INDEXED = ", ".join(("creator_id", *_FIELDS))


def _values(row: str) -> str:
    return ", ".join(f"{row}.{c}" for c in ("id", "creator_id", *_FIELDS))


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_table(
            "creator_search",
            sa.Column("creator_id", sa.Uuid, primary_key=True),
            sa.Column("handle", sa.Text, nullable=False),
            sa.Column("symbol", sa.Text),
            sa.Column("document", TSVECTOR, nullable=False),
        )
        op.create_index(
            "creator_search_document",
            "creator_search",
            ["document"],
            postgresql_using="gin",
            postgresql_with={"fastupdate": "off"},
        )
        return
    op.create_table(
        "creator_search",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("creator_id", sa.Uuid, nullable=False, unique=True),
        *(sa.Column(c, sa.Text) for c in _FIELDS),
    )
    try:
        op.execute(
            "CREATE VIRTUAL TABLE creator_search_fts USING fts5("
            "creator_id UNINDEXED, display_name, handle, symbol, headline, skills, bio, "
            "content = 'creator_search', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2')"
        )
    except OperationalError as error:
        raise RuntimeError(
            f"creator search needs SQLite's FTS5, which SQLite {sqlite3.sqlite_version} here lacks: {error}"
        ) from error
    add = f"INSERT INTO creator_search_fts (rowid, {_INDEXED}) VALUES ({_values('new')});"
    take = (
        f"INSERT INTO creator_search_fts (creator_search_fts, rowid, {_INDEXED}) VALUES ('delete', {_values('old')});"
    )
    op.execute(f"CREATE TRIGGER creator_search_added AFTER INSERT ON creator_search BEGIN {add} END")
    op.execute(f"CREATE TRIGGER creator_search_removed AFTER DELETE ON creator_search BEGIN {take} END")
    op.execute(f"CREATE TRIGGER creator_search_changed AFTER UPDATE ON creator_search BEGIN {take} {add} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("creator_search_document", "creator_search")
        op.drop_table("creator_search")
        return
    for trigger in ("creator_search_added", "creator_search_removed", "creator_search_changed"):
        op.execute(f"DROP TRIGGER {trigger}")
    op.execute("DROP TABLE creator_search_fts")
    op.drop_table("creator_search")
