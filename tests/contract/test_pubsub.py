"""The pub/sub port: the same assertions against the in-process and the Redis adapter.

Nothing here waits on the clock: a message that must arrive is awaited with
a generous timeout, and one that must not is followed by a sentinel on the
same channel, which has to be the next thing received. Each subscribe block
also runs under a timeout, so a backend that never confirms entering or
leaving fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from adapters.pubsub.memory import InProcessPubSub
from adapters.pubsub.redis import RedisPubSub
from application.ports import PubSub, Subscription, SubscriptionOverflow

TIMEOUT = 5.0


@pytest.fixture(params=["memory", "redis"])
async def pubsub(request: pytest.FixtureRequest) -> AsyncIterator[PubSub]:
    if request.param == "memory":
        adapter: PubSub = InProcessPubSub()
    else:
        adapter = RedisPubSub(request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix"))
    yield adapter
    await adapter.close()


@pytest.fixture
async def redis_pubsub(redis_url: str, redis_prefix: str) -> AsyncIterator[RedisPubSub]:
    adapter = RedisPubSub(redis_url, redis_prefix)
    yield adapter
    await adapter.close()


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Redis]:
    """A plain client of its own: it sees Redis as other processes do."""
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def next_message(subscription: Subscription) -> tuple[str, bytes]:
    return await asyncio.wait_for(anext(aiter(subscription)), TIMEOUT)


async def remaining(subscription: Subscription) -> list[tuple[str, bytes]]:
    """Everything until the iteration ends; times out if it never does."""

    async def drain() -> list[tuple[str, bytes]]:
        return [message async for message in subscription]

    return await asyncio.wait_for(drain(), TIMEOUT)


async def subscribers_on_redis(client: Redis, channel: str) -> int:
    [(_, count)] = await client.pubsub_numsub(channel)
    return count


async def test_a_subscriber_receives_messages_in_publish_order(pubsub: PubSub) -> None:
    sent = [b"m%d" % i for i in range(100)]
    async with asyncio.timeout(TIMEOUT), pubsub.subscribe(["trades"]) as subscription:
        for message in sent:
            await pubsub.publish("trades", message)
        received = [await next_message(subscription) for _ in sent]
    assert received == [("trades", message) for message in sent]


async def test_every_subscriber_of_a_channel_receives_each_message(pubsub: PubSub) -> None:
    async with (
        asyncio.timeout(TIMEOUT),
        pubsub.subscribe(["trades"]) as first,
        pubsub.subscribe(["trades"]) as second,
    ):
        await pubsub.publish("trades", b"one")
        await pubsub.publish("trades", b"two")
        for subscription in (first, second):
            assert [await next_message(subscription) for _ in range(2)] == [("trades", b"one"), ("trades", b"two")]


async def test_a_subscriber_does_not_receive_other_channels(pubsub: PubSub) -> None:
    async with asyncio.timeout(TIMEOUT), pubsub.subscribe(["a"]) as subscription, pubsub.subscribe(["b"]):
        await pubsub.publish("b", b"for b only")
        await pubsub.publish("a", b"sentinel")
        assert await next_message(subscription) == ("a", b"sentinel")


async def test_one_subscription_can_listen_to_several_channels(pubsub: PubSub) -> None:
    async with asyncio.timeout(TIMEOUT), pubsub.subscribe(["a", "b", "c"]) as subscription:
        await pubsub.publish("a", b"a1")
        await pubsub.publish("b", b"b1")
        await pubsub.publish("a", b"a2")
        await pubsub.publish("c", b"c1")
        received = [await next_message(subscription) for _ in range(4)]
    assert [m for m in received if m[0] == "a"] == [("a", b"a1"), ("a", b"a2")]
    assert sorted(m for m in received if m[0] != "a") == [("b", b"b1"), ("c", b"c1")]


async def test_a_message_published_before_subscribing_is_not_received(pubsub: PubSub) -> None:
    await pubsub.publish("a", b"too early")
    async with asyncio.timeout(TIMEOUT), pubsub.subscribe(["a"]) as subscription:
        await pubsub.publish("a", b"sentinel")
        assert await next_message(subscription) == ("a", b"sentinel")


async def test_a_subscriber_that_left_receives_nothing_more(pubsub: PubSub) -> None:
    async with asyncio.timeout(TIMEOUT), pubsub.subscribe(["a"]) as left:
        await pubsub.publish("a", b"while there")
        assert await next_message(left) == ("a", b"while there")
    async with asyncio.timeout(TIMEOUT), pubsub.subscribe(["a"]) as stayed:
        await pubsub.publish("a", b"after")
        assert await next_message(stayed) == ("a", b"after")
    assert await remaining(left) == []


async def test_a_full_queue_cuts_off_the_slow_subscriber_but_not_a_fast_one(pubsub: PubSub) -> None:
    sent = [b"m%d" % i for i in range(5)]
    async with (
        asyncio.timeout(TIMEOUT),
        pubsub.subscribe(["a"], max_queue=2) as slow,
        pubsub.subscribe(["a"]) as fast,
    ):
        for message in sent:
            await asyncio.wait_for(pubsub.publish("a", message), TIMEOUT)
        assert [await next_message(fast) for _ in sent] == [("a", message) for message in sent]
        # Cut off at once: the two messages it still had queued are dropped, not handed out first.
        with pytest.raises(SubscriptionOverflow):
            await next_message(slow)
        await pubsub.publish("a", b"later")
        assert await next_message(fast) == ("a", b"later")


async def test_closing_a_subscription_ends_a_waiting_iteration(pubsub: PubSub) -> None:
    async with asyncio.timeout(TIMEOUT), pubsub.subscribe(["a"]) as subscription:
        received: list[tuple[str, bytes]] = []
        first_seen = asyncio.Event()

        async def iterate() -> None:
            async for message in subscription:
                received.append(message)
                first_seen.set()

        iterating = asyncio.create_task(iterate())
        await pubsub.publish("a", b"first")
        await asyncio.wait_for(first_seen.wait(), TIMEOUT)
        await subscription.close()
        await asyncio.wait_for(iterating, TIMEOUT)
    assert received == [("a", b"first")]


async def test_closing_the_pubsub_ends_every_subscription(pubsub: PubSub) -> None:
    async with (
        asyncio.timeout(TIMEOUT),
        pubsub.subscribe(["a"]) as first,
        pubsub.subscribe(["a", "b"]) as second,
    ):
        await pubsub.close()
        assert await remaining(first) == []
        assert await remaining(second) == []


async def test_ping_succeeds_when_the_backend_is_reachable(pubsub: PubSub) -> None:
    await pubsub.ping()


async def test_redis_ping_fails_when_redis_is_unreachable() -> None:
    adapter = RedisPubSub("redis://127.0.0.1:1/0")
    with pytest.raises(RedisConnectionError):
        await adapter.ping()
    await adapter.close()


async def test_a_message_from_another_redis_pubsub_reaches_a_subscriber(
    redis_pubsub: RedisPubSub, redis_url: str, redis_prefix: str
) -> None:
    other_process = RedisPubSub(redis_url, redis_prefix)
    try:
        async with asyncio.timeout(TIMEOUT), redis_pubsub.subscribe(["a"]) as subscription:
            await other_process.publish("a", b"from afar")
            assert await next_message(subscription) == ("a", b"from afar")
    finally:
        await other_process.close()


async def test_redis_channels_are_named_with_the_prefix(
    redis_pubsub: RedisPubSub, redis_client: Redis, redis_prefix: str
) -> None:
    async with asyncio.timeout(TIMEOUT), redis_pubsub.subscribe(["a"]) as subscription:
        assert await redis_client.publish(f"{redis_prefix}a", b"raw") == 1
        assert await next_message(subscription) == ("a", b"raw")


async def test_the_redis_channel_is_released_when_its_last_local_subscriber_leaves(
    redis_pubsub: RedisPubSub, redis_client: Redis, redis_prefix: str
) -> None:
    channel = f"{redis_prefix}a"
    async with asyncio.timeout(TIMEOUT), redis_pubsub.subscribe(["a"]):
        async with redis_pubsub.subscribe(["a"]):
            assert await subscribers_on_redis(redis_client, channel) == 1
        assert await subscribers_on_redis(redis_client, channel) == 1
    assert await subscribers_on_redis(redis_client, channel) == 0


async def test_many_local_subscribers_share_one_redis_connection(
    redis_pubsub: RedisPubSub, redis_client: Redis, redis_prefix: str
) -> None:
    channels = [f"c{i}" for i in range(10)]
    async with asyncio.timeout(TIMEOUT), AsyncExitStack() as stack:
        for i in range(200):
            await stack.enter_async_context(redis_pubsub.subscribe([channels[i % 10]]))
        ours = [c for c in await redis_client.client_list() if c["name"] == f"{redis_prefix}fanout"]
        assert len(ours) == 1
        assert [await subscribers_on_redis(redis_client, redis_prefix + c) for c in channels] == [1] * 10


async def test_a_subscription_survives_its_redis_connection_being_killed(
    redis_pubsub: RedisPubSub, redis_client: Redis, redis_prefix: str
) -> None:
    async with asyncio.timeout(TIMEOUT), redis_pubsub.subscribe(["a"]) as subscription:
        [before] = [c for c in await redis_client.client_list() if c["name"] == f"{redis_prefix}fanout"]
        await redis_client.client_kill_filter(_id=before["id"])
        # Entered only once Redis confirms "b", on a new connection subscribed to every wanted channel.
        async with redis_pubsub.subscribe(["b"]):
            await redis_client.publish(f"{redis_prefix}a", b"after the drop")
            assert await next_message(subscription) == ("a", b"after the drop")
        [after] = [c for c in await redis_client.client_list() if c["name"] == f"{redis_prefix}fanout"]
        assert after["id"] != before["id"]
