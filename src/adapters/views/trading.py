"""Tokens, orders and fills views in SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, case, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.views.base import SqlView
from adapters.views.tables import fills, orders, tokens
from application.projections.trading import FillRow, OrderProgress, OrderRow, TokenRow

OPEN_STATUSES = ("open", "partially_filled")


class _TokenRows:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, row: TokenRow) -> None:
        await self._conn.execute(insert(tokens).values(**{f: getattr(row, f) for f in TokenRow.__slots__}))


class SqlTokensView(SqlView):
    name = "tokens"
    tables = (tokens,)

    @asynccontextmanager
    async def writing(self, expected: int, position: int) -> AsyncIterator[_TokenRows]:
        async with self._transaction(expected, position) as conn:
            yield _TokenRows(conn)

    async def by_id(self, id: UUID) -> TokenRow | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(tokens).where(tokens.c.id == id))).first()
        return None if row is None else TokenRow(**row._mapping)


class _TradingRows:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_orders(self, rows: Sequence[OrderRow]) -> None:
        await self._conn.execute(insert(orders), [{f: getattr(r, f) for f in OrderRow.__slots__} for r in rows])

    async def fill_orders(self, progress: Sequence[OrderProgress]) -> None:
        filled = orders.c.filled + bindparam("p_quantity")
        statement = (
            update(orders)
            .where(orders.c.id == bindparam("p_id"))
            .values(
                filled=filled,
                notional=orders.c.notional + bindparam("p_notional"),
                fees=orders.c.fees + bindparam("p_fees"),
                status=case(((orders.c.quantity > 0) & (filled >= orders.c.quantity), "filled"), else_="partially_filled"),
                updated_at=bindparam("p_at"),
            )
        )
        await self._conn.execute(
            statement,
            [{"p_id": p.id, "p_quantity": p.quantity, "p_notional": p.notional, "p_fees": p.fees, "p_at": p.at} for p in progress],
        )

    async def close_orders(self, closes: Sequence[tuple[UUID, str, datetime]]) -> None:
        statement = (
            update(orders)
            .where(orders.c.id == bindparam("p_id"))
            .values(status=bindparam("p_status"), updated_at=bindparam("p_at"))
        )
        await self._conn.execute(statement, [{"p_id": i, "p_status": s, "p_at": a} for i, s, a in closes])

    async def add_fills(self, rows: Sequence[FillRow]) -> None:
        await self._conn.execute(insert(fills), [{f: getattr(r, f) for f in FillRow.__slots__} for r in rows])


class SqlTradingView(SqlView):
    name = "trading"
    tables = (orders, fills)

    @asynccontextmanager
    async def writing(self, expected: int, position: int) -> AsyncIterator[_TradingRows]:
        async with self._transaction(expected, position) as conn:
            yield _TradingRows(conn)

    async def order(self, id: UUID) -> OrderRow | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(select(orders).where(orders.c.id == id))).first()
        return None if row is None else OrderRow(**row._mapping)

    async def orders(
        self, user_id: UUID, status: str, token_id: UUID | None, limit: int, before_seq: int | None
    ) -> list[OrderRow]:
        query = select(orders).where(orders.c.user_id == user_id).order_by(orders.c.seq.desc()).limit(limit)
        if status == "open":
            query = query.where(orders.c.status.in_(OPEN_STATUSES))
        elif status == "closed":
            query = query.where(orders.c.status.not_in(OPEN_STATUSES))
        if token_id is not None:
            query = query.where(orders.c.token_id == token_id)
        if before_seq is not None:
            query = query.where(orders.c.seq < before_seq)
        async with self._db.engine.connect() as conn:
            return [OrderRow(**r._mapping) for r in await conn.execute(query)]

    async def fills(self, user_id: UUID, token_id: UUID | None, limit: int, before_seq: int | None) -> list[FillRow]:
        query = select(fills).where(fills.c.user_id == user_id).order_by(fills.c.seq.desc()).limit(limit)
        if token_id is not None:
            query = query.where(fills.c.token_id == token_id)
        if before_seq is not None:
            query = query.where(fills.c.seq < before_seq)
        async with self._db.engine.connect() as conn:
            return [FillRow(**r._mapping) for r in await conn.execute(query)]
