"""What every SQL view shares: its position row, a conditional write transaction, dead letters, and reset."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.views.database import ViewDatabase, is_unavailable
from adapters.views.tables import dead_letters, projection_positions
from application.ports import DeadLetter, ProjectionRaced, ViewProgress, ViewUnavailable

_LETTER_FIELDS = DeadLetter.__slots__


class SqlView:
    name: str
    tables: Sequence[Table]

    def __init__(self, db: ViewDatabase) -> None:
        self._db = db

    async def position(self) -> int:
        async with self._db.engine.connect() as conn:
            found = await conn.scalar(
                select(projection_positions.c.position).where(projection_positions.c.name == self.name)
            )
        return found or 0

    async def progress(self) -> ViewProgress:
        letters = select(func.count()).where(dead_letters.c.view == self.name).scalar_subquery()
        query = select(projection_positions.c.position, letters).where(projection_positions.c.name == self.name)
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return ViewProgress(0, 0) if row is None else ViewProgress(row[0], row[1])

    async def reset(self) -> None:
        async with self._db.engine.begin() as conn:
            for table in self.tables:
                await conn.execute(delete(table))
            await conn.execute(delete(dead_letters).where(dead_letters.c.view == self.name))
            await conn.execute(
                update(projection_positions).where(projection_positions.c.name == self.name).values(position=0)
            )

    async def set_aside(self, expected: int, letter: DeadLetter) -> None:
        async with self._transaction(expected, letter.position) as conn:
            await conn.execute(insert(dead_letters).values(**{f: getattr(letter, f) for f in _LETTER_FIELDS}))

    async def dead_letters(self) -> list[DeadLetter]:
        query = select(dead_letters).where(dead_letters.c.view == self.name).order_by(dead_letters.c.position)
        async with self._db.engine.connect() as conn:
            return [DeadLetter(**r._mapping) for r in await conn.execute(query)]

    @asynccontextmanager
    async def _snapshot(self) -> AsyncIterator[AsyncConnection]:
        """A read of several statements that all see one moment: REPEATABLE READ on PostgreSQL (READ COMMITTED
        would let a projector's commit land between them), a WAL read transaction on SQLite."""
        async with self._db.engine.connect() as conn:
            if not self._db.is_sqlite:
                await conn.execution_options(isolation_level="REPEATABLE READ")
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def _transaction(self, expected: int, position: int) -> AsyncIterator[AsyncConnection]:
        """Moves the position first: that takes the row's lock, so a racing writer waits, then finds it moved.

        A failure of the database rather than of the rows (connection lost, locked, out of space, schema
        missing) comes out as ViewUnavailable, so the runner waits instead of setting events aside.
        """
        try:
            async with self._db.engine.begin() as conn:
                moved = await conn.execute(
                    update(projection_positions)
                    .where(projection_positions.c.name == self.name, projection_positions.c.position == expected)
                    .values(position=position)
                )
                if moved.rowcount != 1:
                    raise ProjectionRaced(f"{self.name} is no longer at {expected}")
                yield conn
        except Exception as error:
            if is_unavailable(error):
                raise ViewUnavailable(f"the {self.name} view's database: {error}") from error
            raise
