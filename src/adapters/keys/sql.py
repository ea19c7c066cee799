"""Expiring keys in the SQL database (SQLite or PostgreSQL), for deployments without Redis.

put_if_absent is one INSERT ... ON CONFLICT that overwrites only an expired
row, so of two racing callers exactly one sees its row written. Expired
rows are swept now and then by the writes themselves.
"""

from __future__ import annotations

import time

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from adapters.views.database import ViewDatabase
from adapters.views.tables import expiring_keys

SWEEP_EVERY = 500  # writes


class SqlExpiringKeys:
    def __init__(self, db: ViewDatabase) -> None:
        self._db = db
        self._insert = sqlite_insert if db.is_sqlite else pg_insert
        self._writes = 0

    async def put(self, key: str, value: bytes, ttl_seconds: float) -> None:
        statement = self._insert(expiring_keys).values(key=key, value=value, expires_at=time.time() + ttl_seconds)
        statement = statement.on_conflict_do_update(
            index_elements=[expiring_keys.c.key],
            set_={"value": statement.excluded.value, "expires_at": statement.excluded.expires_at},
        )
        async with self._db.engine.begin() as conn:
            await conn.execute(statement)
        await self._maybe_sweep()

    async def get(self, key: str) -> bytes | None:
        async with self._db.engine.connect() as conn:
            return await conn.scalar(
                select(expiring_keys.c.value).where(expiring_keys.c.key == key, expiring_keys.c.expires_at > time.time())
            )

    async def put_if_absent(self, key: str, value: bytes, ttl_seconds: float) -> bool:
        now = time.time()
        statement = self._insert(expiring_keys).values(key=key, value=value, expires_at=now + ttl_seconds)
        statement = statement.on_conflict_do_update(
            index_elements=[expiring_keys.c.key],
            set_={"value": statement.excluded.value, "expires_at": statement.excluded.expires_at},
            where=expiring_keys.c.expires_at <= now,
        )
        async with self._db.engine.begin() as conn:
            written = (await conn.execute(statement)).rowcount == 1
        await self._maybe_sweep()
        return written

    async def _maybe_sweep(self) -> None:
        self._writes += 1
        if self._writes % SWEEP_EVERY == 0:
            async with self._db.engine.begin() as conn:
                await conn.execute(delete(expiring_keys).where(expiring_keys.c.expires_at <= time.time()))
