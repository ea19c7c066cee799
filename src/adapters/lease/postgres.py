"""The production lease: a PostgreSQL session advisory lock, held on a connection of its own.

The lock lives exactly as long as that connection: if the process dies, or
the connection is cut (network, a server restart, an operator's
pg_terminate_backend), PostgreSQL releases it and a standby may take it.
The holder learns of a loss by a heartbeat on the connection; until then the
fence (see adapters.eventstore.postgres) keeps its appends out of the log.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

import psycopg

log = logging.getLogger(__name__)

def lock_key(name: str) -> int:
    """An advisory lock's key for a name (one lock per kind of single process)."""
    return int.from_bytes(hashlib.sha256(b"peoplecoin:" + name.encode()).digest()[:8], "big", signed=True)


LOCK_KEY = lock_key("engine-writer")
SETTLER_LOCK_KEY = lock_key("settler")


class PostgresAdvisoryLease:
    def __init__(self, url: str, heartbeat: float = 1.0, key: int = LOCK_KEY) -> None:
        self._url, self._heartbeat, self._key = url, heartbeat, key
        self._connection: psycopg.AsyncConnection[tuple[object, ...]] | None = None

    async def acquire(self) -> bool:
        if self._connection is not None:
            return True
        connection = await psycopg.AsyncConnection.connect(self._url, autocommit=True, application_name="peoplecoin-engine-lease")
        try:
            cursor = await connection.execute("SELECT pg_try_advisory_lock(%s)", (self._key,))
            row = await cursor.fetchone()
        except BaseException:
            await connection.close()
            raise
        if not row or not row[0]:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def lost(self) -> None:
        """Return when the lock's connection no longer answers (or the lease was released)."""
        while (connection := self._connection) is not None:
            try:
                await asyncio.wait_for(connection.execute("SELECT 1"), timeout=max(self._heartbeat * 5, 5))
            except Exception as error:
                log.error("the engine lease's connection failed: %s", error)
                await self._drop()
                return
            await asyncio.sleep(self._heartbeat)

    async def release(self) -> None:
        connection = self._connection
        if connection is None:
            return
        try:
            await connection.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
        except Exception:
            pass  # closing the connection releases it anyway
        await self._drop()

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:
                pass
