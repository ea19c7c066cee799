"""The expiring-keys port: the same assertions against memory, SQLite, PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.keys.memory import InMemoryExpiringKeys
from adapters.keys.redis import RedisExpiringKeys
from adapters.keys.sql import SqlExpiringKeys
from adapters.views.database import ViewDatabase, sqlalchemy_url


@pytest.fixture(params=["memory", "sqlite", "postgres", "redis"])
async def open_keys(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Callable[[], Any]]:
    """Opens handles on one store (two handles of SQL or Redis are like two processes)."""
    closers: list[Any] = []
    if request.param == "memory":
        only = InMemoryExpiringKeys()
        yield lambda: only
        return
    if request.param == "redis":
        url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")

        def redis_handle() -> RedisExpiringKeys:
            handle = RedisExpiringKeys(url, prefix)
            closers.append(handle.close)
            return handle

        yield redis_handle
    else:
        url = (
            f"sqlite+aiosqlite:///{tmp_path / 'keys.sqlite3'}"
            if request.param == "sqlite"
            else sqlalchemy_url(request.getfixturevalue("postgres_url"))
        )
        migrated = ViewDatabase(url)
        await migrated.migrate([])
        await migrated.close()

        def sql_handle() -> SqlExpiringKeys:
            db = ViewDatabase(url)
            closers.append(db.close)
            return SqlExpiringKeys(db)

        yield sql_handle
    for close in closers:
        await close()


async def test_a_value_put_is_read_back_until_it_expires(open_keys: Callable[[], Any]) -> None:
    keys = open_keys()
    await keys.put("a", b"\x00value", 60)
    assert await keys.get("a") == b"\x00value"
    assert await keys.get("missing") is None
    await keys.put("short", b"x", 0.05)
    await asyncio.sleep(0.2)
    assert await keys.get("short") is None


async def test_put_overwrites_the_value_and_its_expiry(open_keys: Callable[[], Any]) -> None:
    keys = open_keys()
    await keys.put("a", b"one", 0.05)
    await keys.put("a", b"two", 60)
    await asyncio.sleep(0.2)
    assert await keys.get("a") == b"two"


async def test_put_if_absent_writes_once_and_again_only_after_expiry(open_keys: Callable[[], Any]) -> None:
    keys = open_keys()
    assert await keys.put_if_absent("n", b"first", 1.0)  # long enough to outlive the two calls below on a busy machine
    assert not await keys.put_if_absent("n", b"second", 60)
    assert await keys.get("n") == b"first"
    await asyncio.sleep(1.3)
    assert await keys.put_if_absent("n", b"third", 60)
    assert await keys.get("n") == b"third"


async def test_of_many_racing_put_if_absent_calls_from_two_handles_exactly_one_wins(open_keys: Callable[[], Any]) -> None:
    first, second = open_keys(), open_keys()
    outcomes = await asyncio.gather(*(h.put_if_absent("race", str(i).encode(), 60) for i, h in enumerate([first, second] * 10)))
    assert outcomes.count(True) == 1
    winner = outcomes.index(True)
    assert await second.get("race") == str(winner).encode()
