"""Rate limits by tier, on Litestar's own middleware and stores (memory, or Redis when configured).

Tiers from the seed: ``public`` (no valid token, keyed by IP), ``authenticated``
(a valid token, keyed by user), ``trading`` (routes marked ``opt={"rate_limit":
"trading"}``, keyed by user, on top of ``authenticated``) and ``ws`` (WebSocket
messages). ``PEOPLECOIN_RATE_LIMITS`` sets them, e.g. the default
``public=100/minute,authenticated=1000/minute,trading=100/minute,ws=1000/minute``,
or ``off``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from litestar import Request
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import DURATION_VALUES, DurationUnit, RateLimitConfig, RateLimitMiddleware

from application.ports import AccessTokens, TokenRejected

DEFAULT = "public=100/minute,authenticated=1000/minute,trading=100/minute,ws=1000/minute"
TIERS = ("public", "authenticated", "trading", "ws")
UNLIMITED_PATHS = ["/health", "/ready", "/metrics", "/schema"]
STORE = "rate_limit"

Limits = dict[str, tuple[DurationUnit, int]]


def parse_limits(text: str | None) -> Limits:
    """``tier=N/unit,...``; tiers left out keep their default; ``off`` turns every limit off."""
    text = (text or DEFAULT).strip()
    if text.lower() == "off":
        return {}
    limits = {} if text == DEFAULT else parse_limits(DEFAULT)
    for part in filter(None, (p.strip() for p in text.split(","))):
        tier, _, rate = part.partition("=")
        count, _, unit = rate.partition("/")
        tier, unit = tier.strip(), unit.strip()
        if tier not in TIERS or unit not in DURATION_VALUES or not count.strip().isdigit() or int(count) < 1:
            raise ValueError(f"PEOPLECOIN_RATE_LIMITS: {part!r} is not tier=N/unit (tiers {', '.join(TIERS)}; units second, minute, hour, day)")
        limits[tier] = (cast(DurationUnit, unit), int(count))
    return limits


class TierMiddleware(RateLimitMiddleware):
    """Litestar's limiter with a key per tier (a refusal's Retry-After is added where errors are answered)."""

    tier = ""

    def cache_key_from_request(self, request: Request[Any, Any, Any]) -> str:
        return f"{self.tier}:{super().cache_key_from_request(request)}"


def _middleware_class(tier: str) -> type[RateLimitMiddleware]:
    return type(f"{tier.title()}RateLimit", (TierMiddleware,), {"tier": tier})


def rate_limit_middleware(limits: Limits, tokens: AccessTokens) -> list[DefineMiddleware]:
    def user_or_none(request: Request[Any, Any, Any]) -> str | None:
        """The verified token's user, once per request (expiry and revocation are the guard's business)."""
        state = request.scope.setdefault("state", {})
        if "rate_limit_user" not in state:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            user = None
            if scheme.lower() == "bearer" and token:
                try:
                    user = str(tokens.read(token.strip()).user_id)
                except TokenRejected:
                    user = None
            state["rate_limit_user"] = user
        return cast("str | None", state["rate_limit_user"])

    def identifier(request: Request[Any, Any, Any]) -> str:
        user = user_or_none(request)
        if user is not None:
            return f"user:{user}"
        return f"ip:{request.client.host if request.client else 'unknown'}"

    applies: dict[str, Callable[[Request[Any, Any, Any]], bool]] = {
        "public": lambda r: user_or_none(r) is None,
        "authenticated": lambda r: user_or_none(r) is not None,
        "trading": lambda r: r.route_handler.opt.get("rate_limit") == "trading",
    }
    return [
        RateLimitConfig(
            rate_limit=limits[tier],
            exclude=UNLIMITED_PATHS,
            identifier_for_request=identifier,
            check_throttle_handler=applies[tier],
            middleware_class=_middleware_class(tier),
            store=STORE,
        ).middleware
        for tier in ("trading", "authenticated", "public")  # outermost first: the narrowest tier's headers show
        if tier in limits
    ]

