"""Handlers of the category catalogue's commands."""

from __future__ import annotations

from application.commands import AddCategory, RenameCategory
from application.ports import Clock, EventStore, IdGenerator
from application.unit_of_work import Committed, UnitOfWork, run_command
from domain.creator.categories import CATALOG_ID, DEFAULT_CATEGORIES, Category, CategoryCatalog


class AddCategoryHandler:
    def __init__(self, store: EventStore, clock: Clock, ids: IdGenerator) -> None:
        self._store, self._clock, self._ids = store, clock, ids

    async def __call__(self, command: AddCategory) -> Committed[Category]:
        async def decide(uow: UnitOfWork) -> Category:
            catalog = await uow.get(CategoryCatalog, CATALOG_ID)
            return catalog.add(self._ids(), command.name, self._clock.now(), slug=command.slug)

        return await run_command(self._store, decide)


class RenameCategoryHandler:
    def __init__(self, store: EventStore, clock: Clock) -> None:
        self._store, self._clock = store, clock

    async def __call__(self, command: RenameCategory) -> Committed[Category]:
        async def decide(uow: UnitOfWork) -> Category:
            catalog = await uow.get(CategoryCatalog, CATALOG_ID)
            return catalog.rename(command.ref, command.name, self._clock.now())

        return await run_command(self._store, decide)


class SeedCategoriesHandler:
    """Fills an empty catalogue with the default set, once; a catalogue with any history is left alone."""

    def __init__(self, store: EventStore, clock: Clock, ids: IdGenerator) -> None:
        self._store, self._clock, self._ids = store, clock, ids

    async def __call__(self) -> Committed[list[Category]]:
        async def decide(uow: UnitOfWork) -> list[Category]:
            catalog = await uow.get(CategoryCatalog, CATALOG_ID)
            if catalog.version:
                return []
            now = self._clock.now()
            return [catalog.add(self._ids(), name, now) for name in DEFAULT_CATEGORIES]

        return await run_command(self._store, decide)
