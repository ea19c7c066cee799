"""The signed-in user: profile and email."""

from __future__ import annotations

from litestar import Controller, Response, get, patch, post
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED

import msgspec

from application.handlers.users import EmailVerification, ProfileHandler
from application.ports import AccessClaims
from application.queries import UserQueries
from domain.identity.user import ProfileChange
from domain.shared.unset import UNSET
from entrypoints.http.auth import requires
from entrypoints.http.controllers.auth import POSITION_HEADER, user_response
from entrypoints.http.openapi import problems
from entrypoints.http.schemas import (
    EmailCodeRequest,
    EmailCodeResponse,
    EmailRequest,
    MinPosition,
    ProfileRequest,
    UserResponse,
)


def _field(value: object) -> object:
    return UNSET if value is msgspec.UNSET else value


class UsersController(Controller):
    path = "/api/v1/users/me"
    tags = ["users"]
    guards = [requires()]

    @get("/", summary="The signed-in user")
    async def me(self, claims: AccessClaims, user_queries: UserQueries, min_position: MinPosition = None) -> UserResponse:
        row = await user_queries.me(claims.user_id, min_position)
        return UserResponse(
            id=row.id,
            wallet_address=row.wallet_address,
            username=row.username,
            display_name=row.display_name,
            bio=row.bio,
            avatar_url=row.avatar_url,
            email=row.email,
            email_verified=row.email_verified,
            roles=list(claims.roles),
            created_at=row.created_at,
        )

    @patch("/", responses=problems(409), summary="Change the profile: only the fields sent; null clears one")
    async def update(
        self, data: ProfileRequest, claims: AccessClaims, profile_handler: ProfileHandler
    ) -> Response[UserResponse]:
        change = ProfileChange(
            username=_field(data.username),  # type: ignore[arg-type]
            display_name=_field(data.display_name),  # type: ignore[arg-type]
            bio=_field(data.bio),  # type: ignore[arg-type]
            avatar_url=_field(data.avatar_url),  # type: ignore[arg-type]
        )
        done = await profile_handler(claims.user_id, change)
        return Response(user_response(done.value, claims.roles), headers={POSITION_HEADER: str(done.position)})

    @post("/email", status_code=HTTP_202_ACCEPTED, summary="Send a 6-digit code to this email (15 minutes, 5 attempts)")
    async def add_email(
        self, data: EmailRequest, claims: AccessClaims, email_verification: EmailVerification
    ) -> Response[EmailCodeResponse]:
        done = await email_verification.send_code(claims.user_id, data.email)
        return Response(
            EmailCodeResponse(done.value.email, done.value.expires_at),
            status_code=HTTP_202_ACCEPTED,
            headers={POSITION_HEADER: str(done.position)},
        )

    @post(
        "/email/verify",
        status_code=HTTP_200_OK,
        responses=problems(409),
        summary="Prove the email with the code it received",
    )
    async def verify_email(
        self, data: EmailCodeRequest, claims: AccessClaims, email_verification: EmailVerification
    ) -> Response[UserResponse]:
        done = await email_verification.verify(claims.user_id, data.code)
        return Response(user_response(done.value, claims.roles), headers={POSITION_HEADER: str(done.position)})
