"""The WebSocket: ``/api/v1/ws`` (API.md). Subscribe to a channel of a token, get a snapshot, then its updates.

Each connection has one bounded list of messages waiting to be sent and one
follower of this process's live feed per channel it follows. A follower is
registered with the feed first, then takes the channel's snapshot from the
committed market (in one step of the event loop, with its sequence); updates
numbered up to the snapshot's are dropped, the rest follow in order. The
feed hands a batch of updates to every follower, then flushes each
connection once: under uvicorn (``FramedWebSocketProtocol``) everything
waiting goes out in one write of ready-made frames, at once if the socket
takes it; elsewhere through ASGI, a message at a time, from the connection's
pump.

A client that falls behind (``BEHIND`` messages waiting: its socket's buffer
is full) stops getting ``orderbook`` and ``price`` updates one by one: when
the socket takes data again it gets one fresh snapshot of each such channel
instead (the book and the ticker now, with their sequence), then updates
after it. A client still too slow to take what it is sent (``OUTGOING``
waiting) is closed with code 4008 rather than allowed to hold anyone up.

Limits hold per caller (its IP, then its user after ``auth``) across
connections and processes: messages per minute, and simultaneous connections;
a connection beyond a cap is told ``too_many_connections`` and closed with
4429. ``user_orders`` lasts as long as the session that authorised it: when it
ends, the client is told ``session_ended`` and those subscriptions stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from application.handlers.auth import Authentication
from application.live.market import channel_key
from application.live_sessions import LiveSessions
from application.ports import AccessClaims, TokenRejected
from domain.shared.errors import DomainError
from domain.token.errors import TokenNotFound
from entrypoints.http.caller import Caller
from entrypoints.http.ratelimit import LiveLimits, client_ip
from entrypoints.http.wsprotocol import FRAMES, OutgoingMessage
from entrypoints.live.feed import CHANNELS, Channel, LiveFeed

log = logging.getLogger(__name__)

OUTGOING = 1_000  # messages a connection may have waiting before it is dropped
BEHIND = 64  # messages waiting from which book and price updates are coalesced into snapshots
COALESCED: frozenset[Channel] = frozenset({"orderbook", "price"})
SLOW_CLIENT = 4008
TOO_MANY_CONNECTIONS = 4429  # in the 4xxx private range: 429 as in HTTP
_decode = msgspec.json.Decoder(dict[str, Any]).decode


@dataclass(frozen=True, slots=True)
class Closing:
    """The pump closes the socket once everything queued before it is sent."""

    code: int
    reason: str


async def _now() -> None:
    return None


class Writer:
    """Sends through ASGI, a message at a time (any ASGI server)."""

    def __init__(self, socket: WebSocket[Any, Any, Any]) -> None:
        self._socket = socket

    def ready(self) -> bool:
        """Whether a write can be made now, without waiting (never, through ASGI: its sends are awaited)."""
        return False

    async def wait(self) -> None:
        """Until a write can be made."""

    def write(self, batch: list[OutgoingMessage]) -> None:
        raise NotImplementedError

    async def send(self, batch: list[OutgoingMessage]) -> None:
        for message in batch:
            await self._socket.send_text(message.text.decode())


class FrameWriter(Writer):
    """Writes ready-made frames in one write, below ASGI (FramedWebSocketProtocol's extension)."""

    def __init__(self, socket: WebSocket[Any, Any, Any], extension: dict[str, Any]) -> None:
        super().__init__(socket)
        self._write: Callable[[bytes], bool] = extension["write"]
        self._writable: asyncio.Event = extension["writable"]

    def ready(self) -> bool:
        return self._writable.is_set()

    async def wait(self) -> None:
        await self._writable.wait()

    def write(self, batch: list[OutgoingMessage]) -> None:
        self._write(b"".join([message.frame for message in batch]))  # False: closing, and the reader will know

    async def send(self, batch: list[OutgoingMessage]) -> None:
        self.write(batch)


def writer_for(socket: WebSocket[Any, Any, Any]) -> Writer:
    extension = socket.scope.get("extensions", {}).get(FRAMES)
    return Writer(socket) if extension is None else FrameWriter(socket, extension)


class Follow:
    """One subscription of a connection: the feed hands it updates; it keeps the last sequence sent."""

    __slots__ = ("connection", "channel", "token_id", "user_id", "key", "last", "stale", "starting")

    def __init__(self, connection: Connection, channel: Channel, token_id: UUID, user_id: UUID | None) -> None:
        self.connection, self.channel, self.token_id, self.user_id = connection, channel, token_id, user_id
        self.key = channel_key(channel, token_id, user_id)
        self.last: int | None = None  # None until the snapshot is queued: updates before it are in it
        self.stale = False  # updates were skipped while the client was behind: a fresh snapshot replaces them
        self.starting: asyncio.Task[None] | None = None

    def deliver(self, message: OutgoingMessage) -> None:
        if self.last is None or message.sequence <= self.last:
            return
        self.last = message.sequence
        connection = self.connection
        if self.stale:
            return
        if self.channel in COALESCED and len(connection.pending) >= BEHIND:
            self.stale = True
            connection.stale.append(self)
            return
        connection.queue(message)

    def flush(self) -> None:
        self.connection.flush()


class Connection:
    def __init__(
        self,
        socket: WebSocket[Any, Any, Any],
        feed: LiveFeed,
        authentication: Authentication,
        limits: LiveLimits,
        sessions: LiveSessions,
        ip: str,
        caught_up: Callable[[], Awaitable[object]] | None = None,
        writer: Writer | None = None,
    ) -> None:
        self.socket, self.feed = socket, feed
        self.writer = writer or Writer(socket)
        self.caught_up = caught_up or _now
        self.authentication = authentication
        self.caller = Caller(ip, limits, sessions, on_end=self.session_ended)
        self.pending: list[OutgoingMessage] = []
        self.stale: list[Follow] = []
        self.closing: Closing | None = None
        self.follows: dict[tuple[str, UUID], Follow] = {}
        self.too_slow = asyncio.Event()
        self._wake = asyncio.Event()

    @property
    def claims(self) -> AccessClaims | None:
        return self.caller.claims

    def queue(self, message: OutgoingMessage) -> None:
        if self.closing is not None or self.too_slow.is_set():
            return
        if len(self.pending) >= OUTGOING:
            self.too_slow.set()
            self.pending.clear()
            return
        self.pending.append(message)

    def send(self, text: str) -> None:
        self.queue(OutgoingMessage(text.encode()))
        self.flush()

    def flush(self) -> None:
        """Write what waits now if the socket takes it; else the pump writes it once it does."""
        if self.pending and self.closing is None and not self.stale and self.writer.ready():
            batch, self.pending = self.pending, []
            self.writer.write(batch)
        elif self.pending or self.stale or self.closing is not None:
            self._wake.set()

    def error(self, code: str, message: str) -> None:
        self.send(msgspec.json.encode({"type": "error", "code": code, "message": message}).decode())

    def too_many_connections(self, whose: str) -> None:
        """Tell the client, then close once that and everything queued before it is sent."""
        self.error("too_many_connections", f"this {whose} holds as many live connections as it may")
        self.closing = Closing(TOO_MANY_CONNECTIONS, "too many connections")
        self.flush()

    def session_ended(self, why: str) -> None:
        for key in [k for k in self.follows if k[0] == "user_orders"]:
            self._stop(self.follows.pop(key))
        self.error("session_ended", why)

    async def handle(self, text: str) -> None:
        if not await self.caller.message_allowed():
            self.error("rate_limited", "too many messages; slow down")
            return
        try:
            message = _decode(text)
        except msgspec.DecodeError:
            self.error("malformed_json", "a message is one JSON object")
            return
        op = message.get("op")
        if op == "ping":
            self.send('{"type":"pong"}')
        elif op == "auth":
            await self.authenticate(message.get("token"))
        elif op in ("subscribe", "unsubscribe"):
            channel, token = message.get("channel"), message.get("token_id")
            if channel not in CHANNELS:
                self.error("unknown_channel", f"channel is one of {', '.join(CHANNELS)}")
                return
            if not isinstance(token, str):
                self.error("invalid_message", "token_id is a token's id or symbol")
                return
            try:
                token_id = self.feed.market.state.token(token).token_id
            except TokenNotFound:
                self.error("unknown_token", f"no token {token!r}")
                return
            if op == "subscribe":
                self.subscribe(channel, token_id)
            else:
                self.unsubscribe(channel, token_id)
        else:
            self.error("unknown_op", "op is subscribe, unsubscribe, auth or ping")

    async def authenticate(self, token: object) -> None:
        if not isinstance(token, str):
            self.error("invalid_token", "auth needs the access token")
            return
        before = self.claims
        try:
            claims = await self.authentication.authenticate(token)
            signed_in = await self.caller.sign_in(claims)
        except (TokenRejected, DomainError) as rejected:
            self.error(rejected.code, rejected.message)
            return
        if not signed_in:
            self.too_many_connections("user")
            return
        if before is not None and before.user_id != claims.user_id:
            self.session_ended("signed in as another user")  # the orders followed were someone else's
        self.send('{"type":"authenticated"}')

    def subscribe(self, channel: Channel, token_id: UUID) -> None:
        if channel == "user_orders" and self.claims is None:
            self.error("auth_required", "user_orders needs {\"op\": \"auth\", \"token\": ...} first")
            return
        if (channel, token_id) in self.follows:
            self.error("already_subscribed", f"already subscribed to {channel} of that token")
            return
        user = self.claims.user_id if channel == "user_orders" and self.claims else None
        follow = self.follows[(channel, token_id)] = Follow(self, channel, token_id, user)
        self.feed.follow(follow)  # first: every update after the snapshot reaches it
        follow.starting = asyncio.create_task(self._start(follow))

    async def _start(self, follow: Follow) -> None:
        await self.caught_up()  # the snapshot holds what this process has acknowledged (read your writes)
        follow.starting = None
        if self.follows.get((follow.channel, follow.token_id)) is follow:
            self._snapshot(follow)
            self.flush()

    def _snapshot(self, follow: Follow) -> None:
        follow.last, snapshot = self.feed.snapshot(follow.channel, follow.token_id, follow.user_id)
        follow.stale = False
        self.queue(OutgoingMessage(snapshot))

    def unsubscribe(self, channel: str, token_id: UUID) -> None:
        follow = self.follows.pop((channel, token_id), None)
        if follow is None:
            self.error("not_subscribed", f"not subscribed to {channel} of that token")
            return
        self._stop(follow)
        self.send(msgspec.json.encode({"type": "unsubscribed", "channel": channel, "token_id": str(token_id)}).decode())

    def _stop(self, follow: Follow) -> None:
        self.feed.unfollow(follow)
        if follow.starting is not None:
            follow.starting.cancel()
        if follow in self.stale:
            self.stale.remove(follow)

    def take(self) -> list[OutgoingMessage]:
        """What waits, with each stale channel's skipped updates replaced by its snapshot now."""
        if self.stale:
            stale = {follow.key for follow in self.stale}
            self.pending = [m for m in self.pending if m.key not in stale]
            for follow in self.stale:
                self._snapshot(follow)
            self.stale.clear()
        batch, self.pending = self.pending, []
        return batch

    async def pump(self) -> None:
        while True:
            await self._wake.wait()
            await self.writer.wait()
            self._wake.clear()
            batch = self.take()
            if batch:
                await self.writer.send(batch)
            if self.closing is not None and not self.pending:
                await self.socket.close(code=self.closing.code, reason=self.closing.reason)
                return

    async def close(self) -> None:
        follows = list(self.follows.values())
        self.follows.clear()
        for follow in follows:
            self._stop(follow)
        await asyncio.gather(*(f.starting for f in follows if f.starting is not None), return_exceptions=True)
        await self.caller.close()


@websocket("/api/v1/ws")
async def live_feed(
    socket: WebSocket[Any, Any, Any],
    feed: LiveFeed,
    authentication: Authentication,
    live_limits: LiveLimits,
    live_sessions: LiveSessions,
    caught_up: Callable[[], Awaitable[object]],
) -> None:
    await socket.accept()
    connection = Connection(
        socket, feed, authentication, live_limits, live_sessions, client_ip(socket.scope), caught_up, writer_for(socket)
    )
    if not await connection.caller.admit():
        connection.too_many_connections("IP")
        with contextlib.suppress(Exception):
            await connection.pump()  # the refusal, then the close
        return
    pump = asyncio.create_task(connection.pump())
    slow = asyncio.create_task(connection.too_slow.wait())

    async def read() -> None:
        while True:
            await connection.handle(await socket.receive_text())

    reader = asyncio.create_task(read())
    try:
        done, _ = await asyncio.wait({reader, pump, slow}, return_when=asyncio.FIRST_COMPLETED)
        if slow in done:
            with contextlib.suppress(Exception):
                await socket.close(code=SLOW_CLIENT, reason="too slow to keep up; resubscribe")
    except WebSocketDisconnect:
        pass
    finally:
        for task in (reader, pump, slow):
            task.cancel()
        await asyncio.gather(reader, pump, slow, return_exceptions=True)
        await connection.close()
