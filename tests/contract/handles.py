"""Opening handles on one store for a contract suite: one shared object in memory, or Redis clients of their own.

Two Redis handles are like two processes; two memory handles are the same object,
as two users of one process share it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Protocol, TypeVar

import pytest


class Closable(Protocol):
    def close(self) -> Awaitable[None]: ...


T = TypeVar("T")
R = TypeVar("R", bound=Closable)


@asynccontextmanager
async def memory_or_redis(
    request: pytest.FixtureRequest, memory: Callable[[], T], redis: Callable[[str, str], R]
) -> AsyncIterator[Callable[[], T | R]]:
    """``request.param`` is ``memory`` or ``redis``; Redis handles use the test's own key prefix and are closed after."""
    if request.param == "memory":
        only = memory()
        yield lambda: only
        return
    url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
    opened: list[R] = []

    def handle() -> R:
        opened.append(redis(url, prefix))
        return opened[-1]

    try:
        yield handle
    finally:
        for each in opened:
            await each.close()
