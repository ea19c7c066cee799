"""The read side: queries answer from views, optionally after waiting for a log position."""

from __future__ import annotations

from uuid import UUID

from application.errors import PositionNotWritten, ReadModelBehind
from application.projections.categories import CategoriesView, CategoryRow
from application.projections.runner import ProjectionRunner
from application.projections.trading import FillRow, OrderRow, TradingView
from application.projections.users import UserRow, UsersView
from application.ports import EventStore
from domain.creator.errors import CategoryNotFound
from domain.identity.errors import NotRegistered
from domain.orderbook.errors import OrderNotFound

MIN_POSITION_WAIT = 5.0  # seconds a query may wait for its view to reach ?min_position


class ReadYourWrites:
    """Waits until a view reflects a given log position (the one a command answered with)."""

    def __init__(self, store: EventStore, runner: ProjectionRunner, timeout: float = MIN_POSITION_WAIT) -> None:
        self._store, self._runner, self._timeout = store, runner, timeout

    async def reach_head(self, view: str) -> None:
        """Wait until the view reflects everything written so far."""
        await self.reach(view, await self._store.head())

    async def reach(self, view: str, min_position: int | None) -> None:
        if not min_position:
            return
        if min_position > await self._store.head():
            raise PositionNotWritten(f"position {min_position} has not been written")
        if not await self._runner.wait_for(view, min_position, self._timeout):
            raise ReadModelBehind(f"the {view} view has not reached position {min_position} yet")


class CategoryQueries:
    def __init__(self, view: CategoriesView, consistency: ReadYourWrites) -> None:
        self._view, self._consistency = view, consistency

    async def page(self, limit: int, after_slug: str | None = None, min_position: int | None = None) -> list[CategoryRow]:
        await self._consistency.reach(self._view.name, min_position)
        return await self._view.page(limit, after_slug)

    async def one(self, slug: str, min_position: int | None = None) -> CategoryRow:
        await self._consistency.reach(self._view.name, min_position)
        found = await self._view.page(1, after_slug=None, slug=slug)
        if not found:
            raise CategoryNotFound(f"no category {slug!r}")
        return found[0]


class UserQueries:
    def __init__(self, view: UsersView, consistency: ReadYourWrites) -> None:
        self._view, self._consistency = view, consistency

    async def me(self, user_id: UUID, min_position: int | None = None) -> UserRow:
        """The signed-in user; a user signed in a moment ago may not be in the view yet, so wait for it once."""
        await self._consistency.reach(self._view.name, min_position)
        row = await self._view.by_id(user_id)
        if row is None:
            await self._consistency.reach_head(self._view.name)
            row = await self._view.by_id(user_id)
        if row is None:
            raise NotRegistered("no such user")
        return row


class TradingQueries:
    def __init__(self, view: TradingView, consistency: ReadYourWrites) -> None:
        self._view, self._consistency = view, consistency

    async def order(self, user_id: UUID, order_id: UUID, min_position: int | None = None) -> OrderRow:
        await self._consistency.reach(self._view.name, min_position)
        row = await self._view.order(order_id)
        if row is None or row.user_id != user_id:
            raise OrderNotFound("no such order of yours")
        return row

    async def orders(
        self, user_id: UUID, status: str, token_id: UUID | None, limit: int, before_seq: int | None, min_position: int | None
    ) -> list[OrderRow]:
        await self._consistency.reach(self._view.name, min_position)
        return await self._view.orders(user_id, status, token_id, limit, before_seq)

    async def fills(
        self, user_id: UUID, token_id: UUID | None, limit: int, before_seq: int | None, min_position: int | None
    ) -> list[FillRow]:
        await self._consistency.reach(self._view.name, min_position)
        return await self._view.fills(user_id, token_id, limit, before_seq)
