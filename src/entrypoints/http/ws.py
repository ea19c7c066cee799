"""The WebSocket: ``/api/v1/ws`` (API.md). Subscribe to a channel of a token, get a snapshot, then its updates.

Each connection has one bounded outgoing queue and one subscription to this
process's live feed per channel it follows. A subscription starts by
subscribing, then taking the channel's snapshot from the committed market
(in one step of the event loop, with its sequence); updates numbered up to
the snapshot's are dropped, the rest follow in order. A client too slow to
take what it is sent is closed with code 4008 rather than allowed to hold
anyone up.

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
from dataclasses import dataclass
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from application.handlers.auth import Authentication
from application.live.market import channel_key
from application.live_sessions import LiveSessions
from application.ports import AccessClaims, SubscriptionOverflow, TokenRejected
from domain.shared.errors import DomainError
from domain.token.errors import TokenNotFound
from entrypoints.http.caller import Caller
from entrypoints.http.ratelimit import LiveLimits, client_ip
from entrypoints.live.feed import CHANNELS, Channel, LiveFeed, decode_update

log = logging.getLogger(__name__)

OUTGOING = 1_000  # messages a connection may have waiting before it is dropped
SLOW_CLIENT = 4008
TOO_MANY_CONNECTIONS = 4429  # in the 4xxx private range: 429 as in HTTP
_decode = msgspec.json.Decoder(dict[str, Any]).decode


@dataclass(frozen=True, slots=True)
class Closing:
    """Queued after the last message: the pump closes the socket once everything before it is sent."""

    code: int
    reason: str


async def _now() -> None:
    return None


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
    ) -> None:
        self.socket, self.feed = socket, feed
        self.caught_up = caught_up or _now
        self.authentication = authentication
        self.caller = Caller(ip, limits, sessions, on_end=self.session_ended)
        self.outgoing: asyncio.Queue[str | Closing] = asyncio.Queue(OUTGOING)
        self.subscriptions: dict[tuple[str, UUID], asyncio.Task[None]] = {}
        self.too_slow = asyncio.Event()

    @property
    def claims(self) -> AccessClaims | None:
        return self.caller.claims

    def send(self, text: str) -> None:
        try:
            self.outgoing.put_nowait(text)
        except asyncio.QueueFull:
            self.too_slow.set()

    def error(self, code: str, message: str) -> None:
        self.send(msgspec.json.encode({"type": "error", "code": code, "message": message}).decode())

    def too_many_connections(self, whose: str) -> None:
        """Tell the client, then close once that and everything queued before it is sent."""
        self.error("too_many_connections", f"this {whose} holds as many live connections as it may")
        try:
            self.outgoing.put_nowait(Closing(TOO_MANY_CONNECTIONS, "too many connections"))
        except asyncio.QueueFull:
            self.too_slow.set()

    def session_ended(self, why: str) -> None:
        for key in [k for k in self.subscriptions if k[0] == "user_orders"]:
            self.subscriptions.pop(key).cancel()
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
        if (channel, token_id) in self.subscriptions:
            self.error("already_subscribed", f"already subscribed to {channel} of that token")
            return
        self.subscriptions[(channel, token_id)] = asyncio.create_task(self.follow(channel, token_id))

    def unsubscribe(self, channel: str, token_id: UUID) -> None:
        task = self.subscriptions.pop((channel, token_id), None)
        if task is None:
            self.error("not_subscribed", f"not subscribed to {channel} of that token")
            return
        task.cancel()
        self.send(msgspec.json.encode({"type": "unsubscribed", "channel": channel, "token_id": str(token_id)}).decode())

    async def follow(self, channel: Channel, token_id: UUID) -> None:
        user = self.claims.user_id if channel == "user_orders" and self.claims else None
        try:
            async with self.feed.subscribe(channel_key(channel, token_id, user), OUTGOING) as subscription:
                await self.caught_up()  # the snapshot holds what this process has acknowledged (read your writes)
                sequence, snapshot = self.feed.snapshot(channel, token_id, user)
                self.send(snapshot.decode())
                async for _, message in subscription:
                    seq, envelope = decode_update(message)
                    if seq > sequence:
                        self.send(envelope.decode())
                        sequence = seq
        except SubscriptionOverflow:
            self.too_slow.set()

    async def pump(self) -> None:
        while True:
            message = await self.outgoing.get()
            if isinstance(message, Closing):
                await self.socket.close(code=message.code, reason=message.reason)
                return
            await self.socket.send_text(message)

    async def close(self) -> None:
        for task in self.subscriptions.values():
            task.cancel()
        await asyncio.gather(*self.subscriptions.values(), return_exceptions=True)
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
    connection = Connection(socket, feed, authentication, live_limits, live_sessions, client_ip(socket.scope), caught_up)
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
