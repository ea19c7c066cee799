"""The categories view in SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from uuid import UUID

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.views.base import SqlView
from adapters.views.tables import categories
from application.projections.categories import CategoryRow


class _Rows:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, row: CategoryRow) -> None:
        await self._conn.execute(
            insert(categories).values(
                id=row.id, slug=row.slug, name=row.name, created_at=row.created_at, updated_at=row.updated_at
            )
        )

    async def rename(self, id: UUID, name: str, at: datetime) -> None:
        await self._conn.execute(update(categories).where(categories.c.id == id).values(name=name, updated_at=at))


class SqlCategoriesView(SqlView):
    name = "categories"
    tables = (categories,)

    @asynccontextmanager
    async def writing(self, expected: int, position: int) -> AsyncIterator[_Rows]:
        async with self._transaction(expected, position) as conn:
            yield _Rows(conn)

    async def page(self, limit: int, after_slug: str | None = None, slug: str | None = None) -> list[CategoryRow]:
        query = select(categories).order_by(categories.c.slug).limit(limit)
        if after_slug is not None:
            query = query.where(categories.c.slug > after_slug)
        if slug is not None:
            query = query.where(categories.c.slug == slug)
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [CategoryRow(r.id, r.slug, r.name, r.created_at, r.updated_at) for r in rows]
