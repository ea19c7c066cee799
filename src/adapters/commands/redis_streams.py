"""The command bus between processes, on Redis Streams (consumer group) and Redis pub/sub for the answers.

An API process (``RedisCommandBus``) appends each command to one stream,
``{prefix}engine:commands``, as an entry of one field, ``m``: msgpack of
the command's kind, its id (16 bytes), the channel its answer goes to (one
per API process) and the command (one field: the engine's Redis client
parses two strings per entry, not eight). Commands sent in the same
instant go in one pipeline. The caller waits at most ``timeout`` seconds for
the answer; then it is told ``EngineUnavailable`` (503, outcome unknown).

The engine (``RedisCommandQueue``) reads the stream as the one consumer of
the group ``engine`` (the writer lease makes it the only one), in entry
order, and starts each command before it reads the next (a command decides
before its first wait, so the book sees them in stream order). When its
command is durable (or refused) the answer is published, many answers per
API process in one message, and the entry acknowledged (XACK).

At least once, never twice: an engine that dies between a commit and the
XACK leaves its entries pending; the next engine takes them over (XAUTOCLAIM)
before anything new and carries them out again, and each command's own id,
stored with its effect, makes the second time do nothing
(application.trading.commands). A command older than ``expire_after``
seconds by Redis's clock is not carried out at all: its caller has been told
503 already, and an order should not reach the book long after its sender
gave up on it (a client that retries is answered by its retry).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from application.ports import PubSub
from application.tasks import stop_task
from application.trading.commands import REPLIES, EngineCommand, EngineUnavailable, Refusal, refusal_of, refused
from application.trading.exchange import Done

log = logging.getLogger(__name__)

GROUP = "engine"
STREAM = "engine:commands"
REPLIES_CHANNEL = "engine:replies:"
STREAM_MAX_LEN = 200_000  # entries kept (approximately): acknowledged ones are only history
READ_COUNT = 1_000
MAX_IN_FLIGHT = 20_000  # commands started and not yet answered, before the engine stops reading more

_KINDS: dict[str, type[Any]] = {cls.__name__: cls for cls in REPLIES}
_COMMANDS = {name: msgspec.msgpack.Decoder(cls) for name, cls in _KINDS.items()}
_ENTRY = msgspec.msgpack.Decoder(tuple[str, bytes, str, msgspec.Raw])
_ANSWERS = {cls: msgspec.msgpack.Decoder(tuple[int, reply]) for cls, reply in REPLIES.items()}
_REFUSAL = msgspec.msgpack.Decoder(Refusal)
_BATCH = msgspec.msgpack.Decoder(list[tuple[bytes, bool, bytes]])
_encode = msgspec.msgpack.Encoder().encode


def stream_key(prefix: str) -> str:
    return prefix + STREAM


def entry(kind: str, command_id: bytes, channel: str, command: object) -> dict[str, bytes]:
    """A stream entry: what RedisCommandBus appends and RedisCommandQueue reads."""
    return {"m": _encode((kind, command_id, channel, command))}


class RedisCommandBus:
    """An API process's end: send a command, wait for its answer."""

    def __init__(self, url: str, prefix: str, pubsub: PubSub, timeout: float) -> None:
        self._redis = Redis.from_url(url)
        self._key, self._pubsub, self._timeout = stream_key(prefix), pubsub, timeout
        self._channel = REPLIES_CHANNEL + uuid.uuid4().hex
        self._waiting: dict[bytes, tuple[asyncio.Future[Done], type[Any]]] = {}
        self._outbox: list[tuple[dict[str, bytes | str], bytes]] = []
        self._due = asyncio.Event()
        self._listening = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Listen for answers (confirmed by Redis) before the first command can be sent."""
        if self._tasks:
            return
        self._tasks = [
            asyncio.create_task(self._listen(), name="command-answers"),
            asyncio.create_task(self._send_due(), name="command-sender"),
        ]
        await self._listening.wait()

    async def send(self, command_id: UUID, command: EngineCommand) -> Done:
        kind = type(command)
        future: asyncio.Future[Done] = asyncio.get_running_loop().create_future()
        key = command_id.bytes
        self._waiting[key] = (future, kind)
        self._outbox.append((entry(kind.__name__, key, self._channel, command), key))
        self._due.set()
        try:
            return await asyncio.wait_for(future, self._timeout)
        except TimeoutError:
            raise EngineUnavailable(
                f"the engine did not answer within {self._timeout:g}s; the outcome is unknown: retry with the same "
                "client_order_id or Idempotency-Key, or look the order up"
            ) from None
        finally:
            self._waiting.pop(key, None)

    async def _send_due(self) -> None:
        while True:
            await self._due.wait()
            self._due.clear()
            batch, self._outbox = self._outbox, []
            if not batch:
                continue
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for fields, _ in batch:
                        pipe.xadd(self._key, fields, maxlen=STREAM_MAX_LEN, approximate=True)  # type: ignore[arg-type]
                    await pipe.execute()
            except (RedisError, OSError) as error:
                log.warning("could not send %d commands to the engine: %s", len(batch), error)
                for _, key in batch:
                    waiting = self._waiting.get(key)
                    if waiting is not None and not waiting[0].done():
                        waiting[0].set_exception(EngineUnavailable("the engine cannot be reached now; retry shortly"))

    async def _listen(self) -> None:
        while True:
            try:
                async with self._pubsub.subscribe([self._channel], max_queue=100_000) as answers:
                    self._listening.set()
                    async for _channel, message in answers:
                        self._answer(message)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis away, or a queue overflowed: answers meanwhile are lost (503)
                log.warning("not hearing the engine's answers (resubscribing): %s", error)
            await asyncio.sleep(0.5)

    def _answer(self, message: bytes) -> None:
        for key, ok, payload in _BATCH.decode(message):
            waiting = self._waiting.get(key)
            if waiting is None or waiting[0].done():
                continue  # its sender was told 503 already
            future, kind = waiting
            try:
                if ok:
                    position, value = _ANSWERS[kind].decode(payload)
                    future.set_result(Done(value, position))
                else:
                    future.set_exception(refused(_REFUSAL.decode(payload)))
            except msgspec.DecodeError as error:
                future.set_exception(EngineUnavailable(f"the engine's answer could not be read: {error}"))

    async def close(self) -> None:
        for task in self._tasks:
            await stop_task(task)
        self._tasks = []
        await self._redis.aclose()


Handler = Callable[[EngineCommand], Awaitable[Done]]


class RedisCommandQueue:
    """The engine's end: every command, in stream order, carried out once and answered."""

    def __init__(self, url: str, prefix: str, pubsub: PubSub, expire_after: float, consumer: str | None = None) -> None:
        self._redis = Redis.from_url(url)
        self._key, self._pubsub = stream_key(prefix), pubsub
        self._expire_ms = int(expire_after * 1000)
        self.consumer = consumer or f"engine-{uuid.uuid4().hex[:12]}"
        self._answers: dict[str, list[tuple[bytes, bool, bytes]]] = defaultdict(list)  # by reply channel
        self._acks: list[bytes] = []
        self._due = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self.expired = 0  # commands not carried out because their caller had given up on them

    async def serve(self, handle: Handler) -> None:
        await self._create_group()
        sender = asyncio.create_task(self._send_due(), name="command-answers")
        me = asyncio.current_task()
        try:
            await self._take_over(handle)
            while True:
                if me is not None and me.cancelling():  # a cancel the Redis client swallowed
                    raise asyncio.CancelledError
                await self._wait_for_room()
                try:
                    read = await self._redis.xreadgroup(
                        GROUP, self.consumer, {self._key: ">"}, count=READ_COUNT, block=1000
                    )
                except (RedisError, OSError) as error:
                    log.warning("could not read commands: %s", error)
                    await asyncio.sleep(0.5)
                    continue
                for _stream, entries in read:
                    await self._take(entries, handle)
        finally:
            if self._in_flight:  # decided already: they are stored (or refused at the fence) and answered
                await asyncio.wait(set(self._in_flight), timeout=5)
            await stop_task(sender)
            await self._flush()  # what was answered goes out; what was not stays pending for the next engine

    async def _create_group(self) -> None:
        try:
            await self._redis.xgroup_create(self._key, GROUP, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise

    async def _take_over(self, handle: Handler) -> None:
        """The commands earlier engines read and never acknowledged, oldest first; then forget those engines."""
        start: bytes | str = "0-0"
        taken = 0
        while True:
            reply = await self._redis.xautoclaim(self._key, GROUP, self.consumer, min_idle_time=0, start_id=start, count=READ_COUNT)
            start, entries = reply[0], reply[1]
            await self._take(entries, handle)
            taken += len(entries)
            if start in (b"0-0", "0-0"):
                break
        if taken:
            log.warning("took over %d commands an earlier engine had not answered", taken)
        for consumer in await self._redis.xinfo_consumers(self._key, GROUP):
            name = consumer["name"].decode() if isinstance(consumer["name"], bytes) else consumer["name"]
            if name != self.consumer and not consumer["pending"]:
                await self._redis.xgroup_delconsumer(self._key, GROUP, name)

    async def _take(self, entries: list[tuple[bytes, dict[bytes, bytes]]], handle: Handler) -> None:
        if not entries:
            return
        seconds, micros = await self._redis.time()
        now_ms = seconds * 1000 + micros // 1000
        for entry_id, fields in entries:
            if not fields:  # trimmed away while pending
                self._ack(entry_id)
                continue
            if now_ms - int(entry_id.split(b"-")[0]) > self._expire_ms:
                self.expired += 1
                self._ack(entry_id)
                continue
            try:
                kind, key, channel, body = _ENTRY.decode(fields[b"m"])
                command = _COMMANDS[kind].decode(body)
            except (KeyError, msgspec.DecodeError) as error:
                log.error("a command entry %s could not be read, skipped: %s", entry_id, error)
                self._ack(entry_id)
                continue
            task = asyncio.get_running_loop().create_task(self._carry_out(entry_id, key, channel, command, handle))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _carry_out(
        self, entry_id: bytes, key: bytes, channel: str, command: EngineCommand, handle: Handler
    ) -> None:
        try:
            done = await handle(command)
            answer = (key, True, _encode((done.position, done.value)))
        except Exception as error:
            refusal = refusal_of(error)
            if refusal is None:
                log.exception("the engine failed on a %s command", type(command).__name__)
                refusal = Refusal("error", "internal_error", "the engine failed on this command")
            answer = (key, False, _encode(refusal))
        self._answers[channel].append(answer)
        self._ack(entry_id)

    def _ack(self, entry_id: bytes) -> None:
        self._acks.append(entry_id)
        self._due.set()

    async def _wait_for_room(self) -> None:
        while len(self._in_flight) >= MAX_IN_FLIGHT:
            await asyncio.wait(set(self._in_flight), return_when=asyncio.FIRST_COMPLETED)

    async def _send_due(self) -> None:
        while True:
            await self._due.wait()
            self._due.clear()
            await self._flush()

    async def _flush(self) -> None:
        answers, self._answers = self._answers, defaultdict(list)
        acks, self._acks = self._acks, []
        try:
            for channel, batch in answers.items():
                await self._pubsub.publish(channel, _encode(batch))
            if acks:
                await self._redis.xack(self._key, GROUP, *acks)
        except (RedisError, OSError) as error:  # lost answers are 503s; unacknowledged entries are harmless
            log.warning("could not send %d answers or acknowledge %d commands: %s", len(answers), len(acks), error)

    async def close(self) -> None:
        await self._redis.aclose()

