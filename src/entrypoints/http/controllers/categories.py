"""Creator categories: public to read; changed from the command line (admin endpoints come with sign-in)."""

from __future__ import annotations

from litestar import Controller, get

from application.queries import CategoryQueries
from entrypoints.http.schemas import CategoryResponse, Cursor, Limit, MinPosition, Page, decode_cursor, page_of


class CategoriesController(Controller):
    path = "/api/v1/categories"
    tags = ["market data"]

    @get("/", summary="All creator categories, in slug order")
    async def list_categories(
        self,
        category_queries: CategoryQueries,
        limit: Limit = 50,
        cursor: Cursor = None,
        min_position: MinPosition = None,
    ) -> Page[CategoryResponse]:
        rows = await category_queries.page(limit + 1, decode_cursor(cursor, str), min_position)
        items = [CategoryResponse(r.id, r.slug, r.name, r.created_at, r.updated_at) for r in rows]
        return page_of(items, limit, lambda c: c.slug)
