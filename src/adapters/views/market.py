"""Market views in SQL: public trades, candles, holdings, transactions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, bindparam, case, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.views.base import SqlView
from adapters.views.tables import candles, holdings, public_trades, transactions, wallets
from application.projections.market import Candle, Holding, Outcome, PublicTrade, Transaction, WindowTotals


class _Rows:
    def __init__(self, conn: AsyncConnection, upsert: type) -> None:  # type: ignore[type-arg]
        self._conn, self._upsert = conn, upsert

    async def add_trades(self, rows: Sequence[PublicTrade]) -> None:
        await self._conn.execute(insert(public_trades), [_fields(r) for r in rows])

    async def merge_candles(self, rows: Sequence[Candle]) -> None:
        statement = self._upsert(candles)  # type: ignore[operator]
        new = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=[candles.c.token_id, candles.c.interval, candles.c.start],
            set_={
                "high": case((new.high > candles.c.high, new.high), else_=candles.c.high),
                "low": case((new.low < candles.c.low, new.low), else_=candles.c.low),
                "close": new.close,
                "volume": candles.c.volume + new.volume,
                "quote_volume": candles.c.quote_volume + new.quote_volume,
                "trades": candles.c.trades + new.trades,
            },
        )
        await self._conn.execute(statement, [_fields(c) for c in rows])

    async def add_to_holdings(self, changes: Sequence[Holding]) -> None:
        statement = self._upsert(holdings)  # type: ignore[operator]
        statement = statement.on_conflict_do_update(
            index_elements=[holdings.c.token_id, holdings.c.user_id],
            set_={"quantity": holdings.c.quantity + statement.excluded.quantity},
        )
        await self._conn.execute(
            statement, [{"token_id": h.token_id, "user_id": h.user_id, "quantity": h.quantity} for h in changes]
        )

    async def name_wallets(self, addresses: Mapping[UUID, str]) -> None:
        statement = self._upsert(wallets)  # type: ignore[operator]
        statement = statement.on_conflict_do_update(
            index_elements=[wallets.c.user_id], set_={"wallet_address": statement.excluded.wallet_address}
        )
        await self._conn.execute(statement, [{"user_id": u, "wallet_address": a} for u, a in addresses.items()])

    async def add_transactions(self, rows: Sequence[Transaction]) -> None:
        await self._conn.execute(insert(transactions), [_fields(r) for r in rows])

    async def end_withdrawals(self, outcomes: Sequence[Outcome]) -> None:
        of = transactions.c
        statement = (
            update(transactions)
            .where(of.kind == "withdrawal", of.reference == bindparam("ref"))
            .values(status=bindparam("new_status"), digest=bindparam("new_digest"))
        )
        await self._conn.execute(
            statement, [{"ref": o.reference, "new_status": o.status, "new_digest": o.digest} for o in outcomes]
        )


def _fields(row: object) -> dict[str, object]:
    return {name: getattr(row, name) for name in row.__slots__}  # type: ignore[attr-defined]


class SqlMarketView(SqlView):
    name = "market"
    tables = (public_trades, candles, holdings, wallets, transactions)

    @asynccontextmanager
    async def writing(self, expected: int, position: int) -> AsyncIterator[_Rows]:
        async with self._transaction(expected, position) as conn:
            yield _Rows(conn, sqlite_insert if self._db.is_sqlite else pg_insert)

    async def trades(self, token_id: UUID, limit: int, before_seq: int | None) -> list[PublicTrade]:
        query = select(public_trades).where(public_trades.c.token_id == token_id).order_by(public_trades.c.seq.desc()).limit(limit)
        if before_seq is not None:
            query = query.where(public_trades.c.seq < before_seq)
        return [PublicTrade(**r._mapping) for r in await self._all(query)]

    async def candles(self, token_id: UUID, interval: str, start: datetime, end: datetime) -> list[Candle]:
        query = (
            select(candles)
            .where(candles.c.token_id == token_id, candles.c.interval == interval, candles.c.start >= start, candles.c.start < end)
            .order_by(candles.c.start)
        )
        return [Candle(**r._mapping) for r in await self._all(query)]

    async def candle_before(self, token_id: UUID, interval: str, start: datetime) -> Candle | None:
        query = (
            select(candles)
            .where(candles.c.token_id == token_id, candles.c.interval == interval, candles.c.start < start)
            .order_by(candles.c.start.desc())
            .limit(1)
        )
        rows = await self._all(query)
        return Candle(**rows[0]._mapping) if rows else None

    async def window(self, interval: str, start: datetime, end: datetime) -> dict[UUID, WindowTotals]:
        """Four grouped reads over the candles' primary key, whatever the number of tokens."""
        of = candles.c
        inside = and_(of.interval == interval, of.start >= start, of.start < end)
        sums = select(of.token_id, func.sum(of.volume), func.sum(of.quote_volume), func.max(of.high), func.min(of.low)).where(inside).group_by(of.token_id)
        found: dict[UUID, list[object]] = {r[0]: [int(r[1]), int(r[2]), r[3], r[4], None, None, None] for r in await self._all(sums)}

        async def edge(where: object, pick: object, column: object, slot: int) -> None:
            bound = select(of.token_id, pick.label("start")).where(where).group_by(of.token_id).subquery()  # type: ignore[attr-defined]
            query = select(of.token_id, column).join(
                bound, and_(of.token_id == bound.c.token_id, of.start == bound.c.start, of.interval == interval)
            )
            for token_id, value in await self._all(query):
                found.setdefault(token_id, [0, 0, None, None, None, None, None])[slot] = value

        await edge(inside, func.min(of.start), of.open, 4)
        await edge(inside, func.max(of.start), of.close, 5)
        await edge(and_(of.interval == interval, of.start < start), func.max(of.start), of.close, 6)
        return {token_id: WindowTotals(*v) for token_id, v in found.items()}  # type: ignore[arg-type]

    async def holders(self, token_id: UUID, limit: int, offset: int) -> list[Holding]:
        query = (
            select(holdings, wallets.c.wallet_address)
            .join(wallets, wallets.c.user_id == holdings.c.user_id, isouter=True)
            .where(holdings.c.token_id == token_id, holdings.c.quantity > 0)
            .order_by(holdings.c.quantity.desc(), holdings.c.user_id)
            .limit(limit)
            .offset(offset)
        )
        return [Holding(**r._mapping) for r in await self._all(query)]

    async def holders_count(self, token_id: UUID) -> int:
        query = select(func.count()).select_from(holdings).where(holdings.c.token_id == token_id, holdings.c.quantity > 0)
        async with self._db.engine.connect() as conn:
            return int(await conn.scalar(query) or 0)

    async def transactions(
        self, user_id: UUID, limit: int, after: tuple[int, str, str] | None, kind: str | None = None
    ) -> list[Transaction]:
        t = transactions.c
        query = select(transactions).where(t.user_id == user_id).order_by(t.seq.desc(), t.kind, t.asset).limit(limit)
        if kind is not None:
            query = query.where(t.kind == kind)
        if after is not None:
            seq, kind, asset = after
            query = query.where(
                or_(t.seq < seq, and_(t.seq == seq, or_(t.kind > kind, and_(t.kind == kind, t.asset > asset))))
            )
        return [Transaction(**r._mapping) for r in await self._all(query)]

    async def _all(self, query):  # type: ignore[no-untyped-def]
        async with self._db.engine.connect() as conn:
            return (await conn.execute(query)).all()
