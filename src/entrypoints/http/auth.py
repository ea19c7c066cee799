"""Who is calling: the bearer token checked once per request, and the role rule endpoints reuse.

The rate-limit middleware checks the token first (it needs to know whose
count a request is) and leaves the claims in the scope's state; the guard
takes them from there, and checks the token itself only where nothing did.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from application.handlers.auth import Authentication
from application.ports import AccessClaims
from entrypoints.http.errors import Problem, unauthenticated

APP_STATE_KEY = "authentication"
CLAIMS = "claims"  # in the scope's state: the checked token's claims


def bearer_of(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header's value."""
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class Requires:
    """A guard: a valid, unrevoked access token, holding at least one of ``roles`` when any are named.

    A class rather than a closure so the OpenAPI document can read what a route needs (401, 403, Bearer).
    """

    def __init__(self, *roles: str) -> None:
        self.roles = roles

    async def __call__(self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        claims: AccessClaims | None = connection.scope.get("state", {}).get(CLAIMS)
        if claims is None:
            token = bearer_of(connection.headers.get("authorization", ""))
            if token is None:
                raise unauthenticated("missing_token", "this needs a signed-in user: send Authorization: Bearer <access token>")
            authentication: Authentication = connection.app.state[APP_STATE_KEY]
            claims = await authentication.authenticate(token)
            connection.scope.setdefault("state", {})[CLAIMS] = claims
        if self.roles and not set(self.roles) & set(claims.roles):
            raise Problem(403, "forbidden", f"this needs the role {' or '.join(self.roles)}")


def requires(*roles: str) -> Guard:
    return Requires(*roles)


def provide_claims(request: ASGIConnection[Any, Any, Any, Any]) -> AccessClaims:
    """The claims the guard checked; only on routes that have the guard."""
    return request.scope["state"][CLAIMS]  # type: ignore[no-any-return]


async def provide_optional_claims(request: ASGIConnection[Any, Any, Any, Any]) -> AccessClaims | None:
    """On a public route: the caller's claims when they sent a token (a bad one is 401, as everywhere), else None."""
    claims: AccessClaims | None = request.scope.get("state", {}).get(CLAIMS)
    if claims is None:
        token = bearer_of(request.headers.get("authorization", ""))
        if token is None:
            return None
        authentication: Authentication = request.app.state[APP_STATE_KEY]
        claims = await authentication.authenticate(token)
    return claims
