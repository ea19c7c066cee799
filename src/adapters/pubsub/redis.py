"""Pub/sub over Redis, so every process's WebSocket clients see every process's publishes.

However many local subscribers there are, one adapter holds ONE Redis
subscriber connection, read by one task that feeds the shared local fan-out;
Redis only learns which channels this process wants (prefix + channel).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from adapters.pubsub.fanout import FanOut
from application.ports import Subscription

log = logging.getLogger(__name__)

_KEEPALIVE_S = 30.0
"""After this long without traffic the reader PINGs; a second silent interval means a dead link."""
_BACKOFF_FIRST_S = 0.1
_BACKOFF_MAX_S = 5.0


class RedisPubSub:
    """PUBLISH on a pooled client; SUBSCRIBE on one connection owned by a reader task.

    subscribe() is entered only once Redis has confirmed every channel, so a
    publish made after that, by any process, reaches it. Its exit returns once
    Redis has confirmed the UNSUBSCRIBE of the channels no one here wants any more.

    The reader outlives connection drops: it reconnects with capped, jittered
    exponential backoff and subscribes again to the channels wanted then.
    Messages published during the outage are lost (at most once); existing
    subscriptions carry on, and a subscribe() made meanwhile waits for Redis to
    be back. A link that goes silent without closing is caught by keepalive PINGs.
    """

    def __init__(self, url: str, prefix: str = "peoplecoin:") -> None:
        self._prefix = prefix
        # The reader reconnects on its own terms, so this connection must not retry by itself.
        pool = ConnectionPool.from_url(url, client_name=f"{prefix}fanout", retry=Retry(NoBackoff(), 0))
        self._connection = pool.make_connection()
        if self._connection.encoder.decode_responses:
            raise ValueError("the Redis URL must not set decode_responses: messages are bytes")
        self._client = Redis.from_url(url)
        self._fanout = FanOut(release=self._unsubscribe)
        self._outbox: asyncio.Queue[tuple[str, list[str]]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._state = asyncio.Condition()
        # The current connection's state: per channel, (UN)SUBSCRIBEs sent and not yet confirmed; confirmed ones.
        self._connected = False
        self._in_flight: Counter[str] = Counter()
        self._on_server: set[str] = set()
        self._closed = False

    async def publish(self, channel: str, message: bytes) -> None:
        await self._client.publish(self._prefix + channel, message)

    @asynccontextmanager
    async def subscribe(self, channels: Sequence[str], max_queue: int = 1000) -> AsyncIterator[Subscription]:
        """Waits, without limit, for Redis to confirm; wrap it in asyncio.timeout() to bound that.

        See QueuedSubscription for how overflow and close() end the stream.
        """
        subscription, fresh = self._fanout.attach(channels, max_queue)
        try:
            self._start()
            if fresh:
                self._outbox.put_nowait(("SUBSCRIBE", fresh))
            await self._until(lambda: self._closed or all(map(self._listening, subscription.channels)))
            yield subscription
        finally:
            await subscription.close()

    async def ping(self) -> None:
        await self._client.ping()

    async def close(self) -> None:
        """End every subscription, stop the reader and close both connections."""
        self._closed = True
        self._fanout.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._drop()
        await self._client.aclose()

    def _start(self) -> None:
        """Start the connection's tasks on first use: the constructor may run outside an event loop."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._read(), name="redis-pubsub-reader"),
                asyncio.create_task(self._write(), name="redis-pubsub-writer"),
            ]

    async def _unsubscribe(self, channels: list[str]) -> None:
        """Let go of channels with no local subscriber left, unless someone wants them again meanwhile."""
        self._outbox.put_nowait(("UNSUBSCRIBE", channels))
        await self._until(lambda: all(c in self._fanout.channels or self._released(c) for c in channels))

    def _listening(self, channel: str) -> bool:
        return channel in self._on_server and not self._in_flight[channel]

    def _released(self, channel: str) -> bool:
        return channel not in self._on_server and not self._in_flight[channel]

    async def _until(self, ready: Callable[[], bool]) -> None:
        async with self._state:
            await self._state.wait_for(ready)

    async def _write(self) -> None:
        """Send (UN)SUBSCRIBE commands in request order.

        Subscribers only queue commands, so cancelling one never cuts a write
        short and breaks the shared connection. With no live connection a
        command is dropped: the reader subscribes to every wanted channel when
        it reconnects. A queued command sent after that resubscription is
        harmless: the last command sent for a channel still matches whether it
        is wanted, and every command sent is counted until Redis confirms it.
        """
        while True:
            command, channels = await self._outbox.get()
            if not (self._connected and self._connection.is_connected):
                continue
            self._in_flight.update(channels)
            try:
                await self._send(command, channels)
            except Exception:  # the reader sees the broken link and repairs it; this task must live on
                log.debug("could not send %s; the reader will resubscribe", command, exc_info=True)

    async def _read(self) -> None:
        """Connect, subscribe to the wanted channels, dispatch until the link fails; forever."""
        delay = _BACKOFF_FIRST_S
        while True:
            try:
                await self._connect()
                delay = _BACKOFF_FIRST_S
                await self._dispatch()
            except (RedisError, OSError) as error:
                log.warning("Redis pub/sub link failed (%s); reconnecting", error)
            except Exception:  # a bug, not an outage: log it loudly, yet keep the fan-out fed
                log.exception("Redis pub/sub reader failed; reconnecting")
            await self._drop()
            await asyncio.sleep(delay * random.uniform(0.5, 1.0))
            delay = min(2 * delay, _BACKOFF_MAX_S)

    async def _connect(self) -> None:
        await self._connection.connect()
        self._connected = True
        wanted = list(self._fanout.channels)
        if wanted:
            self._in_flight.update(wanted)
            await self._send("SUBSCRIBE", wanted)

    async def _dispatch(self) -> None:
        awaiting_pong = False
        while True:
            reply = await self._connection.read_response(timeout=_KEEPALIVE_S, push_request=True)
            if reply is None:  # a quiet interval, not a message
                if awaiting_pong:
                    raise ConnectionError("Redis did not answer the keepalive PING")
                awaiting_pong = True
                await self._connection.send_command("PING", check_health=False)
                continue
            awaiting_pong = False
            match reply:
                case [b"message", bytes() as name, bytes() as message]:
                    self._fanout.deliver(self._local(name), message)
                case [b"subscribe" | b"unsubscribe" as kind, bytes() as name, _]:
                    await self._confirmed(kind, self._local(name))

    async def _confirmed(self, kind: bytes, channel: str) -> None:
        self._in_flight[channel] -= 1
        if self._in_flight[channel] <= 0:
            del self._in_flight[channel]
        if kind == b"subscribe":
            self._on_server.add(channel)
        else:
            self._on_server.discard(channel)
        async with self._state:
            self._state.notify_all()

    async def _drop(self) -> None:
        """Forget the connection: a new one starts with nothing subscribed."""
        self._connected = False
        self._in_flight.clear()
        self._on_server.clear()
        await self._connection.disconnect(nowait=True)
        async with self._state:
            self._state.notify_all()

    async def _send(self, command: str, channels: list[str]) -> None:
        await self._connection.send_command(command, *(self._prefix + c for c in channels), check_health=False)

    def _local(self, name: bytes) -> str:
        return name.decode().removeprefix(self._prefix)
