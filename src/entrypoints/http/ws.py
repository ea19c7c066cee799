"""The WebSocket: ``/api/v1/ws`` (API.md). Subscribe to a channel of a token, get a snapshot, then its updates.

Each connection has one bounded outgoing queue and one pub/sub subscription
per channel it follows (shared Redis connection underneath). A subscription
starts by subscribing, then reading the channel's snapshot; updates it
already holds are dropped by sequence; if the snapshot is older than the
first update it holds (snapshots are written every few milliseconds), it
reads it again. A client too slow to take what it is sent is closed with
code 4008 rather than allowed to hold anyone up.

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
from typing import Any
from uuid import UUID

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from application.handlers.auth import Authentication
from application.live_sessions import LiveSessions
from application.ports import AccessClaims, PubSub, SnapshotReader, SubscriptionOverflow, TokenRejected
from application.queries import ReadYourWrites, TradingQueries
from application.trading.exchange import Exchange
from domain.shared.errors import DomainError
from domain.token.errors import TokenNotFound
from entrypoints.http.caller import Caller
from entrypoints.http.controllers.trading import order_response
from entrypoints.http.feed import channel_key, decode_update, snapshot_envelope
from entrypoints.http.ratelimit import LiveLimits, client_ip

log = logging.getLogger(__name__)

CHANNELS = ("orderbook", "trades", "price", "user_orders")
OUTGOING = 1_000  # messages a connection may have waiting before it is dropped
SLOW_CLIENT = 4008
TOO_MANY_CONNECTIONS = 4429  # in the 4xxx private range: 429 as in HTTP
SNAPSHOT_RETRIES = 50
_decode = msgspec.json.Decoder(dict[str, Any]).decode


@dataclass(frozen=True, slots=True)
class Closing:
    """Queued after the last message: the pump closes the socket once everything before it is sent."""

    code: int
    reason: str


class Connection:
    def __init__(
        self,
        socket: WebSocket[Any, Any, Any],
        exchange: Exchange,
        pubsub: PubSub,
        snapshots: SnapshotReader,
        authentication: Authentication,
        orders: TradingQueries,
        consistency: ReadYourWrites,
        limits: LiveLimits,
        sessions: LiveSessions,
        ip: str,
    ) -> None:
        self.socket, self.exchange, self.pubsub, self.snapshots = socket, exchange, pubsub, snapshots
        self.orders, self.consistency = orders, consistency
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
                token_id = self.exchange.token(token).token_id
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

    def subscribe(self, channel: str, token_id: UUID) -> None:
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

    async def follow(self, channel: str, token_id: UUID) -> None:
        user = self.claims.user_id if channel == "user_orders" and self.claims else None
        key = channel_key(channel, token_id, user)
        try:
            async with self.pubsub.subscribe([key], max_queue=OUTGOING) as subscription:
                held: list[tuple[int, bytes]] = []
                updates = subscription.__aiter__()
                sequence = await self.start(channel, token_id, key, updates, held)
                for seq, envelope in held:
                    if seq > sequence:
                        self.send(envelope.decode())
                        sequence = seq
                async for _, message in updates:
                    seq, envelope = decode_update(message)
                    if seq > sequence:
                        self.send(envelope.decode())
                        sequence = seq
        except SubscriptionOverflow:
            self.too_slow.set()

    async def start(self, channel: str, token_id: UUID, key: str, updates: Any, held: list[tuple[int, bytes]]) -> int:
        """Send the snapshot, new enough for the updates already held; returns its sequence."""
        for _ in range(SNAPSHOT_RETRIES):
            stored = await self.snapshots.get(key)
            sequence, data = stored if stored else (0, b"[]")
            while True:  # take what has arrived meanwhile without waiting
                try:
                    _, message = await asyncio.wait_for(updates.__anext__(), 0.001)
                except TimeoutError:
                    break
                held.append(decode_update(message))
            if not held or held[0][0] <= sequence + 1:
                break
            await asyncio.sleep(0.01)
        if channel == "user_orders":
            data = await self.open_orders(token_id)
        self.send(snapshot_envelope(channel, token_id, sequence, data))
        return sequence

    async def open_orders(self, token_id: UUID) -> bytes:
        """From the orders view, once it holds everything written so far (any process can answer this)."""
        assert self.claims is not None
        await self.consistency.reach_head("trading")
        rows = await self.orders.orders(self.claims.user_id, "open", token_id, 500, None, None)
        decimals = self.exchange.tokens[token_id].decimals
        return msgspec.json.encode({"orders": [order_response(r, decimals) for r in rows]})

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
    exchange: Exchange,
    pubsub: PubSub,
    snapshot_source: SnapshotReader,
    authentication: Authentication,
    trading_queries: TradingQueries,
    read_your_writes: ReadYourWrites,
    live_limits: LiveLimits,
    live_sessions: LiveSessions,
) -> None:
    await socket.accept()
    connection = Connection(
        socket, exchange, pubsub, snapshot_source, authentication, trading_queries, read_your_writes,
        live_limits, live_sessions, client_ip(socket.scope),
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
