"""Category commands through their handlers and the unit of work, on the in-memory store."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from itertools import count
from uuid import UUID

import pytest

from adapters.eventstore.memory import InMemoryEventStore
from application.commands import AddCategory, RenameCategory
from application.handlers.categories import AddCategoryHandler, RenameCategoryHandler, SeedCategoriesHandler
from domain.creator.categories import CATALOG_ID, DEFAULT_CATEGORIES, CategoryCatalog
from domain.creator.errors import CategoryAlreadyExists

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class FixedClock:
    def now(self) -> datetime:
        return T0


class SequentialIds:
    def __init__(self) -> None:
        self._next = count(1)

    def __call__(self) -> UUID:
        return UUID(int=next(self._next))


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


async def test_adding_then_renaming_answers_with_the_log_position_of_each(store: InMemoryEventStore) -> None:
    added = await AddCategoryHandler(store, FixedClock(), SequentialIds())(AddCategory("Art"))
    renamed = await RenameCategoryHandler(store, FixedClock())(RenameCategory("art", "Fine Art"))
    assert (added.value.id, added.position) == (UUID(int=1), 1)
    assert (renamed.value.name, renamed.position) == ("Fine Art", 2)
    assert [c.name for c in CategoryCatalog.replay(CATALOG_ID, await store.read_stream(CATALOG_ID)).categories] == ["Fine Art"]


async def test_a_refused_command_stores_nothing(store: InMemoryEventStore) -> None:
    add = AddCategoryHandler(store, FixedClock(), SequentialIds())
    await add(AddCategory("Art"))
    with pytest.raises(CategoryAlreadyExists):
        await add(AddCategory("art"))
    assert await store.head() == 1


async def test_seeding_fills_an_empty_catalogue_once(store: InMemoryEventStore) -> None:
    seed = SeedCategoriesHandler(store, FixedClock(), SequentialIds())
    first = await seed()
    again = await seed()
    assert sorted(c.name for c in first.value) == sorted(DEFAULT_CATEGORIES)
    assert again.value == [] and again.position == first.position == len(DEFAULT_CATEGORIES)


async def test_seeding_leaves_a_catalogue_with_history_alone(store: InMemoryEventStore) -> None:
    await AddCategoryHandler(store, FixedClock(), SequentialIds())(AddCategory("Knitting"))
    assert (await SeedCategoriesHandler(store, FixedClock(), SequentialIds())()).value == []


async def test_concurrent_adds_both_land_by_retrying_on_conflict(store: InMemoryEventStore) -> None:
    ids = SequentialIds()
    add = AddCategoryHandler(store, FixedClock(), ids)
    results = await asyncio.gather(*(add(AddCategory(f"Category {i}")) for i in range(8)))
    assert sorted(r.position for r in results) == list(range(1, 9))
    catalog = CategoryCatalog.replay(CATALOG_ID, await store.read_stream(CATALOG_ID))
    assert len(catalog.categories) == 8
