"""Access tokens as HS256 JWTs (PyJWT), with the claims WEB3_AUTH.md names."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import jwt

from application.ports import AccessClaims, Clock, TokenRejected

ALGORITHM = "HS256"
ISSUER = "peoplecoin"
REQUIRED = ["sub", "addr", "sid", "roles", "iat", "exp", "jti", "iss"]


VERIFIED_KEPT = 20_000  # tokens whose signature was checked, remembered by their exact text


class JwtAccessTokens:
    """Expiry is judged by the application's clock, not the library's, so one time source rules everything.

    A token's text is checked once: a client sends the same token with every request until it expires, and the
    signature over the same bytes cannot stop being valid, so the claims read from it are kept (the last
    ``VERIFIED_KEPT`` tokens) and only its expiry is judged again. A token that fails is never kept."""

    def __init__(self, secret: str, clock: Clock) -> None:
        if len(secret) < 32:
            raise ValueError("the JWT secret must be at least 32 characters")
        self._secret = secret
        self._clock = clock
        self._verified: dict[str, AccessClaims] = {}

    def issue(self, claims: AccessClaims) -> str:
        return jwt.encode(
            {
                "iss": ISSUER,
                "sub": str(claims.user_id),
                "addr": claims.address,
                "sid": str(claims.session_id),
                "roles": list(claims.roles),
                "iat": int(claims.issued_at.timestamp()),
                "exp": int(claims.expires_at.timestamp()),
                "jti": claims.token_id,
            },
            self._secret,
            algorithm=ALGORITHM,
        )

    def read(self, token: str) -> AccessClaims:
        claims = self._verified.get(token)
        if claims is None:
            claims = self._verify(token)
            if len(self._verified) >= VERIFIED_KEPT:
                del self._verified[next(iter(self._verified))]
            self._verified[token] = claims
        if self._clock.now() >= claims.expires_at:
            raise TokenRejected("token_expired", "the access token has expired; refresh it")
        return claims

    def _verify(self, token: str) -> AccessClaims:
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": REQUIRED, "verify_exp": False, "verify_iat": False},
            )
            claims = AccessClaims(
                user_id=UUID(payload["sub"]),
                address=str(payload["addr"]),
                session_id=UUID(payload["sid"]),
                roles=tuple(str(r) for r in payload["roles"]),
                issued_at=datetime.fromtimestamp(payload["iat"], UTC),
                expires_at=datetime.fromtimestamp(payload["exp"], UTC),
                token_id=str(payload["jti"]),
            )
        except (jwt.InvalidTokenError, ValueError, TypeError, KeyError, OverflowError):
            raise TokenRejected("invalid_token", "that is not an access token we issued") from None
        return claims
