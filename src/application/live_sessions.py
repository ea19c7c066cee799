"""Live connections that rest on a session end with it: when it is revoked anywhere, or its access token expires.

A WebSocket connection signed in with ``auth`` follows the user's own orders
only while the session that authorised it lives (API.md). Each server
process keeps one LiveSessions, which learns of an end three ways:

- revocation, at once: Authentication announces every revocation on the
  pub/sub port; this process's one subscription ends the matching holds;
- expiry: a sweep every second ends the holds whose access token has expired;
- lost announcements (pub/sub is at most once): every half minute the sessions
  held are checked against the shared store, one read per session, not one
  per connection per second.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from uuid import UUID

from application.handlers.auth import SESSIONS_REVOKED, Authentication
from application.ports import AccessClaims, Clock, PubSub, SubscriptionOverflow
from domain.identity.errors import SessionIsRevoked

log = logging.getLogger(__name__)

RECHECK = timedelta(seconds=30)
SWEEP_SECONDS = 1.0
REMEMBER_REVOKED = timedelta(minutes=1)
"""How long an announced revocation is remembered, for connections signing in with that session meanwhile."""
REVOKED = "the session has ended (signed out, or its refresh token was used twice); sign in and send auth again"
EXPIRED = "the access token has expired; send auth with a fresh one"

End = Callable[[str], Awaitable[None]]
"""What a holder does when its session ends, given why (for the client)."""


class Hold:
    """One connection's claim on a session; ended at most once, never after release."""

    __slots__ = ("claims", "end", "live")

    def __init__(self, claims: AccessClaims, end: End) -> None:
        self.claims, self.end, self.live = claims, end, True


class LiveSessions:
    def __init__(
        self, authentication: Authentication, announcements: PubSub, clock: Clock, recheck: timedelta = RECHECK
    ) -> None:
        self._authentication, self._announcements, self._clock = authentication, announcements, clock
        self._recheck_seconds = recheck.total_seconds()
        self._by_session: dict[UUID, set[Hold]] = {}
        self._expiries: list[tuple[datetime, int, Hold]] = []  # a heap; released holds leave it when due
        self._order = itertools.count()
        self._revoked_lately: dict[UUID, datetime] = {}  # session -> until when it is remembered
        self.listening = asyncio.Event()

    def hold(self, claims: AccessClaims, end: End) -> Hold:
        """Rest a connection on this session; SessionIsRevoked if it was announced revoked lately.

        The token was checked before, but a revocation announced while the connection
        was taking its slot would otherwise pass unseen until the next re-check.
        """
        if claims.session_id in self._revoked_lately:
            raise SessionIsRevoked("this session has ended; sign in again")
        held = Hold(claims, end)
        self._by_session.setdefault(claims.session_id, set()).add(held)
        heapq.heappush(self._expiries, (claims.expires_at, next(self._order), held))
        return held

    def release(self, held: Hold) -> None:
        held.live = False
        holds = self._by_session.get(held.claims.session_id)
        if holds is not None:
            holds.discard(held)
            if not holds:
                del self._by_session[held.claims.session_id]

    async def session_revoked(self, session_id: UUID) -> None:
        self._revoked_lately[session_id] = self._clock.now() + REMEMBER_REVOKED
        for held in list(self._by_session.get(session_id, ())):
            await self._end(held, REVOKED)

    async def end_expired(self) -> None:
        now = self._clock.now()
        if self._revoked_lately:
            self._revoked_lately = {s: until for s, until in self._revoked_lately.items() if until > now}
        while self._expiries and self._expiries[0][0] <= now:
            _, _, held = heapq.heappop(self._expiries)
            await self._end(held, EXPIRED)

    async def recheck(self) -> None:
        """Ask the store about every session held here: the backstop for announcements that never came."""
        for session_id in list(self._by_session):
            try:
                revoked = await self._authentication.is_revoked(session_id)
            except Exception:
                log.warning("could not check session %s; next round will", session_id, exc_info=True)
                continue
            if revoked:
                await self.session_revoked(session_id)

    async def run(self) -> None:
        """Listen for revocations and sweep expiries until cancelled; returns once both have stopped.

        (A TaskGroup, not gather(): a cancelled gather returns at its first child's end, before the
        subscription has been let go, and the pub/sub would then be closed under it.)
        """
        async with asyncio.TaskGroup() as group:
            group.create_task(self._listen())
            group.create_task(self._sweep())

    async def _listen(self) -> None:
        while True:
            try:
                async with self._announcements.subscribe([SESSIONS_REVOKED]) as subscription:
                    self.listening.set()
                    async for _, message in subscription:
                        try:
                            session_id = UUID(hex=message.decode())
                        except ValueError:
                            log.warning("not a session id on %s: %r", SESSIONS_REVOKED, message[:64])
                            continue
                        self._authentication.forget(session_id)
                        await self.session_revoked(session_id)
                return  # the pub/sub was closed: the process is stopping
            except SubscriptionOverflow:  # announcements were dropped: ask the store, then listen again
                self.listening.clear()
                await self.recheck()

    async def _sweep(self) -> None:
        since_recheck = 0.0
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            await self.end_expired()
            since_recheck += SWEEP_SECONDS
            if since_recheck >= self._recheck_seconds:
                since_recheck = 0.0
                await self.recheck()

    async def _end(self, held: Hold, why: str) -> None:
        if not held.live:
            return
        self.release(held)
        try:
            await held.end(why)
        except Exception:
            log.exception("ending a connection's session failed")
