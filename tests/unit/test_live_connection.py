"""A WebSocket connection: what it is handed and writes, its bounded queue and coalescing, its limits per identity
across connections, and its session's end."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec

from adapters.limits.memory import InMemoryConnectionSlots, InMemoryRateLimiter
from adapters.pubsub.memory import InProcessPubSub
from application.live.market import BookUpdate, LevelChange, TradeTick, TradeUpdate, Update
from application.live_sessions import LiveSessions
from application.ports import AccessClaims
from entrypoints.http.ratelimit import LiveLimits, parse_limits
from entrypoints.http.ws import BEHIND, OUTGOING, TOO_MANY_CONNECTIONS, Closing, Connection, Writer
from entrypoints.http.wsprotocol import OutgoingMessage
from entrypoints.live.feed import LiveFeed

T0 = datetime(2025, 1, 1, tzinfo=UTC)
ANN, BOB = UUID(int=1), UUID(int=2)
TOKEN = UUID(int=7)


class Clock:
    def now(self) -> datetime:
        return T0


class Tokens:
    """Authentication as the connection sees it: a token names its user (and session)."""

    def __init__(self) -> None:
        self.sessions: dict[str, UUID] = {}

    async def authenticate(self, token: str) -> AccessClaims:
        user = UUID(token.partition("/")[0])
        session = self.sessions.setdefault(token, UUID(int=100 + len(self.sessions)))
        return AccessClaims(user, "0x" + "0" * 64, session, ("user",), T0, T0 + timedelta(minutes=15), "j")

    async def is_revoked(self, session_id: UUID) -> bool:
        return False

    def forget(self, session_id: UUID) -> None:
        pass


class Feed(LiveFeed):
    """The live feed as it hands out updates, over a stand-in market: a snapshot names its channel and sequence,
    an update is rendered as its sequence; it counts what it renders."""

    def __init__(self) -> None:
        super().__init__(None)  # type: ignore[arg-type]
        self.sequences: dict[str, int] = {}
        self.rendered = 0

    def snapshot(self, channel: Any, token_id: UUID, user_id: UUID | None = None) -> tuple[int, bytes]:
        sequence = self.sequences.get(channel, 0)
        return sequence, msgspec.json.encode({"type": "snapshot", "channel": channel, "sequence": sequence})

    def _render(self, update: Update) -> tuple[str, object]:
        self.rendered += 1
        return ("trades" if isinstance(update, TradeUpdate) else "orderbook"), {}

    async def step(self, channel: str, count: int = 1) -> None:
        """``count`` updates of ``channel``, handed out as one batch."""
        updates: list[Update] = []
        for _ in range(count):
            sequence = self.sequences[channel] = self.sequences.get(channel, 0) + 1
            if channel == "trades":
                tick = TradeTick(UUID(int=sequence), 1, 1, "buy", T0)
                updates.append(TradeUpdate(TOKEN, sequence, tick))
            else:
                updates.append(BookUpdate(TOKEN, sequence, [LevelChange("buy", 1, sequence)]))
        await self.publish(updates)


class Socket(Writer):
    """A socket that takes writes while ``ready``: each write (a batch of messages) is kept."""

    def __init__(self) -> None:
        super().__init__(None)  # type: ignore[arg-type]
        self.is_ready = True
        self.writes: list[list[Any]] = []

    def ready(self) -> bool:
        return self.is_ready

    def write(self, batch: list[OutgoingMessage]) -> None:
        self.writes.append([msgspec.json.decode(m.text) for m in batch])


class Server:
    """What several connections of one process share: the feed, limits, slots, sessions."""

    def __init__(self, limits: str = "off") -> None:
        self.tokens = Tokens()
        self.feed = Feed()
        self.limits = LiveLimits(parse_limits(limits), InMemoryRateLimiter(), InMemoryConnectionSlots())
        self.sessions = LiveSessions(self.tokens, InProcessPubSub(), Clock())  # type: ignore[arg-type]

    def connection(self, ip: str = "10.0.0.1", writer: Writer | None = None) -> Connection:
        nothing: Any = None
        return Connection(nothing, self.feed, self.tokens, self.limits, self.sessions, ip, writer=writer)  # type: ignore[arg-type]


def sent(connection: Connection) -> list[Any]:
    """Everything waiting to be written, decoded, then the close if one is due."""
    out: list[Any] = [msgspec.json.decode(m.text) for m in connection.take()]
    return out if connection.closing is None else [*out, connection.closing]


async def following(connection: Connection, channel: Any) -> None:
    """Subscribed to ``channel`` of the token, its snapshot queued."""
    connection.subscribe(channel, TOKEN)
    await asyncio.sleep(0)


def sequences(batch: list[Any]) -> list[tuple[str, Any, int]]:
    return [(m["type"], m.get("channel"), m["sequence"]) for m in batch]


async def test_updates_after_the_snapshot_go_out_in_order_one_write_per_batch() -> None:
    server = Server()
    socket = Socket()
    connection = server.connection(writer=socket)
    await server.feed.step("trades", 2)  # nobody follows yet: not even rendered
    assert server.feed.rendered == 0
    connection.subscribe("trades", TOKEN)
    await server.feed.step("trades")  # before the snapshot: the snapshot holds it
    await asyncio.sleep(0)
    await server.feed.step("trades", 3)
    await server.feed.step("orderbook")  # not followed
    assert [sequences(w) for w in socket.writes] == [
        [("snapshot", "trades", 3)],
        [("update", "trades", 4), ("update", "trades", 5), ("update", "trades", 6)],  # one batch, one write
    ]
    assert server.feed.rendered == 4
    connection.unsubscribe("trades", TOKEN)
    await server.feed.step("trades")
    assert socket.writes[-1] == [{"type": "unsubscribed", "channel": "trades", "token_id": str(TOKEN)}]
    assert server.feed.rendered == 4


async def test_a_client_behind_gets_one_fresh_book_snapshot_instead_of_every_update_and_all_its_trades() -> None:
    server = Server()
    socket = Socket()
    connection = server.connection(writer=socket)
    await following(connection, "trades")
    await following(connection, "orderbook")
    socket.is_ready = False  # its socket's buffer is full
    await server.feed.step("orderbook", 2)
    await server.feed.step("trades", BEHIND)
    await server.feed.step("orderbook", 5)  # behind now: coalesced
    await server.feed.step("trades", 2)
    assert connection._wake.is_set() and not connection.too_slow.is_set()
    socket.is_ready = True
    waiting = sent(connection)
    assert [m["sequence"] for m in waiting if m["channel"] == "trades"] == list(range(1, BEHIND + 3))  # every trade
    assert [m for m in waiting if m.get("channel") == "orderbook"] == [
        {"type": "snapshot", "channel": "orderbook", "sequence": 7}
    ]
    assert len(waiting) == BEHIND + 3
    await server.feed.step("orderbook")  # caught up: updates again, after the snapshot's sequence
    assert sequences(socket.writes[-1]) == [("update", "orderbook", 8)]


async def test_a_client_too_far_behind_on_trades_is_marked_too_slow_and_dropped_from_its_queue() -> None:
    server = Server()
    socket = Socket()
    connection = server.connection(writer=socket)
    await following(connection, "trades")
    socket.is_ready = False
    await server.feed.step("trades", OUTGOING)
    assert not connection.too_slow.is_set() and len(connection.pending) == OUTGOING
    await server.feed.step("trades")
    assert connection.too_slow.is_set() and connection.pending == []
    connection.send('{"type":"pong"}')
    assert connection.pending == []  # nothing more is queued for a connection being dropped


async def test_a_subscription_ended_before_its_snapshot_queues_nothing() -> None:
    server = Server()
    connection = server.connection()
    connection.subscribe("trades", TOKEN)
    connection.unsubscribe("trades", TOKEN)
    await asyncio.sleep(0)
    await server.feed.step("trades")
    assert sent(connection) == [{"type": "unsubscribed", "channel": "trades", "token_id": str(TOKEN)}]
    assert server.feed._followers == {}


async def test_a_full_queue_marks_the_client_too_slow_without_blocking_the_sender() -> None:
    slow = Server().connection()
    for i in range(OUTGOING):
        slow.send(f"message {i}")
    assert not slow.too_slow.is_set()
    slow.send("one too many")
    assert slow.too_slow.is_set()


async def test_messages_count_against_the_ip_across_all_its_connections() -> None:
    server = Server("ws=3/minute")
    first, second, elsewhere = server.connection(), server.connection(), server.connection("10.0.0.2")
    for connection in (first, second, first, second):
        await connection.handle('{"op": "ping"}')
    await elsewhere.handle('{"op": "ping"}')
    assert sent(first) == [{"type": "pong"}, {"type": "pong"}]
    assert sent(second)[-1]["code"] == "rate_limited"
    assert sent(elsewhere) == [{"type": "pong"}]


async def test_once_signed_in_messages_count_against_the_user_wherever_they_connect_from() -> None:
    server = Server("ws=3/minute")
    home, work = server.connection("10.0.0.1"), server.connection("10.0.0.2")
    await home.handle(f'{{"op": "auth", "token": "{ANN}/home"}}')
    await work.handle(f'{{"op": "auth", "token": "{ANN}/work"}}')
    for connection in (home, work, home, work):  # the auths counted against each IP, these against Ann
        await connection.handle('{"op": "ping"}')
    assert sent(home) == [{"type": "authenticated"}, {"type": "pong"}, {"type": "pong"}]
    assert [m.get("code") for m in sent(work)] == [None, None, "rate_limited"]


async def test_an_ip_is_admitted_up_to_its_cap_and_a_closed_connection_frees_its_slot() -> None:
    server = Server("connections_per_ip=2")
    first, second, third = server.connection(), server.connection(), server.connection()
    assert await first.caller.admit() and await second.caller.admit()
    assert not await third.caller.admit()
    assert await server.connection("10.0.0.2").caller.admit()
    await first.close()
    assert await server.connection().caller.admit()


async def test_signing_in_beyond_the_users_cap_is_refused_and_closes_that_connection() -> None:
    server = Server("connections_per_user=1")
    phone, laptop = server.connection("10.0.0.1"), server.connection("10.0.0.2")
    await phone.handle(f'{{"op": "auth", "token": "{ANN}/phone"}}')
    await phone.handle(f'{{"op": "auth", "token": "{ANN}/phone-refreshed"}}')  # the same user again: same slot
    await laptop.handle(f'{{"op": "auth", "token": "{ANN}/laptop"}}')
    assert sent(phone) == [{"type": "authenticated"}, {"type": "authenticated"}]
    told, closing = sent(laptop)
    assert told["code"] == "too_many_connections" and closing == Closing(TOO_MANY_CONNECTIONS, "too many connections")
    assert laptop.claims is None
    await phone.handle(f'{{"op": "auth", "token": "{BOB}/phone"}}')  # the phone signs in as Bob: Ann's slot is free
    again = server.connection("10.0.0.2")
    await again.handle(f'{{"op": "auth", "token": "{ANN}/laptop"}}')
    assert sent(again) == [{"type": "authenticated"}]


async def test_when_the_session_ends_user_orders_stop_with_session_ended_and_other_channels_go_on() -> None:
    server = Server("connections_per_user=1")
    connection = server.connection()
    await connection.handle(f'{{"op": "auth", "token": "{ANN}/phone"}}')
    await following(connection, "trades")
    await following(connection, "user_orders")
    sent(connection)
    await server.sessions.session_revoked(server.tokens.sessions[f"{ANN}/phone"])
    assert list(connection.follows) == [("trades", TOKEN)]
    assert list(server.feed._followers) == [f"trades:{TOKEN}"]
    [told] = sent(connection)
    assert told["type"] == "error" and told["code"] == "session_ended" and told["message"]
    assert connection.claims is None
    other = server.connection("10.0.0.2")
    await other.handle(f'{{"op": "auth", "token": "{ANN}/laptop"}}')  # the user's slot was let go
    assert sent(other) == [{"type": "authenticated"}]


async def test_a_closed_connection_lets_go_of_its_slots_and_its_session() -> None:
    server = Server("connections_per_ip=1,connections_per_user=1")
    connection = server.connection()
    assert await connection.caller.admit()
    await connection.handle(f'{{"op": "auth", "token": "{ANN}/phone"}}')
    await connection.close()
    again = server.connection()
    assert await again.caller.admit()
    await again.handle(f'{{"op": "auth", "token": "{ANN}/phone"}}')
    assert sent(again) == [{"type": "authenticated"}]
    await server.sessions.session_revoked(server.tokens.sessions[f"{ANN}/phone"])
    assert sent(connection) == [{"type": "authenticated"}]  # nothing more for the closed one


async def test_signing_in_as_another_user_stops_the_first_users_orders_and_keeps_the_rest() -> None:
    server = Server()
    connection = server.connection()
    await connection.handle(f'{{"op": "auth", "token": "{ANN}/phone"}}')
    await following(connection, "trades")
    await following(connection, "user_orders")
    await connection.handle(f'{{"op": "auth", "token": "{ANN}/phone-refreshed"}}')  # Ann still: hers go on
    assert ("user_orders", TOKEN) in connection.follows
    await connection.handle(f'{{"op": "auth", "token": "{BOB}/phone"}}')
    assert list(connection.follows) == [("trades", TOKEN)]
    assert [(m.get("type"), m.get("code")) for m in sent(connection)] == [
        ("authenticated", None), ("snapshot", None), ("snapshot", None), ("authenticated", None),
        ("error", "session_ended"), ("authenticated", None),
    ]  # fmt: skip
    assert connection.claims is not None and connection.claims.user_id == BOB
