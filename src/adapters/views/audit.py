"""What the views audit needs from SQL: every view's rows in one snapshot, and a scratch database to replay into.

The scratch database is of the live one's kind: a temporary PostgreSQL
database (created and dropped here) beside a PostgreSQL deployment, a
temporary SQLite file beside SQLite. A PostgreSQL role that may not create
databases gets a SQLite file instead, and the summary says so; values are
read as plain text and numbers so the same rows compare equal on both.
"""

from __future__ import annotations

import logging
import secrets
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from adapters.views.base import SqlView
from adapters.views.database import ViewDatabase
from adapters.views.tables import dead_letters, projection_positions
from application.audit import Key, Row, ViewContents

log = logging.getLogger(__name__)

INSUFFICIENT_PRIVILEGE = "42501"


class SqlViewReader:
    def __init__(self, db: ViewDatabase, views: Sequence[SqlView]) -> None:
        self._db, self._views = db, views

    async def read(self) -> dict[str, ViewContents]:
        """One transaction (REPEATABLE READ on PostgreSQL, a WAL read snapshot on SQLite) for every table."""
        async with self._db.engine.connect() as conn:
            if not self._db.is_sqlite:
                await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                positions: dict[str, int] = {name: at for name, at in await conn.execute(select(projection_positions))}
                letters = (await conn.execute(select(dead_letters.c.view, dead_letters.c.position))).all()
                found = {}
                for view in self._views:
                    tables: dict[str, dict[Key, Row]] = {}
                    for table in view.tables:
                        keys = [column.name for column in table.primary_key.columns]
                        tables[table.name] = {
                            tuple(plain(row[k]) for k in keys): {c: plain(v) for c, v in row.items()}
                            for row in (await conn.execute(select(table))).mappings()
                        }
                    aside = tuple(sorted(p for v, p in letters if v == view.name))
                    found[view.name] = ViewContents(positions.get(view.name, 0), tables, aside)
        return found


def plain(value: object) -> object:
    """A column's value as text or a number, the same whichever database returned it."""
    match value:
        case UUID():
            return str(value)
        case datetime():
            return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
        case Decimal():
            return int(value) if value == value.to_integral_value() else str(value)
        case bytes() | memoryview():
            return bytes(value).hex()
        case _:
            return value


@asynccontextmanager
async def scratch_database(live: ViewDatabase) -> AsyncIterator[tuple[ViewDatabase, str]]:
    """An empty views database of the live one's kind, gone afterwards; and a line saying what it is."""
    fallback = ""
    if not live.is_sqlite:
        name = f"peoplecoin_audit_{secrets.token_hex(6)}"
        try:
            await _autocommit(live, f'CREATE DATABASE "{name}"')
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
                raise
            log.warning("this role may not create databases; the audit replays into a SQLite file instead")
            fallback = " (the PostgreSQL role may not create databases)"
        else:
            scratch = ViewDatabase(live.engine.url.set(database=name).render_as_string(hide_password=False))
            try:
                yield scratch, f"a temporary PostgreSQL database, {name}, dropped afterwards"
            finally:
                await scratch.close()
                await _autocommit(live, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
    with tempfile.TemporaryDirectory(prefix="peoplecoin-audit-") as folder:
        scratch = ViewDatabase(f"sqlite+aiosqlite:///{Path(folder) / 'views.sqlite3'}")
        try:
            yield scratch, "a scratch SQLite file" + fallback
        finally:
            await scratch.close()


async def _autocommit(db: ViewDatabase, statement: str) -> None:
    async with db.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(statement))
