"""The depth view in SQL: one row per token and minute boundary, its levels as JSON arrays of integers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.views.base import SqlView
from adapters.views.tables import order_book_snapshots as snapshots
from application.projections.depth import DepthSnapshot


class _Rows:
    def __init__(self, conn: AsyncConnection, upsert: Any) -> None:
        self._conn, self._upsert = conn, upsert

    async def put(self, rows: Sequence[DepthSnapshot]) -> None:
        statement = self._upsert(snapshots)
        new = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=[snapshots.c.token_id, snapshots.c.t],
            set_={"sequence": new.sequence, "bids": new.bids, "asks": new.asks},
        )
        await self._conn.execute(
            statement,
            [
                {"token_id": r.token_id, "t": r.t, "sequence": r.sequence, "bids": [list(l) for l in r.bids], "asks": [list(l) for l in r.asks]}
                for r in rows
            ],
        )


def _snapshot(row: Any) -> DepthSnapshot:
    r = row._mapping  # by name: a Row's own ``t`` is its tuple
    return DepthSnapshot(r["token_id"], r["t"], r["sequence"], [tuple(x) for x in r["bids"]], [tuple(x) for x in r["asks"]])


class SqlDepthView(SqlView):
    name = "depth"
    tables = (snapshots,)

    @asynccontextmanager
    async def writing(self, expected: int, position: int) -> AsyncIterator[_Rows]:
        async with self._transaction(expected, position) as conn:
            yield _Rows(conn, sqlite_insert if self._db.is_sqlite else pg_insert)

    async def snapshots(self, token_id: UUID, start: datetime, end: datetime) -> list[DepthSnapshot]:
        query = (
            select(snapshots)
            .where(snapshots.c.token_id == token_id, snapshots.c.t >= start, snapshots.c.t <= end)
            .order_by(snapshots.c.t)
        )
        return [_snapshot(r) for r in await self._all(query)]

    async def snapshot_before(self, token_id: UUID, t: datetime) -> DepthSnapshot | None:
        query = (
            select(snapshots)
            .where(snapshots.c.token_id == token_id, snapshots.c.t < t)
            .order_by(snapshots.c.t.desc())
            .limit(1)
        )
        rows = await self._all(query)
        return _snapshot(rows[0]) if rows else None

    async def newest_minutes(self) -> dict[UUID, datetime]:
        query = select(snapshots.c.token_id, func.max(snapshots.c.t)).group_by(snapshots.c.token_id)
        return {token_id: t for token_id, t in await self._all(query)}

    async def _all(self, query):  # type: ignore[no-untyped-def]
        async with self._db.engine.connect() as conn:
            return (await conn.execute(query)).all()
