"""A WebSocket connection: its bounded queue, its limits per identity across connections, and its session's end."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec

from adapters.limits.memory import InMemoryConnectionSlots, InMemoryRateLimiter
from adapters.pubsub.memory import InProcessPubSub
from application.live_sessions import LiveSessions
from application.ports import AccessClaims
from entrypoints.http.ratelimit import LiveLimits, parse_limits
from entrypoints.http.ws import OUTGOING, TOO_MANY_CONNECTIONS, Closing, Connection

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


class Server:
    """What several connections of one process share: limits, slots, sessions."""

    def __init__(self, limits: str = "off") -> None:
        self.tokens = Tokens()
        self.limits = LiveLimits(parse_limits(limits), InMemoryRateLimiter(), InMemoryConnectionSlots())
        self.sessions = LiveSessions(self.tokens, InProcessPubSub(), Clock())  # type: ignore[arg-type]

    def connection(self, ip: str = "10.0.0.1") -> Connection:
        nothing: Any = None
        return Connection(nothing, nothing, self.tokens, self.limits, self.sessions, ip)  # type: ignore[arg-type]


def sent(connection: Connection) -> list[Any]:
    """Everything queued so far, decoded."""
    out = []
    while not connection.outgoing.empty():
        message = connection.outgoing.get_nowait()
        out.append(message if isinstance(message, Closing) else msgspec.json.decode(message))
    return out


def following(connection: Connection, channel: str) -> asyncio.Task[None]:
    """A stand-in subscription: a task that runs until cancelled."""
    task = asyncio.create_task(asyncio.Event().wait())
    connection.subscriptions[(channel, TOKEN)] = task
    return task


async def test_a_full_queue_marks_the_client_too_slow_without_blocking_the_sender() -> None:
    slow = Server().connection()
    for i in range(OUTGOING):
        slow.send(f"message {i}")
    assert not slow.too_slow.is_set()
    slow.send("one too many")
    assert slow.too_slow.is_set()
    assert slow.outgoing.qsize() == OUTGOING


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
    await laptop.handle(f'{{"op": "auth", "token": "{ANN}/laptop"}}')
    assert sent(laptop) == [{"type": "authenticated"}]


async def test_when_the_session_ends_user_orders_stop_with_session_ended_and_other_channels_go_on() -> None:
    server = Server("connections_per_user=1")
    connection = server.connection()
    await connection.handle(f'{{"op": "auth", "token": "{ANN}/phone"}}')
    trades, mine = following(connection, "trades"), following(connection, "user_orders")
    sent(connection)
    await server.sessions.session_revoked(server.tokens.sessions[f"{ANN}/phone"])
    await asyncio.sleep(0)  # let the cancellation land
    assert mine.cancelled() and not trades.done()
    assert list(connection.subscriptions) == [("trades", TOKEN)]
    [told] = sent(connection)
    assert told["type"] == "error" and told["code"] == "session_ended" and told["message"]
    assert connection.claims is None
    other = server.connection("10.0.0.2")
    await other.handle(f'{{"op": "auth", "token": "{ANN}/laptop"}}')  # the user's slot was let go
    assert sent(other) == [{"type": "authenticated"}]
    trades.cancel()


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
    trades, anns = following(connection, "trades"), following(connection, "user_orders")
    await connection.handle(f'{{"op": "auth", "token": "{ANN}/phone-refreshed"}}')  # Ann still: hers go on
    assert not anns.done()
    await connection.handle(f'{{"op": "auth", "token": "{BOB}/phone"}}')
    await asyncio.sleep(0)
    assert anns.cancelled() and not trades.done()
    assert [m.get("code") for m in sent(connection)] == [None, None, "session_ended", None]
    assert connection.claims is not None and connection.claims.user_id == BOB
    trades.cancel()
