"""The users view in SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.views.base import SqlView
from adapters.views.tables import users
from application.projections.users import UserRow


class _Rows:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, row: UserRow) -> None:
        await self._conn.execute(insert(users).values(**{f: getattr(row, f) for f in UserRow.__slots__}))

    async def change(self, id: UUID, at: datetime, **fields: object) -> None:
        await self._conn.execute(update(users).where(users.c.id == id).values(updated_at=at, **fields))

    async def email_pending(self, id: UUID, email: str, at: datetime) -> None:
        await self._conn.execute(
            update(users)
            .where(users.c.id == id, users.c.email_verified.is_(False))
            .values(email=email, updated_at=at)
        )


class SqlUsersView(SqlView):
    name = "users"
    tables = (users,)

    @asynccontextmanager
    async def writing(self, expected: int, position: int) -> AsyncIterator[_Rows]:
        async with self._transaction(expected, position) as conn:
            yield _Rows(conn)

    async def by_ids(self, ids: Sequence[UUID]) -> dict[UUID, UserRow]:
        if not ids:
            return {}
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(select(users).where(users.c.id.in_(list(ids))))).all()
        return {r.id: UserRow(**r._mapping) for r in rows}

    async def by_id(self, id: UUID) -> UserRow | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.id == id))).first()
        return None if row is None else UserRow(**row._mapping)
