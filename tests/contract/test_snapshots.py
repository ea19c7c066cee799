"""The live-snapshots port: the same assertions in memory and in Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from adapters.pubsub.snapshots import InProcessSnapshots, RedisSnapshots
from tests.contract.handles import memory_or_redis


@pytest.fixture(params=["memory", "redis"])
async def open_snapshots(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], Any]]:
    async with memory_or_redis(request, InProcessSnapshots, RedisSnapshots) as handles:
        yield handles


async def test_a_snapshot_is_read_back_with_its_sequence(open_snapshots: Callable[[], Any]) -> None:
    snapshots = open_snapshots()
    assert await snapshots.get("orderbook:x") is None
    await snapshots.put_many({"orderbook:x": (7, b'{"bids":[]}\n{"line":2}'), "trades:x": (0, b"[]")})
    assert await snapshots.get("orderbook:x") == (7, b'{"bids":[]}\n{"line":2}')
    assert await snapshots.get("trades:x") == (0, b"[]")


async def test_a_newer_snapshot_replaces_the_older_and_another_handle_sees_it(open_snapshots: Callable[[], Any]) -> None:
    writer, reader = open_snapshots(), open_snapshots()
    await writer.put_many({"price:y": (1, b"a")})
    await writer.put_many({"price:y": (2, b"b")})
    assert await reader.get("price:y") == (2, b"b")
