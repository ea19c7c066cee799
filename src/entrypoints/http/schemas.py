"""Response and request shapes of the HTTP API, and the list conventions every list endpoint shares."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from collections.abc import Callable
from typing import Annotated, Generic, TypeVar
from uuid import UUID

import msgspec
from litestar.params import Parameter

from entrypoints.http.errors import Problem

T = TypeVar("T")

Limit = Annotated[int, Parameter(ge=1, le=500, description="How many items, 1 to 500.")]
Cursor = Annotated[str | None, Parameter(description="The next_cursor of the previous page.")]
MinPosition = Annotated[
    int | None,
    Parameter(ge=1, description="Wait briefly until the answer reflects this log position (X-Event-Position)."),
]


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(key: object) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(key)).decode().rstrip("=")


def decode_cursor(cursor: str | None, type_: type[T]) -> T | None:
    if cursor is None:
        return None
    try:
        return msgspec.json.decode(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)), type=type_)
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise Problem(422, "invalid_cursor", "the cursor is not one this list gave out") from None


def page_of(items: list[T], limit: int, key_of: Callable[[T], object]) -> Page[T]:
    """``items`` were fetched with limit + 1: one more means another page follows this one's last item."""
    if len(items) > limit:
        return Page(items[:limit], encode_cursor(key_of(items[limit - 1])))
    return Page(items, None)


class CategoryResponse(msgspec.Struct):
    id: UUID
    slug: str
    name: str
    created_at: datetime
    updated_at: datetime
