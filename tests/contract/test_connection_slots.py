"""The connection-slots port: the same assertions against memory and Redis (two Redis handles are like two processes).

The lease tests are Redis's own: a process's memory dies with it, so only a
shared store has holds that must outlive a killed process, and lapse.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from adapters.limits.memory import InMemoryConnectionSlots
from adapters.limits.redis import RedisConnectionSlots
from application.ports import ConnectionSlots
from tests.contract.handles import memory_or_redis


@pytest.fixture(params=["memory", "redis"])
async def open_slots(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], ConnectionSlots]]:
    async with memory_or_redis(request, InMemoryConnectionSlots, RedisConnectionSlots) as handles:
        yield handles


async def test_a_key_holds_up_to_its_cap_and_a_release_frees_one(open_slots: Callable[[], Any]) -> None:
    slots = open_slots()
    assert [await slots.take("ip:1", f"c{i}", 2) for i in range(3)] == [True, True, False]
    assert await slots.take("ip:2", "c2", 2)  # another key counts apart
    await slots.release("ip:1", "c0")
    assert await slots.take("ip:1", "c2", 2)
    assert not await slots.take("ip:1", "c3", 2)


async def test_taking_again_what_one_holds_counts_once(open_slots: Callable[[], Any]) -> None:
    slots = open_slots()
    assert await slots.take("user:u", "c1", 2)
    assert await slots.take("user:u", "c1", 2)
    assert await slots.take("user:u", "c2", 2)
    assert not await slots.take("user:u", "c3", 2)


async def test_releasing_what_is_not_held_changes_nothing(open_slots: Callable[[], Any]) -> None:
    slots = open_slots()
    await slots.release("nobody", "c1")
    assert await slots.take("k", "c1", 1)
    await slots.release("k", "c2")
    assert not await slots.take("k", "c3", 1)


async def test_of_many_racing_takes_from_two_clients_only_the_cap_wins(open_slots: Callable[[], Any]) -> None:
    first, second = open_slots(), open_slots()
    taken = await asyncio.gather(*(h.take("race", f"c{i}", 5) for i, h in enumerate([first, second] * 20)))
    assert taken.count(True) == 5


@pytest.fixture
async def leased(redis_url: str, redis_prefix: str) -> AsyncIterator[Callable[[], RedisConnectionSlots]]:
    handles: list[RedisConnectionSlots] = []

    def handle() -> RedisConnectionSlots:
        handles.append(RedisConnectionSlots(redis_url, redis_prefix, lease_seconds=0.3))
        return handles[-1]

    yield handle
    for opened in handles:
        await opened.close()


async def test_redis_holds_outlive_their_lease_while_their_process_renews_them(leased: Callable[[], RedisConnectionSlots]) -> None:
    living, other = leased(), leased()
    assert await living.take("k", "c1", 1)
    await asyncio.sleep(1.0)  # three leases
    assert not await other.take("k", "c2", 1)


async def test_redis_holds_of_a_process_that_stops_renewing_lapse_within_the_lease(
    leased: Callable[[], RedisConnectionSlots],
) -> None:
    killed, other = leased(), leased()
    assert await killed.take("k", "c1", 1)
    await killed.close()  # what kill -9 leaves: holds not released, no longer renewed
    assert not await other.take("k", "c2", 1)
    await asyncio.sleep(0.5)
    assert await other.take("k", "c2", 1)
