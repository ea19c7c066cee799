"""Who a WebSocket connection speaks for: its IP, then the user it signed in as.

The identity is what the limits count (LiveLimits: messages, connection
slots) and what may follow ``user_orders``. The caller holds one slot of its
IP's connection cap from the start and one of its user's while signed in.
"""

from __future__ import annotations

from uuid import uuid4

from application.ports import AccessClaims
from entrypoints.http.ratelimit import LiveLimits


class Caller:
    def __init__(self, ip: str, limits: LiveLimits) -> None:
        self.ip = ip
        self._limits = limits
        self._id = uuid4().hex  # this connection, as a slot holder
        self._slots: set[str] = set()
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
        """Speak for this user from now on; False (and nothing changed) when the user's cap is reached."""
        if not await self._take(f"user:{claims.user_id}"):
            return False
        self.claims = claims
        await self._settle()
        return True

    async def close(self) -> None:
        self.claims = None
        for who in list(self._slots):
            await self._release(who)

    async def _settle(self) -> None:
        """Let go of the user slots of anyone but the user signed in now."""
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
