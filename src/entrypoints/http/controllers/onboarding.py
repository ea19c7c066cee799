"""Becoming a creator (CREATORS.md): documents and signatures, symbol checks, applications, invitations and review,
and the curated trending topics."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, delete, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from application.creator_queries import CreatorQueries
from application.handlers.creators import Social
from application.handlers.onboarding import ApplicationForm, ApplicationRecord, Documents, Onboarding
from application.ports import AccessClaims
from application.projections.creators import ApplicationRow, TopicRow
from domain.creator.documents import DocumentKind
from domain.creator.errors import InvalidDocument
from domain.creator.events import DocumentPublished, DocumentSigned
from domain.shared.money import USD_DECIMALS
from domain.token.errors import InvalidTokenParameters
from domain.token.token import DEFAULT_DECIMALS
from entrypoints.http.auth import requires
from entrypoints.http.controllers.auth import POSITION_HEADER
from entrypoints.http.creator_schemas import (
    ApplicationResponse,
    ApplyRequest,
    ApproveRequest,
    DocumentDetailResponse,
    DocumentResponse,
    InvitationRequest,
    InvitationResponse,
    PublishDocumentRequest,
    RejectRequest,
    SignatureRequest,
    SignatureResponse,
    SigningMessageResponse,
    SymbolAvailabilityResponse,
    TopicRequest,
    TopicResponse,
)
from entrypoints.http.enums import ApplicationStatusFilter
from entrypoints.http.errors import Problem
from entrypoints.http.openapi import problems
from entrypoints.http.presenters import units
from entrypoints.http.schemas import Cursor, Limit, MinPosition, Page, decode_time_cursor, page_of, time_key

def document_response(d: DocumentPublished) -> DocumentResponse:
    return DocumentResponse(d.document_id, d.kind, d.version, d.title, d.content_hash, d.at)


def signature_response(s: DocumentSigned) -> SignatureResponse:
    return SignatureResponse(s.signature_id, s.document_id, s.kind, s.version, s.content_hash, s.wallet_address, s.signature, s.at)


def application_response(a: ApplicationRecord | ApplicationRow) -> ApplicationResponse:
    if isinstance(a, ApplicationRecord):
        s = a.submitted
        return ApplicationResponse(
            a.id, a.status, s.user_id, s.wallet_address, s.display_name, s.handle, s.category, s.token_symbol,
            s.token_name, s.headline, s.bio, list(s.profile_urls), s.invited, s.at, a.decided_at, a.rejection_reason,
            a.creator_id, a.token_id,
        )
    return ApplicationResponse(
        a.id, a.status, a.user_id, a.wallet_address, a.display_name, a.handle, a.category, a.token_symbol, a.token_name,
        a.headline, a.bio, a.profile_urls, a.invited, a.created_at, a.decided_at, a.rejection_reason, a.creator_id, a.token_id,
    )


def topic_response(t: TopicRow) -> TopicResponse:
    return TopicResponse(t.id, t.title, t.summary, t.url, t.tags, t.creator_ids, t.published_at)


def _kind(text: str) -> DocumentKind:
    try:
        return DocumentKind(text)
    except ValueError:
        raise InvalidDocument(f"kind is one of {', '.join(k.value for k in DocumentKind)}") from None


class DocumentsController(Controller):
    path = "/api/v1/documents"
    tags = ["creators"]

    @get("/", summary="The current version of each legal document")
    async def current(self, documents: Documents) -> list[DocumentResponse]:
        return [document_response(d) for d in await documents.current()]

    @get("/{document_id:uuid}", responses=problems(404), summary="One version of a document, with its body")
    async def one(self, document_id: UUID, documents: Documents) -> DocumentDetailResponse:
        d = await documents.version(document_id)
        return DocumentDetailResponse(d.document_id, d.kind, d.version, d.title, d.content_hash, d.at, d.body)

    @get("/{document_id:uuid}/signing-message", guards=[requires()], responses=problems(404), summary="The exact text to sign")
    async def signing_message(self, document_id: UUID, claims: AccessClaims, documents: Documents) -> SigningMessageResponse:
        return SigningMessageResponse(await documents.signing_message(document_id, claims.address))

    @post(
        "/{document_id:uuid}/signatures",
        guards=[requires()],
        responses=problems(401, 404),
        summary="Sign a document with one's wallet; kept as evidence (a version signed again answers the first)",
    )
    async def sign(
        self, document_id: UUID, data: SignatureRequest, claims: AccessClaims, documents: Documents
    ) -> Response[SignatureResponse]:
        done = await documents.sign(claims.user_id, claims.address, document_id, data.message, data.signature)
        signed, new = done.value
        status = HTTP_201_CREATED if new else HTTP_200_OK
        return Response(signature_response(signed), status_code=status, headers={POSITION_HEADER: str(done.position)})


class SignaturesController(Controller):
    path = "/api/v1/users/me/signatures"
    tags = ["creators"]
    guards = [requires()]

    @get("/", summary="The documents one has signed, newest first")
    async def mine(self, claims: AccessClaims, documents: Documents) -> list[SignatureResponse]:
        return [signature_response(s) for s in await documents.signatures(claims.user_id)]


class SymbolsController(Controller):
    path = "/api/v1/token-symbols"
    tags = ["creators"]

    @get("/available", summary="Whether a token symbol can be applied for, and why not")
    async def available(
        self, symbol: Annotated[str, Parameter(max_length=100)], onboarding: Onboarding, caller: AccessClaims | None
    ) -> SymbolAvailabilityResponse:
        """Signed in, one's own pending application does not count against one."""
        check = await onboarding.check_symbol(symbol, caller.user_id if caller else None)
        return SymbolAvailabilityResponse(check.symbol, check.available, check.reason.value if check.reason else None)


