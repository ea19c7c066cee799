"""The rate-limiter port: the same assertions against memory and Redis (two Redis handles are like two processes)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from adapters.limits.memory import InMemoryRateLimiter
from adapters.limits.redis import RedisRateLimiter
from application.ports import RateLimiter
from tests.contract.handles import memory_or_redis


@pytest.fixture(params=["memory", "redis"])
async def open_limiter(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], RateLimiter]]:
    async with memory_or_redis(request, InMemoryRateLimiter, RedisRateLimiter) as handles:
        yield handles


async def test_a_key_gets_its_limit_then_refusals_until_the_window_ends(open_limiter: Callable[[], Any]) -> None:
    limiter = open_limiter()
    verdicts = [await limiter.hit("ip:1", 3, 60) for _ in range(5)]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False]
    assert [v.remaining for v in verdicts] == [2, 1, 0, 0, 0]
    assert {v.limit for v in verdicts} == {3}
    assert all(0 < v.reset_seconds <= 60 for v in verdicts)


async def test_keys_are_counted_apart(open_limiter: Callable[[], Any]) -> None:
    limiter = open_limiter()
    assert (await limiter.hit("a", 1, 60)).allowed
    assert not (await limiter.hit("a", 1, 60)).allowed
    assert (await limiter.hit("b", 1, 60)).allowed


async def test_a_new_window_starts_once_the_last_one_ended(open_limiter: Callable[[], Any]) -> None:
    limiter = open_limiter()
    assert (await limiter.hit("k", 1, 0.2)).allowed
    refused = await limiter.hit("k", 1, 0.2)
    assert not refused.allowed and refused.reset_seconds <= 0.2
    await asyncio.sleep(0.3)
    again = await limiter.hit("k", 1, 0.2)
    assert again.allowed and again.remaining == 0


async def test_refused_hits_do_not_push_the_window_back(open_limiter: Callable[[], Any]) -> None:
    limiter = open_limiter()
    await limiter.hit("k", 1, 0.3)
    await asyncio.sleep(0.15)
    refused = await limiter.hit("k", 1, 0.3)
    assert not refused.allowed and refused.reset_seconds < 0.2
    await asyncio.sleep(0.2)
    assert (await limiter.hit("k", 1, 0.3)).allowed


async def test_many_concurrent_hits_from_two_clients_never_pass_more_than_the_limit(open_limiter: Callable[[], Any]) -> None:
    first, second = open_limiter(), open_limiter()
    verdicts = await asyncio.gather(*(handle.hit("burst", 25, 60) for handle in [first, second] * 100))
    assert sum(v.allowed for v in verdicts) == 25
    assert sorted(v.remaining for v in verdicts if v.allowed) == list(range(25))
