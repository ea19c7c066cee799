"""Rate limits: what ``PEOPLECOIN_RATE_LIMITS`` sets, and the HTTP middleware that applies it on the RateLimiter port.

Tiers from the seed: ``public`` (no token, keyed by IP), ``authenticated`` (a
good token, keyed by user), ``trading`` (routes marked ``opt={"rate_limit":
"trading"}``, keyed by user, on top of ``authenticated``) and ``ws`` (WebSocket
messages, keyed by user once signed in, else by IP). Besides rates, caps on
simultaneous WebSocket connections per IP and per user.

The middleware decides who is calling before it counts: a bearer token is
checked by ``Authentication.authenticate`` (signature, expiry and revocation),
once per request; the claims are left in the scope's state for the guard. A
token that fails is answered 401 with its code, on every route: a token that
is no longer good never earns a better tier, nor a fresh anonymous count. The
refusal still costs its IP one ``public`` request (429 once that is spent), so
bad tokens cannot be tried for free. Routes marked ``opt={"rate_limit":
"public"}`` (sign-in and refresh, which take no bearer token) ignore the
header, so a client that sends its expired token along with a refresh is not refused.

Counting is the RateLimiter port's: a fixed window per key, atomic across
processes on Redis. Exempt paths are matched whole.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from uuid import UUID

from litestar.datastructures import Headers
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from application.handlers.auth import Authentication
from application.ports import ConnectionSlots, RateLimiter, TokenRejected, Verdict
from domain.shared.errors import Unauthenticated
from entrypoints.http.auth import CLAIMS, bearer_of
from entrypoints.http.errors import Problem

UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
RATE_TIERS = ("public", "authenticated", "trading", "ws")
CAPS = ("connections_per_ip", "connections_per_user")
DEFAULT = (
    "public=100/minute,authenticated=1000/minute,trading=100/minute,ws=1000/minute,"
    "connections_per_ip=20,connections_per_user=10"
)
EXEMPT_PATHS = frozenset(
    {"/health", "/ready", "/metrics", "/schema", "/schema/openapi.json", "/schema/scalar", "/schema/swagger"}
)
"""Never limited, matched whole: ``/healthy`` or ``/schema/x`` are limited like any other path."""


@dataclass(frozen=True, slots=True)
class Rate:
    count: int
    seconds: int

    @property
    def policy(self) -> str:
        return f"{self.count}; w={self.seconds}"


@dataclass(frozen=True, slots=True)
class Limits:
    """Rates by tier and connection caps; a tier or cap left out is not limited."""

    rates: Mapping[str, Rate] = field(default_factory=dict)
    caps: Mapping[str, int] = field(default_factory=dict)


def parse_limits(text: str | None) -> Limits:
    """``tier=N/unit`` and ``cap=N`` separated by commas, ``name=off`` for one, ``off`` for all.

    What is left out keeps its default.
    """
    text = (text or DEFAULT).strip()
    if text.lower() == "off":
        return Limits()
    entries = dict(_entry(part) for part in DEFAULT.split(","))
    entries.update(_entry(part) for part in filter(None, (p.strip() for p in text.split(","))))
    return Limits(
        rates={name: value for name, value in entries.items() if isinstance(value, Rate)},
        caps={name: value for name, value in entries.items() if isinstance(value, int)},
    )


def _entry(part: str) -> tuple[str, Rate | int | None]:
    name, _, value = (p.strip() for p in part.partition("="))
    if name in (*RATE_TIERS, *CAPS) and value.lower() == "off":
        return name, None
    if name in RATE_TIERS:
        count, _, unit = (p.strip() for p in value.partition("/"))
        if count.isdigit() and int(count) >= 1 and unit in UNITS:
            return name, Rate(int(count), UNITS[unit])
    elif name in CAPS and value.isdigit() and int(value) >= 1:
        return name, int(value)
    raise ValueError(
        f"PEOPLECOIN_RATE_LIMITS: {part!r} is neither tier=N/unit (tiers {', '.join(RATE_TIERS)}; units "
        f"{', '.join(UNITS)}) nor cap=N (caps {', '.join(CAPS)}), nor name=off"
    )


def tiers_for(user: UUID | None, ip: str, trading: bool) -> list[tuple[str, str]]:
    """The (tier, key) pairs one request counts against, broadest first."""
    who = f"ip:{ip}" if user is None else f"user:{user}"
    pairs = [("public" if user is None else "authenticated", who)]
    if trading:
        pairs.append(("trading", who))
    return pairs


def rate_headers(verdict: Verdict, rate: Rate) -> dict[str, str]:
    return {
        "RateLimit-Policy": rate.policy,
        "RateLimit-Limit": str(verdict.limit),
        "RateLimit-Remaining": str(verdict.remaining),
        "RateLimit-Reset": str(math.ceil(verdict.reset_seconds)),
    }


def client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


class RateLimits(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, limits: Limits, limiter: RateLimiter, authentication: Authentication) -> None:
        self._rates = limits.rates
        self._limiter = limiter
        self._authentication = authentication

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["path"] in EXEMPT_PATHS:
            await next_app(scope, receive, send)
            return
        marked = scope["route_handler"].opt.get("rate_limit")
        ip = client_ip(scope)
        user = None
        token = bearer_of(Headers.from_scope(scope).get("authorization", "")) if marked != "public" else None
        if token is not None:
            try:
                claims = await self._authentication.authenticate(token)
            except (TokenRejected, Unauthenticated):
                await self._count([("public", f"ip:{ip}")])  # a refusal costs its IP like any request: no free 401s
                raise
            scope.setdefault("state", {})[CLAIMS] = claims
            user = claims.user_id
        headers = await self._count(tiers_for(user, ip, marked == "trading"))
        if not headers:
            await next_app(scope, receive, send)
            return
        encoded = [(k.lower().encode(), v.encode()) for k, v in headers.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *encoded]
            await send(message)

        await next_app(scope, receive, send_with_headers)

    async def _count(self, pairs: list[tuple[str, str]]) -> dict[str, str]:
        """Hit each configured tier in turn; the headers of the one with the least left (429 at the first refusal)."""
        shown: dict[str, str] = {}
        least = math.inf
        for tier, key in pairs:
            rate = self._rates.get(tier)
            if rate is None:
                continue
            verdict = await self._limiter.hit(f"{tier}:{key}", rate.count, rate.seconds)
            headers = rate_headers(verdict, rate)
            if not verdict.allowed:
                raise Problem(
                    429,
                    "rate_limited",
                    f"more than {rate.count} requests in {rate.seconds} s ({tier}); wait as Retry-After says",
                    headers={**headers, "Retry-After": str(max(math.ceil(verdict.reset_seconds), 1))},
                )
            if verdict.remaining <= least:
                shown, least = headers, verdict.remaining
        return shown


class LiveLimits:
    """The WebSocket's limits, per identity across all its connections and every process.

    An identity is ``ip:<address>`` before ``auth`` and ``user:<id>`` after it:
    messages count against the ``ws`` tier of the identity that sends them,
    and a connection holds one slot of its IP's cap and, once signed in, one of
    its user's. Once an identity is refused, this process refuses its messages
    without asking the store until the window ends: a flood costs no round trips.
    """

    def __init__(self, limits: Limits, limiter: RateLimiter, slots: ConnectionSlots) -> None:
        self._messages = limits.rates.get("ws")
        self._caps = {"ip": limits.caps.get("connections_per_ip"), "user": limits.caps.get("connections_per_user")}
        self._limiter, self._slots = limiter, slots
        self._refused_until: dict[str, float] = {}

    async def message_allowed(self, who: str) -> bool:
        if self._messages is None:
            return True
        now = time.monotonic()
        if self._refused_until.get(who, 0.0) > now:
            return False
        verdict = await self._limiter.hit(f"ws:{who}", self._messages.count, self._messages.seconds)
        if not verdict.allowed:
            if len(self._refused_until) > 10_000:
                self._refused_until = {k: t for k, t in self._refused_until.items() if t > now}
            self._refused_until[who] = now + verdict.reset_seconds
        return verdict.allowed

    async def take(self, who: str, connection: str) -> bool:
        """A slot of ``who``'s cap for this connection; False when all are held."""
        cap = self._caps[who.partition(":")[0]]
        return cap is None or await self._slots.take(who, connection, cap)

    async def release(self, who: str, connection: str) -> None:
        if self._caps[who.partition(":")[0]] is not None:
            await self._slots.release(who, connection)
