"""Live connections end with their session: at its announced revocation, at its token's expiry, or at the re-check."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from adapters.pubsub.memory import InProcessPubSub
from application.handlers.auth import SESSIONS_REVOKED
from application.live_sessions import EXPIRED, REVOKED, LiveSessions
from application.ports import AccessClaims
from domain.identity.errors import SessionIsRevoked

T0 = datetime(2025, 1, 1, tzinfo=UTC)
S1, S2 = UUID(int=1), UUID(int=2)


class Clock:
    def __init__(self) -> None:
        self.now_value = T0

    def now(self) -> datetime:
        return self.now_value


class Sessions:
    """Authentication's part LiveSessions uses: the store's word on revocation, and the trust it forgets."""

    def __init__(self) -> None:
        self.revoked: set[UUID] = set()
        self.forgotten: list[UUID] = []

    async def is_revoked(self, session_id: UUID) -> bool:
        return session_id in self.revoked

    def forget(self, session_id: UUID) -> None:
        self.forgotten.append(session_id)


class Ends:
    """What each connection was told, by name."""

    def __init__(self) -> None:
        self.told: dict[str, list[str]] = {}
        self.any = asyncio.Event()

    def of(self, name: str) -> Callable[[str], Awaitable[None]]:
        async def end(why: str) -> None:
            self.told.setdefault(name, []).append(why)
            self.any.set()

        return end


def claims(session: UUID, minutes: int = 15) -> AccessClaims:
    return AccessClaims(UUID(int=9), "0x" + "0" * 64, session, ("user",), T0, T0 + timedelta(minutes=minutes), "j")


def live(sessions: Sessions | None = None) -> tuple[LiveSessions, Clock, InProcessPubSub]:
    clock, pubsub = Clock(), InProcessPubSub()
    return LiveSessions(sessions or Sessions(), pubsub, clock), clock, pubsub  # type: ignore[arg-type]


async def test_a_revocation_ends_every_connection_on_that_session_once_and_no_other() -> None:
    watch, _, _ = live()
    ends = Ends()
    watch.hold(claims(S1), ends.of("phone"))
    watch.hold(claims(S1), ends.of("laptop"))
    watch.hold(claims(S2), ends.of("other"))
    await watch.session_revoked(S1)
    await watch.session_revoked(S1)
    assert ends.told == {"phone": [REVOKED], "laptop": [REVOKED]}


async def test_a_released_hold_is_never_ended() -> None:
    watch, clock, _ = live()
    ends = Ends()
    watch.release(watch.hold(claims(S1), ends.of("gone")))
    await watch.session_revoked(S1)
    clock.now_value += timedelta(hours=1)
    await watch.end_expired()
    assert ends.told == {}


async def test_a_connection_ends_when_its_access_token_expires_and_not_before() -> None:
    watch, clock, _ = live()
    ends = Ends()
    watch.hold(claims(S1, minutes=5), ends.of("short"))
    watch.hold(claims(S2, minutes=15), ends.of("long"))
    clock.now_value = T0 + timedelta(minutes=5) - timedelta(microseconds=1)
    await watch.end_expired()
    assert ends.told == {}
    clock.now_value = T0 + timedelta(minutes=5)
    await watch.end_expired()
    assert ends.told == {"short": [EXPIRED]}


async def test_the_recheck_ends_sessions_the_store_says_are_revoked() -> None:
    sessions = Sessions()
    watch, _, _ = live(sessions)
    ends = Ends()
    watch.hold(claims(S1), ends.of("missed the announcement"))
    watch.hold(claims(S2), ends.of("fine"))
    sessions.revoked.add(S1)
    await watch.recheck()
    assert ends.told == {"missed the announcement": [REVOKED]}


async def test_an_announced_revocation_ends_the_session_here_and_drops_its_trust() -> None:
    sessions = Sessions()
    watch, _, pubsub = live(sessions)
    ends = Ends()
    watch.hold(claims(S1), ends.of("phone"))
    running = asyncio.create_task(watch.run())
    try:
        await asyncio.wait_for(watch.listening.wait(), 5)
        await pubsub.publish(SESSIONS_REVOKED, b"not a session id")
        await pubsub.publish(SESSIONS_REVOKED, S1.hex.encode())
        await asyncio.wait_for(ends.any.wait(), 5)
    finally:
        running.cancel()
    assert ends.told == {"phone": [REVOKED]}
    assert sessions.forgotten == [S1]


async def test_a_session_announced_revoked_lately_cannot_be_held_again() -> None:
    watch, clock, _ = live()
    await watch.session_revoked(S1)
    with pytest.raises(SessionIsRevoked):
        watch.hold(claims(S1), Ends().of("late"))
    watch.hold(claims(S2), Ends().of("other"))
    clock.now_value += timedelta(hours=1)
    await watch.end_expired()  # long after: forgotten, the store decides again (Authentication refuses it there)
    watch.hold(claims(S1), Ends().of("much later"))
