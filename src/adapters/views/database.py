"""The views' database: one async engine, migrated to head at start-up.

SQLite runs in WAL mode with real transactions (the driver's implicit ones
are turned off and we say BEGIN ourselves), so a batch's rows and its
position commit together there as on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.views.tables import projection_positions

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 7_401_990_311  # an arbitrary key for PostgreSQL's advisory lock

# SQLSTATE classes and codes that are about the database, not the data: connection (08), invalid transaction
# state (25: a read-only replica after a failover), transaction rolled back (40: serialization, deadlock), syntax or
# access (42: a table or column missing, privileges), insufficient resources (53), object in use or locked (55),
# operator intervention (57: shutdown, statement timeout), system error (58).
_NOT_THE_DATA = ("08", "25", "40", "42", "53", "55", "57", "58")


def sqlalchemy_url(database_url: str) -> str:
    """``postgresql://…`` as SQLAlchemy's asyncpg URL; SQLAlchemy URLs pass through."""
    for scheme in ("postgresql://", "postgres://"):
        if database_url.startswith(scheme):
            return "postgresql+asyncpg://" + database_url[len(scheme) :]
    return database_url


class ViewDatabase:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine: AsyncEngine = create_async_engine(url)
            real_sqlite_transactions(self.engine)
        else:
            # No pre-ping: it is a round trip on every checkout; a connection found dead is dropped and the
            # next checkout gets a fresh one.
            self.engine = create_async_engine(url, pool_size=10, max_overflow=10, pool_recycle=1800)

    async def migrate(self, views: Iterable[str]) -> None:
        """Bring the schema to head and give every view a position row; safe to run from many processes."""
        async with self.engine.begin() as conn:
            if not self.is_sqlite:
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            await conn.run_sync(_upgrade)
            insert = sqlite_insert if self.is_sqlite else pg_insert
            for name in views:
                await conn.execute(
                    insert(projection_positions).values(name=name, position=0).on_conflict_do_nothing()
                )

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(select(1))

    async def close(self) -> None:
        await self.engine.dispose()


def is_unavailable(error: BaseException) -> bool:
    """True when the database failed rather than the rows written: trying later (or after a fix) can help, and
    setting the events aside would not. SQLite says so as OperationalError (locked, I/O, no such table)."""
    if isinstance(error, OSError | TimeoutError | PoolTimeout | OperationalError):
        return True
    if isinstance(error, DBAPIError):
        state = getattr(error.orig, "sqlstate", None) or ""
        return error.connection_invalidated or state.startswith(_NOT_THE_DATA)
    return False


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def real_sqlite_transactions(engine: AsyncEngine, *, immediate: bool = False) -> None:
    """WAL, a busy timeout, and transactions we begin ourselves; ``immediate`` takes the write lock at BEGIN, so
    two connections that read then write queue up instead of one failing with "database is locked"."""
    begin_statement = "BEGIN IMMEDIATE" if immediate else "BEGIN"

    @event.listens_for(engine.sync_engine, "connect")
    def connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin_statement)
