"""The command bus: the same assertions against the in-process bus and Redis Streams; then what only a bus
between processes has to survive (an engine that dies holding commands, commands too old, garbage)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from redis.asyncio import Redis

from adapters.commands.memory import InProcessCommands
from adapters.commands.redis_streams import GROUP, RedisCommandBus, RedisCommandQueue, entry, stream_key
from adapters.pubsub.redis import RedisPubSub
from application.errors import ServiceUnavailable
from application.trading.commands import CancelOrder, EngineCommand, EngineUnavailable, PlaceOrder
from application.trading.exchange import Done, EngineRecovering, PlacementSnapshot
from domain.creator.errors import SymbolUnavailable
from domain.account.errors import InsufficientFunds
from domain.orderbook.order import Fill, NewOrder, OrderState
from domain.shared.errors import Conflict, RuleViolation, TooSoon
from entrypoints.http.errors import from_domain

TIMEOUT = 10.0
Handler = Callable[[EngineCommand], Awaitable[Done]]
AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@dataclass
class Ends:
    """A client end and an engine end of one bus, and how to make another engine end (Redis only)."""

    send: Callable[[UUID, EngineCommand], Awaitable[Done]]
    serving: Callable[[Handler], Awaitable[asyncio.Task[None]]]


@pytest.fixture(params=["memory", "redis"])
async def ends(request: pytest.FixtureRequest) -> AsyncIterator[Ends]:
    tasks: list[asyncio.Task[None]] = []
    if request.param == "memory":
        bus = InProcessCommands()

        async def serving(handle: Handler) -> asyncio.Task[None]:
            tasks.append(asyncio.create_task(bus.serve(handle)))
            await asyncio.sleep(0)
            return tasks[-1]

        yield Ends(bus.send, serving)
    else:
        url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
        async with redis_bus(url, prefix) as (client, make_queue):

            async def serving(handle: Handler) -> asyncio.Task[None]:
                tasks.append(asyncio.create_task(make_queue().serve(handle)))
                return tasks[-1]

            yield Ends(client.send, serving)
            await stop(tasks)
    await stop(tasks)


async def stop(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@asynccontextmanager
async def redis_bus(
    url: str, prefix: str, timeout: float = TIMEOUT
) -> AsyncIterator[tuple[RedisCommandBus, Callable[..., RedisCommandQueue]]]:
    pubsub = RedisPubSub(url, prefix)
    client = RedisCommandBus(url, prefix, pubsub, timeout)
    queues: list[RedisCommandQueue] = []

    def make_queue(expire_after: float = 60.0) -> RedisCommandQueue:
        queues.append(RedisCommandQueue(url, prefix, pubsub, expire_after))
        return queues[-1]

    await client.start()
    try:
        yield client, make_queue
    finally:
        await client.close()
        for queue in queues:
            await queue.close()
        await pubsub.close()


def order(**changes: object) -> NewOrder:
    fields: dict[str, object] = {"order_id": uuid4(), "user_id": uuid4(), "side": "buy", "type": "limit", "price": 5_000_000, "quantity": 10}
    fields.update(changes)
    return NewOrder(**fields)  # type: ignore[arg-type]


def state_of(new: NewOrder, token_id: UUID) -> OrderState:
    return OrderState(
        id=new.order_id, token_id=token_id, user_id=new.user_id, client_order_id=new.client_order_id, side=new.side,
        type=new.type, time_in_force="gtc", price=new.price, quantity=new.quantity, quote_amount=0, post_only=False,
        self_trade_prevention="cancel_maker", remaining=4, hold=20_000_000, filled=6, notional=30_000_000, fees=60_000,
        status="partially_filled", created_at=AT, updated_at=AT, fills=[Fill(new.user_id, 5_000_000, 6, 60_000, "taker")],
    )


async def placing(command: EngineCommand) -> Done:
    assert isinstance(command, PlaceOrder)
    state = state_of(command.order, command.token_id)
    return Done(PlacementSnapshot(state, list(state.fills), False), 42)


async def test_an_answer_comes_back_whole(ends: Ends) -> None:
    await ends.serving(placing)
    new, token_id = order(client_order_id="mine-1"), uuid4()
    done = await asyncio.wait_for(ends.send(new.order_id, PlaceOrder(token_id, new)), TIMEOUT)
    assert done == await placing(PlaceOrder(token_id, new))


async def test_commands_are_started_in_the_order_sent(ends: Ends) -> None:
    started: list[UUID] = []

    async def handle(command: EngineCommand) -> Done:
        assert isinstance(command, CancelOrder)
        started.append(command.order_id)
        await asyncio.sleep(0.001 * (len(started) % 3))  # answers come back out of order
        raise InsufficientFunds("nothing to cancel")  # any answer will do

    await ends.serving(handle)
    ids = [uuid4() for _ in range(300)]
    answers = await asyncio.wait_for(
        asyncio.gather(*(ends.send(uuid4(), CancelOrder(uuid4(), i)) for i in ids), return_exceptions=True), TIMEOUT
    )
    assert started == ids
    assert all(isinstance(a, RuleViolation) and a.code == "insufficient_funds" for a in answers)


@pytest.mark.parametrize(
    "error",
    [
        SymbolUnavailable("ALICE is listed already", "taken"),
        InsufficientFunds("this order needs 5 micro-USD available"),
        TooSoon("wait"),
        EngineRecovering("the engine is recovering"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_a_refusal_arrives_as_the_same_kind_code_message_and_fields(ends: Ends, error: Exception) -> None:
    async def refuse(command: EngineCommand) -> Done:
        raise error

    await ends.serving(refuse)
    with pytest.raises(Exception) as raised:
        await asyncio.wait_for(ends.send(uuid4(), CancelOrder(uuid4(), uuid4())), TIMEOUT)
    got = raised.value
    assert getattr(got, "code") == getattr(error, "code")
    assert getattr(got, "message") == getattr(error, "message")
    assert getattr(got, "fields", {}) == getattr(error, "fields", {})
    for kind in (Conflict, RuleViolation, TooSoon, ServiceUnavailable):
        assert isinstance(got, kind) == isinstance(error, kind)
    if not isinstance(error, ServiceUnavailable):
        sent, received = from_domain(error), from_domain(got)  # type: ignore[arg-type]
        assert (received.status_code, received.code, received.fields) == (sent.status_code, sent.code, sent.fields)


async def test_a_bug_in_the_engine_is_not_taken_for_a_refusal(ends: Ends) -> None:
    async def broken(command: EngineCommand) -> Done:
        raise KeyError("a bug")

    await ends.serving(broken)
    with pytest.raises(Exception) as raised:
        await asyncio.wait_for(ends.send(uuid4(), CancelOrder(uuid4(), uuid4())), TIMEOUT)
    assert not isinstance(raised.value, RuleViolation | Conflict | ServiceUnavailable)


# ----- between processes only -----


async def test_no_engine_is_503_engine_unavailable_after_the_timeout(redis_url: str, redis_prefix: str) -> None:
    async with redis_bus(redis_url, redis_prefix, timeout=0.3) as (client, _):
        with pytest.raises(EngineUnavailable) as raised:
            await client.send(uuid4(), CancelOrder(uuid4(), uuid4()))
    assert raised.value.code == "engine_unavailable"


async def test_without_an_engine_the_in_process_bus_is_engine_unavailable() -> None:
    with pytest.raises(EngineUnavailable):
        await InProcessCommands().send(uuid4(), CancelOrder(uuid4(), uuid4()))


async def test_commands_a_dead_engine_held_are_carried_out_once_by_the_next(redis_url: str, redis_prefix: str) -> None:
    async with redis_bus(redis_url, redis_prefix) as (client, make_queue):
        held = asyncio.Event()
        seen_by_first: list[UUID] = []

        async def stuck(command: EngineCommand) -> Done:  # decides, then dies before it answers
            assert isinstance(command, PlaceOrder)
            seen_by_first.append(command.order.order_id)
            held.set()
            await asyncio.Event().wait()
            raise AssertionError

        first = asyncio.create_task(make_queue().serve(stuck))
        new, token_id = order(), uuid4()
        sent = asyncio.create_task(client.send(new.order_id, PlaceOrder(token_id, new)))
        await asyncio.wait_for(held.wait(), TIMEOUT)
        first.cancel()
        await asyncio.gather(first, return_exceptions=True)

        seen_by_second: list[UUID] = []

        async def handle(command: EngineCommand) -> Done:
            assert isinstance(command, PlaceOrder)
            seen_by_second.append(command.order.order_id)
            return await placing(command)

        second = asyncio.create_task(make_queue().serve(handle))
        done = await asyncio.wait_for(sent, TIMEOUT)
        assert done.value.order.id == new.order_id  # type: ignore[attr-defined]
        assert seen_by_first == seen_by_second == [new.order_id]
        redis = Redis.from_url(redis_url)
        try:
            for _ in range(50):  # the acknowledgement follows the answer
                if (await redis.xpending(stream_key(redis_prefix), GROUP))["pending"] == 0:
                    break
                await asyncio.sleep(0.05)
            assert (await redis.xpending(stream_key(redis_prefix), GROUP))["pending"] == 0
            consumers = await redis.xinfo_consumers(stream_key(redis_prefix), GROUP)
            assert len(consumers) == 1  # the dead engine's consumer is forgotten
        finally:
            await redis.aclose()
        second.cancel()
        await asyncio.gather(second, return_exceptions=True)


async def test_a_command_older_than_the_timeout_is_not_carried_out(redis_url: str, redis_prefix: str) -> None:
    async with redis_bus(redis_url, redis_prefix) as (client, make_queue):
        redis = Redis.from_url(redis_url)
        try:
            new = order()
            stale = entry("PlaceOrder", new.order_id.bytes, "engine:replies:nobody", PlaceOrder(uuid4(), new))
            await redis.xadd(stream_key(redis_prefix), stale, id="1000-0")  # sent in 1970, by Redis's clock
            await redis.xadd(stream_key(redis_prefix), {"m": b"\xc1garbage"})
            await redis.xadd(stream_key(redis_prefix), entry("Unheard", b"x", "r", 1))
            handled: list[EngineCommand] = []

            async def handle(command: EngineCommand) -> Done:
                handled.append(command)
                return await placing(command)

            queue = make_queue(expire_after=5.0)
            serving = asyncio.create_task(queue.serve(handle))
            fresh = order()
            done = await asyncio.wait_for(client.send(fresh.order_id, PlaceOrder(uuid4(), fresh)), TIMEOUT)
            assert done.value.order.id == fresh.order_id  # type: ignore[attr-defined]
            assert [c.order.order_id for c in handled] == [fresh.order_id]  # type: ignore[attr-defined]
            assert queue.expired == 1
            serving.cancel()
            await asyncio.gather(serving, return_exceptions=True)
        finally:
            await redis.aclose()
