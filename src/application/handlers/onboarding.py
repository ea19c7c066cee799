"""Becoming a creator: legal documents and signatures, symbol checks, applications, invitations and review.

Every command goes through the unit of work: the aggregates it reads are
appended together, so a race on any of them (two applications for one
symbol, the last use of an invitation) lets one through and the other is
decided again against what won. Approval lists the token through the
engine, exactly as ``POST /admin/tokens`` does, between two appends: the
decision, then the creator; a retry after a crash in between finishes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.ports import Clock, EventStore, IdGenerator, PersonalMessageVerifier, Randomness
from application.trading.commands import ListToken
from application.trading.exchange import Done
from application.unit_of_work import Committed, UnitOfWork, run_command
from domain.creator.categories import CATALOG_ID, CategoryCatalog
from domain.creator.creator import Creator, HandleClaim, creator_id_for, handle_stream
from domain.creator.documents import (
    DocumentKind,
    LegalDocument,
    Signatory,
    document_stream,
    signatory_stream,
    signing_message,
)
from domain.creator.errors import (
    AgreementNotSigned,
    CategoryNotFound,
    DocumentNotFound,
    InvalidProfile,
    SymbolUnavailable,
    WrongSigningMessage,
)
from domain.creator.events import ApplicantFiled, ApplicationSubmitted, DocumentPublished, DocumentSigned, InvitationCreated
from domain.creator.onboarding import (
    Applicant,
    CreatorApplication,
    Invitation,
    SymbolReason,
    SymbolReservation,
    applicant_stream,
    invitation_stream,
    normalise_invitation_code,
    reservation_stream,
    symbol_shape,
)
from domain.identity.user import User
from domain.token.errors import SymbolTaken
from domain.token.events import TokenListed
from domain.token.token import check_listing, default_parameters, token_id_for

ROLE_CREATOR = "creator"


async def category_slug(uow: UnitOfWork, slug: str | None) -> str | None:
    """A category named in a body: one of the catalogue's slugs, else the body is wrong (422)."""
    if slug is None:
        return None
    catalog = await uow.get(CategoryCatalog, CATALOG_ID)
    try:
        return catalog.find(slug.strip().lower()).slug
    except CategoryNotFound:
        raise InvalidProfile(f"category {slug!r} is not a category slug (GET /categories)") from None


# ----- documents -----


class Documents:
    def __init__(self, store: EventStore, clock: Clock, ids: IdGenerator, verifier: PersonalMessageVerifier) -> None:
        self._store, self._clock, self._ids, self._verifier = store, clock, ids, verifier

    async def publish(self, kind: DocumentKind, title: str, body: str) -> Committed[DocumentPublished]:
        async def decide(uow: UnitOfWork) -> DocumentPublished:
            document = await uow.get(LegalDocument, document_stream(kind))
            return document.publish(kind, title, body, self._clock.now())

        return await run_command(self._store, decide)

    async def current(self) -> list[DocumentPublished]:
        """The newest version of each kind that has one."""
        found = []
        for kind in DocumentKind:
            current = LegalDocument.replay(document_stream(kind), await self._store.read_stream(document_stream(kind))).current
            if current is not None:
                found.append(current)
        return found

    async def version(self, document_id: UUID) -> DocumentPublished:
        """Any version, current or earlier, by its id."""
        for kind in DocumentKind:
            document = LegalDocument.replay(document_stream(kind), await self._store.read_stream(document_stream(kind)))
            try:
                return document.version_by_id(document_id)
            except DocumentNotFound:
                continue
        raise DocumentNotFound("no such document")

    async def signing_message(self, document_id: UUID, wallet_address: str) -> str:
        return signing_message(await self.version(document_id), wallet_address)

    async def sign(
        self, user_id: UUID, wallet_address: str, document_id: UUID, message: str, signature: str
    ) -> Committed[tuple[DocumentSigned, bool]]:
        """Check the wallet signed exactly this document's message (as at sign-in), then keep it as evidence.
        The second signature of one version answers the first, with False."""
        document = await self.version(document_id)
        if message != signing_message(document, wallet_address):
            raise WrongSigningMessage("the message is not this document's signing message for your wallet")
        if self._verifier.signer_of(message.encode(), signature) != wallet_address:
            raise WrongSigningMessage("the signature was not made by your wallet's key")

        async def decide(uow: UnitOfWork) -> tuple[DocumentSigned, bool]:
            signatory = await uow.get(Signatory, signatory_stream(user_id))
            return signatory.sign(document, user_id, wallet_address, message, signature, self._ids(), self._clock.now())

        return await run_command(self._store, decide)

    async def signatures(self, user_id: UUID) -> list[DocumentSigned]:
        signatory = Signatory.replay(signatory_stream(user_id), await self._store.read_stream(signatory_stream(user_id)))
        return sorted(signatory.signatures.values(), key=lambda s: s.at, reverse=True)


# ----- applications -----


