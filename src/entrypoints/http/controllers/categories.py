"""Creator categories: public to read, admins to change."""

from __future__ import annotations

from litestar import Controller, Response, get, patch, post
from litestar.status_codes import HTTP_201_CREATED

from application.commands import AddCategory, RenameCategory
from application.handlers.categories import AddCategoryHandler, RenameCategoryHandler
from application.projections.categories import CategoryRow
from application.queries import CategoryQueries
from entrypoints.http.auth import requires
from entrypoints.http.controllers.auth import POSITION_HEADER
from entrypoints.http.openapi import problems
from entrypoints.http.schemas import (
    AddCategoryRequest,
    CategoryResponse,
    Cursor,
    Limit,
    MinPosition,
    Page,
    RenameCategoryRequest,
    decode_cursor,
    page_of,
)


def category_response(row: CategoryRow) -> CategoryResponse:
    return CategoryResponse(row.id, row.slug, row.name, row.created_at, row.updated_at)


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
        return page_of([category_response(r) for r in rows], limit, lambda c: c.slug)


class AdminCategoriesController(Controller):
    path = "/api/v1/admin/categories"
    tags = ["admin"]
    guards = [requires("admin")]

    @post("/", responses=problems(409), summary="Add a category")
    async def add(
        self, data: AddCategoryRequest, add_category: AddCategoryHandler, category_queries: CategoryQueries
    ) -> Response[CategoryResponse]:
        done = await add_category(AddCategory(data.name, data.slug))
        row = await category_queries.one(done.value.slug, done.position)
        return Response(category_response(row), status_code=HTTP_201_CREATED, headers={POSITION_HEADER: str(done.position)})

    @patch("/{ref:str}", responses=problems(409), summary="Rename a category (by slug or id); its slug stays")
    async def rename(
        self,
        ref: str,
        data: RenameCategoryRequest,
        rename_category: RenameCategoryHandler,
        category_queries: CategoryQueries,
    ) -> Response[CategoryResponse]:
        done = await rename_category(RenameCategory(ref, data.name))
        row = await category_queries.one(done.value.slug, done.position)
        return Response(category_response(row), headers={POSITION_HEADER: str(done.position)})