class ApplicationsController(Controller):
    path = "/api/v1/creators"
    tags = ["creators"]
    guards = [requires()]

    @post("/apply", responses=problems(409), summary="Apply to become a creator (the creator agreement signed first)")
    async def apply(self, data: ApplyRequest, claims: AccessClaims, onboarding: Onboarding) -> Response[ApplicationResponse]:
        form = ApplicationForm(
            data.display_name, data.handle, data.category, data.token_symbol, data.token_name, data.headline, data.bio,
            data.profile_urls, data.invitation_code,
        )
        done = await onboarding.apply(claims.user_id, claims.address, form)
        return Response(application_response(done.value), status_code=HTTP_201_CREATED, headers={POSITION_HEADER: str(done.position)})

    @get("/applications/me", summary="One's own applications, newest first")
    async def mine(self, claims: AccessClaims, onboarding: Onboarding) -> list[ApplicationResponse]:
        return [application_response(a) for a in await onboarding.applications_of(claims.user_id)]


class AdminOnboardingController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]
    guards = [requires("admin")]

    @get("/applications", summary="Applications, newest first")
    async def applications(
        self,
        creator_queries: CreatorQueries,
        status: ApplicationStatusFilter | None = None,
        limit: Limit = 50,
        cursor: Cursor = None,
        min_position: MinPosition = None,
    ) -> Page[ApplicationResponse]:
        key = decode_time_cursor(cursor)
        rows = await creator_queries.applications(status.value if status else None, limit + 1, key, min_position)
        page = page_of(rows, limit, lambda r: time_key(r.created_at, r.id))
        return Page([application_response(r) for r in page.items], page.next_cursor)

    @post("/applications/{application_id:uuid}/approve", status_code=HTTP_200_OK, responses=problems(404, 409),
          summary="Approve: the creator is made, the role granted, the token listed as POST /admin/tokens does")
    async def approve(
        self, application_id: UUID, data: ApproveRequest, claims: AccessClaims, onboarding: Onboarding
    ) -> Response[ApplicationResponse]:
        supply = units(data.total_supply, DEFAULT_DECIMALS, InvalidTokenParameters)
        price = units(data.initial_price, USD_DECIMALS, InvalidTokenParameters)
        done = await onboarding.approve(application_id, supply, price, claims.user_id)
        return Response(application_response(done.value.application), headers={POSITION_HEADER: str(done.position)})

    @post("/applications/{application_id:uuid}/reject", status_code=HTTP_200_OK, responses=problems(404, 409),
          summary="Reject: the symbol and the handle are free again")
    async def reject(
        self, application_id: UUID, data: RejectRequest, claims: AccessClaims, onboarding: Onboarding
    ) -> Response[ApplicationResponse]:
        done = await onboarding.reject(application_id, data.reason, claims.user_id)
        return Response(application_response(done.value), headers={POSITION_HEADER: str(done.position)})

    @post("/invitations", summary="Make an invitation code")
    async def invite(self, data: InvitationRequest, claims: AccessClaims, onboarding: Onboarding) -> Response[InvitationResponse]:
        expires_at = data.expires_at
        if expires_at is not None and expires_at.tzinfo is None:
            raise Problem(422, "validation_error", "expires_at carries its time zone (RFC 3339)")
        done = await onboarding.create_invitation(data.note, data.max_uses, expires_at, claims.user_id)
        i = done.value
        body = InvitationResponse(i.code, i.note, i.max_uses, i.expires_at, i.at)
        return Response(body, status_code=HTTP_201_CREATED, headers={POSITION_HEADER: str(done.position)})

    @post("/documents", summary="Publish the next version of a legal document")
    async def publish(self, data: PublishDocumentRequest, documents: Documents) -> Response[DocumentDetailResponse]:
        done = await documents.publish(_kind(data.kind), data.title, data.body)
        d = done.value
        body = DocumentDetailResponse(d.document_id, d.kind, d.version, d.title, d.content_hash, d.at, d.body)
        return Response(body, status_code=HTTP_201_CREATED, headers={POSITION_HEADER: str(done.position)})

    @post("/trending-topics", responses=problems(404), summary="Publish a curated trending topic")
    async def publish_topic(self, data: TopicRequest, social: Social) -> Response[TopicResponse]:
        done = await social.publish_topic(data.title, data.summary, data.url, data.tags, data.creator_ids)
        t = done.value
        body = TopicResponse(t.originator_id, t.title, t.summary, t.url, list(t.tags), list(t.creator_ids), t.at)
        return Response(body, status_code=HTTP_201_CREATED, headers={POSITION_HEADER: str(done.position)})

    @delete("/trending-topics/{topic_id:uuid}", status_code=HTTP_200_OK, responses=problems(404), summary="Take a topic down")
    async def remove_topic(self, topic_id: UUID, social: Social) -> Response[dict[str, bool]]:
        done = await social.remove_topic(topic_id)
        return Response({"removed": True}, headers={POSITION_HEADER: str(done.position)})