@dataclass(frozen=True, slots=True)
class SymbolCheck:
    symbol: str
    reason: SymbolReason | None

    @property
    def available(self) -> bool:
        return self.reason is None


@dataclass(frozen=True, slots=True)
class ApplicationForm:
    display_name: str
    handle: str
    category: str | None
    token_symbol: str
    token_name: str
    headline: str | None
    bio: str | None
    profile_urls: Sequence[str]
    invitation_code: str | None


@dataclass(frozen=True, slots=True)
class ApplicationRecord:
    """An application as its stream has it, for answers."""

    id: UUID
    status: str
    submitted: ApplicationSubmitted
    creator_id: UUID | None
    token_id: UUID | None
    rejection_reason: str | None
    decided_at: datetime | None

    @classmethod
    def of(cls, application: CreatorApplication) -> ApplicationRecord:
        return cls(
            application.id,
            application.status.value,
            application.require(),
            application.creator_id if application.token_id else None,
            application.token_id,
            application.rejection,
            application.decided_at,
        )


@dataclass(frozen=True, slots=True)
class Approval:
    application: ApplicationRecord
    creator_id: UUID
    token_id: UUID


class Listings(Protocol):
    """Where an approval lists its token: the engine (EngineClient), or an engine run in this process (the demo's
    EngineService)."""

    async def handle(self, command: ListToken) -> Done: ...

    async def listing(self, token_id: UUID) -> TokenListed | None: ...


