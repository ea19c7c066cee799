"""File storage in PostgreSQL, for deployments with PEOPLECOIN_DATABASE_URL: every API process sees every file.

One table of its own, ``stored_files``, in the database the views use (on the
views' connection pool), created by this adapter the first time it is used
(``CREATE TABLE IF NOT EXISTS`` under an advisory lock, so processes starting
together do not race) rather than by the views' alembic migrations:

- a file is not a view: nothing in the event log can rebuild it, while the
  views' schema and rows are what a rebuild or ``peoplecoin audit``'s scratch
  replay may recreate at will;
- the table exists only where it is used: the embedded default keeps files
  in a folder, and a migration would add an empty table to every SQLite views
  database.

A later change to the table's shape would need a step of its own here (or a
move into the migrations), said in docs/uploads.md.

A put is one ``INSERT ... ON CONFLICT DO NOTHING``: the same bytes from any
number of processes at once leave one row. An id is checked (64 lowercase hex
digits) before it is used; anything else is simply not found.
"""

from __future__ import annotations

import asyncio
import hashlib

from sqlalchemy import CheckConstraint, Column, DateTime, Integer, LargeBinary, MetaData, String, Table, func, select, text
from sqlalchemy.dialects.postgresql import insert

from adapters.views.database import ViewDatabase
from application.files import is_file_id
from application.ports import CleanFile, StoredFile

SCHEMA_LOCK = int.from_bytes(hashlib.sha256(b"peoplecoin:stored-files-schema").digest()[:8], "big", signed=True)

metadata = MetaData()
stored_files = Table(
    "stored_files",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("content_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("width", Integer),
    Column("height", Integer),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("size = octet_length(data)", name="stored_files_size_is_the_data"),
)


class PostgresFileStorage:
    def __init__(self, db: ViewDatabase) -> None:
        if db.is_sqlite:
            raise ValueError("PostgresFileStorage needs PostgreSQL; the embedded default keeps files in a folder")
        self._db = db
        self._schema_ready = False
        self._schema_lock = asyncio.Lock()

    async def put(self, file: CleanFile) -> StoredFile:
        await self._ensure_schema()
        stored = StoredFile(
            hashlib.sha256(file.data).hexdigest(), str(file.content_type), len(file.data), file.width, file.height
        )
        statement = insert(stored_files).values(
            id=stored.id,
            content_type=stored.content_type,
            size=stored.size,
            width=stored.width,
            height=stored.height,
            data=file.data,
        )
        async with self._db.engine.begin() as conn:
            await conn.execute(statement.on_conflict_do_nothing(index_elements=[stored_files.c.id]))
        return stored

    async def get(self, file_id: str) -> tuple[StoredFile, bytes] | None:
        if not is_file_id(file_id):
            return None
        await self._ensure_schema()
        c = stored_files.c
        async with self._db.engine.connect() as conn:
            row = (
                await conn.execute(select(c.content_type, c.size, c.width, c.height, c.data).where(c.id == file_id))
            ).one_or_none()
        if row is None:
            return None
        return StoredFile(file_id, row.content_type, row.size, row.width, row.height), bytes(row.data)

    async def _ensure_schema(self) -> None:
        if self._schema_ready:
            return
        async with self._schema_lock:
            if self._schema_ready:
                return
            async with self._db.engine.begin() as conn:
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
                await conn.run_sync(metadata.create_all, checkfirst=True)
            self._schema_ready = True
