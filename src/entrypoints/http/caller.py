"""Who a WebSocket connection speaks for: its IP, then the user of the session it signed in with.

The identity is what the limits count (LiveLimits: messages, connection
slots) and what may follow ``user_orders``. The caller holds one slot of its
IP's connection cap from the start and one of its user's while signed in,
and a hold on its session (LiveSessions), which ends it when the session is
revoked or the access token expires.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

from application.live_sessions import Hold, LiveSessions
from application.ports import AccessClaims
from domain.identity.errors import SessionIsRevoked
from entrypoints.http.ratelimit import LiveLimits


class Caller:
    def __init__(self, ip: str, limits: LiveLimits, sessions: LiveSessions, on_end: Callable[[str], None]) -> None:
        """``on_end(why)`` is called when the session ends, once the caller is anonymous again."""
        self.ip = ip
        self._limits, self._sessions, self._on_end = limits, sessions, on_end
        self._id = uuid4().hex  # this connection, as a slot holder
        self._slots: set[str] = set()
        self._session: Hold | None = None
        self.claims: AccessClaims | None = None

    @property
    def identity(self) -> str:
        return f"user:{self.claims.user_id}" if self.claims else f"ip:{self.ip}"

    async def admit(self) -> bool:
        """A slot of the IP's connection cap; False when its cap is reached."""
        return await self._take(f"ip:{self.ip}")

    async def message_allowed(self) -> bool:
        return await self._limits.message_allowed(self.identity)

    async def sign_in(self, claims: AccessClaims) -> bool:
        """Speak for this session's user from now on; False (and nothing changed) when the user's cap is reached.

        Raises SessionIsRevoked, changing nothing, if the session was revoked meanwhile.
        """
        if not await self._take(f"user:{claims.user_id}"):
            return False
        try:
            held = self._sessions.hold(claims, self._ended)
        except SessionIsRevoked:
            await self._settle()
            raise
        self._drop_session()
        self.claims, self._session = claims, held
        await self._settle()
        return True

    async def close(self) -> None:
        self._drop_session()
        for who in list(self._slots):
            await self._release(who)

    async def _ended(self, why: str) -> None:
        self._drop_session()
        self._on_end(why)
        await self._settle()

    def _drop_session(self) -> None:
        if self._session is not None:
            self._sessions.release(self._session)
        self.claims, self._session = None, None

    async def _settle(self) -> None:
        """Let go of the user slots of anyone but the user signed in now.

        _take() records a slot only once it is taken and _release() forgets it
        before releasing, so a session ending during a new sign_in() keeps the new slot.
        """
        for who in [w for w in self._slots if w.startswith("user:") and w != self.identity]:
            await self._release(who)

    async def _take(self, who: str) -> bool:
        if who in self._slots:
            return True
        if not await self._limits.take(who, self._id):
            return False
        self._slots.add(who)
        return True

    async def _release(self, who: str) -> None:
        if who in self._slots:
            self._slots.discard(who)
            await self._limits.release(who, self._id)