class Onboarding:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        ids: IdGenerator,
        random: Randomness,
        engine: Listings,
        listed: Callable[[UUID], TokenListed | None],
    ) -> None:
        """``listed(token_id)``: the token listed under that id, as the committed market has it."""
        self._store, self._clock, self._ids, self._random = store, clock, ids, random
        self._engine, self._listed = engine, listed

    async def check_symbol(self, text: str, user_id: UUID | None) -> SymbolCheck:
        symbol, reason = symbol_shape(text)
        if reason is None and self._listed(token_id_for(symbol)) is not None:
            reason = SymbolReason.TAKEN
        if reason is None:
            reservation = SymbolReservation.replay(reservation_stream(symbol), await self._store.read_stream(reservation_stream(symbol)))
            if reservation.application_id is not None and (user_id is None or reservation.held_against(user_id)):
                reason = SymbolReason.PENDING
        return SymbolCheck(symbol, reason)

    async def apply(self, user_id: UUID, wallet_address: str, form: ApplicationForm) -> Committed[ApplicationRecord]:
        """Submit an application; refusals in the order CREATORS.md lists them, each changing nothing."""
        code = normalise_invitation_code(form.invitation_code) if form.invitation_code else None
        application_id = self._ids()

        async def decide(uow: UnitOfWork) -> ApplicationRecord:
            now = self._clock.now()
            application = await uow.get(CreatorApplication, application_id)
            category = await category_slug(uow, form.category)
            submitted = application.submit(  # every field checked before any rule of state
                user_id=user_id, wallet_address=wallet_address, display_name=form.display_name, handle=form.handle,
                category=category, token_symbol=form.token_symbol, token_name=form.token_name, headline=form.headline,
                bio=form.bio, profile_urls=form.profile_urls, invitation_code=code, at=now,
            )
            await self._require_agreement(uow, user_id)
            applicant = await uow.get(Applicant, applicant_stream(user_id))
            applicant.file(application_id, now)
            if self._listed(token_id_for(submitted.token_symbol)) is not None:  # its shape was checked by submit
                raise SymbolUnavailable(f"{submitted.token_symbol} is listed already", SymbolReason.TAKEN.value)
            reservation = await uow.get(SymbolReservation, reservation_stream(submitted.token_symbol))  # pending: refused
            reservation.reserve(submitted.token_symbol, application_id, user_id, now)
            claim = await uow.get(HandleClaim, handle_stream(submitted.handle))
            claim.claim(submitted.handle, user_id, now)
            if code is not None:
                invitation = await uow.get(Invitation, invitation_stream(code))
                invitation.use(application_id, user_id, now)
            return ApplicationRecord.of(application)

        return await run_command(self._store, decide)

    async def _require_agreement(self, uow: UnitOfWork, user_id: UUID) -> None:
        agreement = await uow.get(LegalDocument, document_stream(DocumentKind.CREATOR_AGREEMENT))
        signatory = await uow.get(Signatory, signatory_stream(user_id))
        current = agreement.current
        if current is None or not signatory.has_signed(current.document_id):
            raise AgreementNotSigned("sign the current creator agreement first (GET /documents)")

    async def applications_of(self, user_id: UUID) -> list[ApplicationRecord]:
        """The user's own applications, newest first (their applicant stream names them)."""
        events = await self._store.read_stream(applicant_stream(user_id))
        ids = [e.application_id for e in events if isinstance(e, ApplicantFiled)]
        records = [await self.application(i) for i in ids]
        return sorted(records, key=lambda r: r.submitted.at, reverse=True)

    async def application(self, application_id: UUID) -> ApplicationRecord:
        return ApplicationRecord.of(await self._application(application_id))

    async def _application(self, application_id: UUID) -> CreatorApplication:
        application = CreatorApplication.replay(application_id, await self._store.read_stream(application_id))
        application.require()
        return application

    async def create_invitation(
        self, note: str | None, max_uses: int, expires_at: datetime | None, created_by: UUID
    ) -> Committed[InvitationCreated]:
        code = "-".join(self._random.token(6).upper().replace("_", "X").replace("-", "Y")[:4] for _ in range(3))

        async def decide(uow: UnitOfWork) -> InvitationCreated:
            invitation = await uow.get(Invitation, invitation_stream(code))
            return invitation.create(code, note, max_uses, expires_at, created_by, self._clock.now())

        return await run_command(self._store, decide)

    async def reject(self, application_id: UUID, reason: str | None, reviewer: UUID) -> Committed[ApplicationRecord]:
        async def decide(uow: UnitOfWork) -> ApplicationRecord:
            now = self._clock.now()
            application = await uow.get(CreatorApplication, application_id)
            submitted = application.require()
            listed = self._listed(token_id_for(submitted.token_symbol))
            application.reject(reason, reviewer, now, listed=listed is not None and listed.creator_id == application.creator_id)
            applicant = await uow.get(Applicant, applicant_stream(submitted.user_id))
            applicant.close(application_id, approved=False, at=now)
            reservation = await uow.get(SymbolReservation, reservation_stream(submitted.token_symbol))
            reservation.release(submitted.token_symbol, application_id, now)
            claim = await uow.get(HandleClaim, handle_stream(submitted.handle))
            claim.release(submitted.handle, submitted.user_id, now)
            return ApplicationRecord.of(application)

        return await run_command(self._store, decide)

    async def approve(self, application_id: UUID, total_supply: int, initial_price: int, reviewer: UUID) -> Committed[Approval]:
        """Record the decision, list the token through the engine, then make the creator and grant the role.
        Each step is idempotent, so a retry after a crash anywhere finishes the same approval."""
        check_listing(total_supply, initial_price, default_parameters())  # before the decision is recorded
        started = await run_command(self._store, lambda uow: self._start(uow, application_id, total_supply, initial_price, reviewer))
        application = started.value
        submitted, approval = application.require(), application.approval
        assert approval is not None
        token_id = token_id_for(submitted.token_symbol)
        listed = self._listed(token_id)
        if listed is None:
            try:
                await self._engine.handle(ListToken(
                    symbol=submitted.token_symbol,
                    name=submitted.token_name,
                    creator_id=approval.creator_id,
                    owner_id=submitted.user_id,
                    creator_address=submitted.wallet_address,
                    total_supply=approval.total_supply,
                    initial_price=approval.initial_price,
                    parameters=default_parameters(),
                ))
            except SymbolTaken:
                listed = await self._engine.listing(token_id)
                if listed is None or listed.creator_id != approval.creator_id:
                    raise SymbolUnavailable(f"{submitted.token_symbol} was listed meanwhile", SymbolReason.TAKEN.value) from None
        elif listed.creator_id != approval.creator_id:
            raise SymbolUnavailable(f"{submitted.token_symbol} is listed already", SymbolReason.TAKEN.value)

        async def finish(uow: UnitOfWork) -> Approval:
            now = self._clock.now()
            app = await uow.get(CreatorApplication, application_id)
            app.approve(token_id, now)
            applicant = await uow.get(Applicant, applicant_stream(submitted.user_id))
            applicant.close(application_id, approved=True, at=now)
            claim = await uow.get(HandleClaim, handle_stream(submitted.handle))
            claim.claim(submitted.handle, submitted.user_id, now)
            creator = await uow.get(Creator, approval.creator_id)
            creator.create(
                user_id=submitted.user_id, wallet_address=submitted.wallet_address, handle=submitted.handle,
                display_name=submitted.display_name, category=submitted.category, headline=submitted.headline,
                bio=submitted.bio, token_id=token_id, application_id=application_id, at=now,
            )
            reservation = await uow.get(SymbolReservation, reservation_stream(submitted.token_symbol))
            reservation.release(submitted.token_symbol, application_id, now)  # listed now: the listing holds it
            user = await uow.get(User, submitted.user_id)
            user.register(submitted.wallet_address, now)
            user.grant_role(ROLE_CREATOR, now)
            return Approval(ApplicationRecord.of(app), approval.creator_id, token_id)

        return await run_command(self._store, finish)

    async def _start(
        self, uow: UnitOfWork, application_id: UUID, total_supply: int, initial_price: int, reviewer: UUID
    ) -> CreatorApplication:
        application = await uow.get(CreatorApplication, application_id)
        submitted = application.require()
        application.start_approval(creator_id_for(submitted.user_id), total_supply, initial_price, reviewer, self._clock.now())
        return application

