"""The analytics view in SQL: bucket counts added by upsert, last fills kept by the later, active traders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from uuid import UUID

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.views.base import SqlView
from adapters.views.tables import analytics_buckets, analytics_last_fills, analytics_traders
from application.projections.analytics import COUNTS, Bucket

_b = analytics_buckets.c


class _Rows:
    def __init__(self, conn: AsyncConnection, upsert: type) -> None:  # type: ignore[type-arg]
        self._conn, self._upsert = conn, upsert

    async def add_to_buckets(self, rows: Sequence[Bucket]) -> None:
        statement = self._upsert(analytics_buckets)  # type: ignore[operator]
        statement = statement.on_conflict_do_update(
            index_elements=[_b.interval, _b.start],
            set_={name: _b[name] + statement.excluded[name] for name in COUNTS},
        )
        await self._conn.execute(
            statement, [{"interval": r.interval, "start": r.start, **{n: getattr(r, n) for n in COUNTS}} for r in rows]
        )

    async def mark_fills(self, last_fill: Mapping[UUID, datetime]) -> None:
        statement = self._upsert(analytics_last_fills)  # type: ignore[operator]
        new, old = statement.excluded.last_fill_at, analytics_last_fills.c.last_fill_at
        statement = statement.on_conflict_do_update(
            index_elements=[analytics_last_fills.c.user_id], set_={"last_fill_at": case((new > old, new), else_=old)}
        )
        await self._conn.execute(statement, [{"user_id": u, "last_fill_at": at} for u, at in last_fill.items()])

    async def mark_traders(self, rows: Sequence[tuple[str, datetime, UUID]]) -> None:
        statement = self._upsert(analytics_traders).on_conflict_do_nothing()  # type: ignore[operator]
        await self._conn.execute(statement, [{"interval": i, "start": s, "user_id": u} for i, s, u in rows])


class SqlAnalyticsView(SqlView):
    name = "analytics"
    tables = (analytics_buckets, analytics_last_fills, analytics_traders)

    @asynccontextmanager
    async def writing(self, expected: int, position: int) -> AsyncIterator[_Rows]:
        async with self._transaction(expected, position) as conn:
            yield _Rows(conn, sqlite_insert if self._db.is_sqlite else pg_insert)

    async def sums(self, interval: str, start: datetime | None, end: datetime | None) -> Bucket:
        query = select(*(func.coalesce(func.sum(_b[n]), 0) for n in COUNTS)).where(_b.interval == interval)
        if start is not None:
            query = query.where(_b.start >= start)
        if end is not None:
            query = query.where(_b.start < end)
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(query)).one()
        return Bucket(interval, start, *(int(v) for v in row))

    async def buckets(self, interval: str, start: datetime, end: datetime) -> list[Bucket]:
        query = (
            select(_b.interval, _b.start, *(_b[n] for n in COUNTS))
            .where(_b.interval == interval, _b.start >= start, _b.start < end)
            .order_by(_b.start)
        )
        async with self._db.engine.connect() as conn:
            return [Bucket(*row) for row in await conn.execute(query)]

    async def active_traders(self, since: datetime) -> int:
        query = select(func.count()).select_from(analytics_last_fills).where(analytics_last_fills.c.last_fill_at > since)
        async with self._db.engine.connect() as conn:
            return int(await conn.scalar(query) or 0)

    async def traders(self, interval: str, start: datetime, end: datetime) -> dict[datetime, int]:
        t = analytics_traders.c
        query = (
            select(t.start, func.count())
            .where(t.interval == interval, t.start >= start, t.start < end)
            .group_by(t.start)
        )
        async with self._db.engine.connect() as conn:
            return {at: int(n) for at, n in await conn.execute(query)}
