"""The portfolio view in SQL: positions per user and asset, and the balance history's points."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from itertools import islice
from uuid import UUID

from sqlalchemy import and_, bindparam, func, insert, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.views.base import SqlView
from adapters.views.tables import portfolio_history, portfolio_positions, portfolio_withdrawals, projection_positions
from application.projections.portfolio import BalancePoint, Position, PositionKey, WithdrawalRow

CHUNK = 400  # keys per read: two parameters each, under every SQLite's limit

_POSITION_FIELDS = Position.__slots__  # type: ignore[attr-defined]
_POINT_FIELDS = BalancePoint.__slots__
_WITHDRAWAL_FIELDS = WithdrawalRow.__slots__


class _Rows:
    def __init__(self, conn: AsyncConnection, upsert: type) -> None:  # type: ignore[type-arg]
        self._conn, self._upsert = conn, upsert

    async def positions(self, keys: Iterable[PositionKey]) -> list[Position]:
        found: list[Position] = []
        pending = iter(keys)
        while chunk := list(islice(pending, CHUNK)):
            of = portfolio_positions.c
            query = select(portfolio_positions).where(tuple_(of.user_id, of.asset).in_(chunk))
            found += [Position(**r._mapping) for r in await self._conn.execute(query)]
        return found

    async def save_positions(self, rows: Sequence[Position]) -> None:
        if rows:
            await self._replace(portfolio_positions, [_fields(r, _POSITION_FIELDS) for r in rows])

    async def save_points(self, rows: Sequence[BalancePoint]) -> None:
        if rows:
            await self._replace(portfolio_history, [_fields(r, _POINT_FIELDS) for r in rows])

    async def add_withdrawals(self, rows: Sequence[WithdrawalRow]) -> None:
        await self._conn.execute(insert(portfolio_withdrawals), [_fields(r, _WITHDRAWAL_FIELDS) for r in rows])

    async def end_withdrawals(self, outcomes: Sequence[tuple[UUID, str, str | None, datetime]]) -> None:
        of = portfolio_withdrawals.c
        statement = (
            update(portfolio_withdrawals)
            .where(of.id == bindparam("key"))
            .values(status=bindparam("new_status"), digest=bindparam("new_digest"), updated_at=bindparam("at"))
        )
        await self._conn.execute(
            statement, [{"key": i, "new_status": s, "new_digest": d, "at": at} for i, s, d, at in outcomes]
        )

    async def _replace(self, table, values: list[dict[str, object]]) -> None:  # type: ignore[no-untyped-def]
        statement = self._upsert(table)  # type: ignore[operator]
        keys = [c.name for c in table.primary_key.columns]
        statement = statement.on_conflict_do_update(
            index_elements=keys,
            set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys},
        )
        await self._conn.execute(statement, values)


def _fields(row: object, names: Sequence[str]) -> dict[str, object]:
    return {name: getattr(row, name) for name in names}


class SqlPortfolioView(SqlView):
    name = "portfolio"
    tables = (portfolio_positions, portfolio_history, portfolio_withdrawals)

    @asynccontextmanager
    async def writing(self, expected: int, position: int) -> AsyncIterator[_Rows]:
        async with self._transaction(expected, position) as conn:
            yield _Rows(conn, sqlite_insert if self._db.is_sqlite else pg_insert)

    async def holdings(self, user_id: UUID) -> tuple[int, list[Position]]:
        at = select(projection_positions.c.position).where(projection_positions.c.name == self.name)
        query = select(portfolio_positions).where(portfolio_positions.c.user_id == user_id)
        async with self._snapshot() as conn:  # the rows are those of the position read
            position = await conn.scalar(at)
            rows = [Position(**r._mapping) for r in await conn.execute(query)]
        return position or 0, rows

    async def points(self, user_id: UUID, interval: str, start: datetime, end: datetime) -> list[BalancePoint]:
        of = portfolio_history.c
        mine = and_(of.user_id == user_id, of.interval == interval)
        last = select(of.asset, func.max(of.start).label("start")).where(mine, of.start < start).group_by(of.asset).subquery()
        before = select(portfolio_history).join(
            last, and_(of.asset == last.c.asset, of.start == last.c.start)
        ).where(mine)
        inside = select(portfolio_history).where(mine, of.start >= start, of.start < end)
        async with self._snapshot() as conn:
            rows = [*await conn.execute(before), *await conn.execute(inside)]
        return sorted((BalancePoint(**r._mapping) for r in rows), key=lambda p: (p.start, p.asset))

    async def withdrawals(self, user_id: UUID, limit: int, after: tuple[datetime, UUID] | None) -> list[WithdrawalRow]:
        of = portfolio_withdrawals.c
        query = (
            select(portfolio_withdrawals)
            .where(of.user_id == user_id)
            .order_by(of.created_at.desc(), of.id.desc())
            .limit(limit)
        )
        if after is not None:
            at, last = after
            query = query.where(or_(of.created_at < at, and_(of.created_at == at, of.id < last)))
        async with self._db.engine.connect() as conn:
            return [WithdrawalRow(**r._mapping) for r in await conn.execute(query)]
