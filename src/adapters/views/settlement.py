"""The settlement view in SQL (application.projections.settlement)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, fields
from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import aliased

from adapters.views.base import SqlView
from adapters.views.tables import settlement_batches as batches
from adapters.views.tables import settlement_trades as trades
from adapters.views.tables import users
from application.projections.settlement import BatchRow, LeafRow, SettlementTrade, TradeSettlement

_TRADE_FIELDS = [f.name for f in fields(SettlementTrade)]
_BATCH_FIELDS = [f.name for f in fields(BatchRow)]


class _Rows:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add_trades(self, rows: Sequence[SettlementTrade]) -> None:
        await self._conn.execute(insert(trades), [asdict(r) for r in rows])

    async def open_batch(self, row: BatchRow) -> int:
        failed = select(batches.c.sequence).where(batches.c.status == "failed")
        waiting = (
            select(trades.c.trade_id)
            .where(or_(trades.c.batch.is_(None), trades.c.batch.in_(failed)), trades.c.position < row.position)
            .order_by(trades.c.position)
        )
        ids = list((await self._conn.execute(waiting)).scalars())
        await self._conn.execute(insert(batches).values(**asdict(row)))
        if ids:
            await self._conn.execute(
                update(trades)
                .where(trades.c.trade_id == bindparam("id"))
                .values(batch=row.sequence, leaf_index=bindparam("index")),
                [{"id": trade_id, "index": index} for index, trade_id in enumerate(ids)],
            )
        return len(ids)

    async def update_batch(self, sequence: int, **changes: Any) -> None:
        await self._conn.execute(update(batches).where(batches.c.sequence == sequence).values(**changes))


def _trade(r: Any) -> SettlementTrade:
    return SettlementTrade(**{name: r[name] for name in _TRADE_FIELDS})


class SqlSettlementView(SqlView):
    name = "settlement"
    tables = (trades, batches)

    @asynccontextmanager
    async def writing(self, expected: int, position: int) -> AsyncIterator[_Rows]:
        async with self._transaction(expected, position) as conn:
            yield _Rows(conn)

    async def batches(self, limit: int, before: int | None = None) -> list[BatchRow]:
        query = select(batches).order_by(batches.c.sequence.desc()).limit(limit)
        if before is not None:
            query = query.where(batches.c.sequence < before)
        return [BatchRow(**r._mapping) for r in await self._all(query)]

    async def batch(self, sequence: int) -> BatchRow | None:
        rows = await self._all(select(batches).where(batches.c.sequence == sequence))
        return BatchRow(**rows[0]._mapping) if rows else None

    async def leaves(self, sequence: int) -> list[LeafRow]:
        buyer, seller = aliased(users), aliased(users)
        query = (
            select(trades, buyer.c.wallet_address.label("buyer_address"), seller.c.wallet_address.label("seller_address"))
            .outerjoin(buyer, buyer.c.id == trades.c.buyer_id)
            .outerjoin(seller, seller.c.id == trades.c.seller_id)
            .where(trades.c.batch == sequence)
            .order_by(trades.c.leaf_index)
        )
        return [
            LeafRow(_trade(r._mapping), r._mapping["leaf_index"], r._mapping["buyer_address"], r._mapping["seller_address"])
            for r in await self._all(query)
        ]

    async def trade(self, trade_id: UUID) -> TradeSettlement | None:
        rows = await self._all(select(trades).where(trades.c.trade_id == trade_id))
        if not rows:
            return None
        r = rows[0]._mapping
        return TradeSettlement(_trade(r), r["batch"], r["leaf_index"])

    async def settled(self, trade_ids: Sequence[UUID]) -> dict[UUID, tuple[int, str]]:
        if not trade_ids:
            return {}
        query = (
            select(trades.c.trade_id, batches.c.sequence, batches.c.digest)
            .join(batches, and_(batches.c.sequence == trades.c.batch, batches.c.status == "confirmed"))
            .where(trades.c.trade_id.in_(list(trade_ids)))
        )
        return {trade_id: (sequence, digest) for trade_id, sequence, digest in await self._all(query)}

    async def _all(self, query):  # type: ignore[no-untyped-def]
        async with self._db.engine.connect() as conn:
            return (await conn.execute(query)).all()
