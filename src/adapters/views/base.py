"""What every SQL view shares: its position row, a conditional write transaction, and reset."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.views.database import ViewDatabase
from adapters.views.tables import projection_positions
from application.ports import ProjectionRaced


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

    async def reset(self) -> None:
        async with self._db.engine.begin() as conn:
            for table in self.tables:
                await conn.execute(delete(table))
            await conn.execute(
                update(projection_positions).where(projection_positions.c.name == self.name).values(position=0)
            )

    @asynccontextmanager
    async def _transaction(self, expected: int, position: int) -> AsyncIterator[AsyncConnection]:
        """Moves the position first: that takes the row's lock, so a racing writer waits, then finds it moved."""
        async with self._db.engine.begin() as conn:
            moved = await conn.execute(
                update(projection_positions)
                .where(projection_positions.c.name == self.name, projection_positions.c.position == expected)
                .values(position=position)
            )
            if moved.rowcount != 1:
                raise ProjectionRaced(f"{self.name} is no longer at {expected}")
            yield conn
