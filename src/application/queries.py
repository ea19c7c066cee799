"""The read side: queries answer from views, optionally after waiting for a log position."""

from __future__ import annotations

from application.errors import PositionNotWritten, ReadModelBehind
from application.projections.categories import CategoriesView, CategoryRow
from application.projections.runner import ProjectionRunner
from application.ports import EventStore

MIN_POSITION_WAIT = 5.0  # seconds a query may wait for its view to reach ?min_position


class ReadYourWrites:
    """Waits until a view reflects a given log position (the one a command answered with)."""

    def __init__(self, store: EventStore, runner: ProjectionRunner, timeout: float = MIN_POSITION_WAIT) -> None:
        self._store, self._runner, self._timeout = store, runner, timeout

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
