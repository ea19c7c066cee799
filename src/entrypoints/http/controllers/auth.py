"""Sign-in with a Sui wallet: challenge, verify, refresh, logout (WEB3_AUTH.md)."""

from __future__ import annotations

from litestar import Controller, Response, post
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from application.handlers.auth import Authentication, Tokens
from application.ports import AccessClaims
from domain.identity.user import User
from entrypoints.http.auth import requires
from entrypoints.http.openapi import problems
from entrypoints.http.schemas import (
    NonceRequest,
    NonceResponse,
    RefreshRequest,
    TokenResponse,
    UserResponse,
    VerifyRequest,
)

POSITION_HEADER = "X-Event-Position"
NO_STORE = {"no_store": True}  # answers that carry tokens: entrypoints/http/headers.py adds Cache-Control: no-store
NO_BEARER = {"rate_limit": "public"}  # these take no bearer token: one sent along (an expired one) is not looked at


def user_response(user: User, roles: tuple[str, ...]) -> UserResponse:
    """A user as a command just left it (queries answer from the users view instead)."""
    pending = user.pending_email
    assert user.registered_at is not None
    return UserResponse(
        id=user.id,
        wallet_address=user.wallet_address,
        username=user.profile.username,
        display_name=user.profile.display_name,
        bio=user.profile.bio,
        avatar_url=user.profile.avatar_url,
        email=user.email or (pending.email if pending else None),
        email_verified=user.email is not None,
        roles=list(roles),
        created_at=user.registered_at,
    )


def token_response(user: User, tokens: Tokens) -> TokenResponse:
    return TokenResponse(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        token_type="Bearer",
        expires_in=tokens.expires_in,
        user=user_response(user, tokens.claims.roles),
    )


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/nonce", status_code=HTTP_200_OK, opt=NO_BEARER, summary="A challenge for a wallet to sign (single use, 5 minutes)")
    async def nonce(self, data: NonceRequest, authentication: Authentication) -> NonceResponse:
        challenge = await authentication.issue_challenge(data.address)
        return NonceResponse(challenge.nonce, challenge.message, challenge.expires_at)

    @post(
        "/verify",
        status_code=HTTP_200_OK,
        opt={**NO_STORE, **NO_BEARER},
        responses=problems(401),
        summary="Sign in with the signed challenge",
    )
    async def verify(self, data: VerifyRequest, authentication: Authentication) -> Response[TokenResponse]:
        done = await authentication.sign_in(data.address, data.message, data.signature)
        return Response(
            token_response(done.value.user, done.value.tokens), headers={POSITION_HEADER: str(done.position)}
        )

    @post(
        "/refresh",
        status_code=HTTP_200_OK,
        opt={**NO_STORE, **NO_BEARER},
        responses=problems(401),
        summary="Trade a refresh token for a new pair (each is good once)",
    )
    async def refresh(self, data: RefreshRequest, authentication: Authentication) -> TokenResponse:
        user, tokens = await authentication.refresh(data.refresh_token)
        return token_response(user, tokens)

    @post(
        "/logout",
        status_code=HTTP_204_NO_CONTENT,
        guards=[requires()],
        summary="End this session: its access and refresh tokens stop working at once",
    )
    async def logout(self, authentication: Authentication, claims: AccessClaims) -> Response[None]:
        position = await authentication.logout(claims)
        return Response(None, status_code=HTTP_204_NO_CONTENT, headers={POSITION_HEADER: str(position)})
