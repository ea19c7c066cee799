"""The categories view: every category with its slug and name, for the public list."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.ports import Recorded, View
from domain.creator.events import CategoryAdded, CategoryRenamed


@dataclass(frozen=True, slots=True)
class CategoryRow:
    id: UUID
    slug: str
    name: str
    created_at: datetime
    updated_at: datetime


class CategoryRows(Protocol):
    async def add(self, row: CategoryRow) -> None: ...

    async def rename(self, id: UUID, name: str, at: datetime) -> None: ...


class CategoriesView(View, Protocol):
    def writing(self, expected: int, position: int) -> AbstractAsyncContextManager[CategoryRows]:
        """A transaction that moves the view from ``expected`` to ``position`` with the rows written in it."""
        ...

    async def page(self, limit: int, after_slug: str | None = None, slug: str | None = None) -> list[CategoryRow]:
        """Categories in slug order, starting after ``after_slug``; only the one with ``slug`` when given."""
        ...


class CategoriesProjector:
    def __init__(self, view: CategoriesView) -> None:
        self.view = view

    async def project(self, batch: Sequence[Recorded], expected: int) -> None:
        async with self.view.writing(expected, batch[-1].position) as rows:
            for recorded in batch:
                match recorded.event:
                    case CategoryAdded() as e:
                        await rows.add(CategoryRow(e.category_id, e.slug, e.name, e.at, e.at))
                    case CategoryRenamed() as e:
                        await rows.rename(e.category_id, e.name, e.at)
