"""Becoming a creator: applications, the applicant's one-at-a-time rule, symbol reservations and invitations.

Each rule that spans many applications lives in a stream of its own, keyed
by what must be unique, and is written in the same append as the
application: the user's applicant stream (one pending application per user,
never after becoming a creator), the symbol's reservation stream (one
pending application per symbol) and the invitation's stream (its uses).
Two submissions racing for any of them write the same stream version, and
the event store lets one through.

Approval is a short saga: ``start_approval`` records the decision (from
then on a rejection is refused), the token is listed by the engine, and
``approve`` finishes; a retry after a crash between the steps finds the
decision recorded and completes it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid5

from domain.creator import profile as rules
from domain.creator.errors import (
    AlreadyCreator,
    ApplicationDecided,
    ApplicationNotFound,
    ApplicationPending,
    InvalidInvitation,
    InvalidProfile,
    InvitationUsed,
    SymbolUnavailable,
)
from domain.creator.events import (
    ApplicantClosed,
    ApplicantFiled,
    ApplicationApprovalStarted,
    ApplicationApproved,
    ApplicationRejected,
    ApplicationSubmitted,
    InvitationCreated,
    InvitationUsed as InvitationUsedEvent,
    SymbolReleased,
    SymbolReserved,
)
from domain.shared.aggregate import Aggregate, DomainEvent
from domain.shared.money import MAX_PRICE, MAX_QUANTITY
from domain.shared.text import check_text
from domain.shared.symbols import RESERVED_SYMBOLS, SYMBOL, TOKEN_NAME_MAX

APPLICANT_NAMESPACE = UUID("8f2a6c4e-1b3d-4e5f-9a7b-2c4d6e8f0a13")
RESERVATION_NAMESPACE = UUID("5d7e9f1a-3b5c-4d6e-8f0a-1b2c3d4e5f62")
INVITATION_NAMESPACE = UUID("2b4d6f8a-0c1e-4a3b-5c7d-9e1f3a5b7c84")
PROFILE_URLS_MAX = 10
REASON_MAX = 1_000
NOTE_MAX = 500
INVITATION_CODE = re.compile(r"^[A-Z0-9-]{4,64}$")
MAX_INVITATION_USES = 1_000_000


class SymbolReason(StrEnum):
    """Why a symbol cannot be had (``GET /token-symbols/available``)."""

    INVALID = "invalid"
    RESERVED = "reserved"
    TAKEN = "taken"
    PENDING = "pending"


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


def applicant_stream(user_id: UUID) -> UUID:
    return uuid5(APPLICANT_NAMESPACE, user_id.hex)


def reservation_stream(symbol: str) -> UUID:
    return uuid5(RESERVATION_NAMESPACE, symbol)


def invitation_stream(code: str) -> UUID:
    return uuid5(INVITATION_NAMESPACE, code)


def symbol_shape(text: str) -> tuple[str, SymbolReason | None]:
    """The symbol upper-cased, and whether its shape alone rules it out (invalid, reserved)."""
    check_text(text, "symbol")
    symbol = text.strip().upper()
    if not SYMBOL.fullmatch(symbol):
        return symbol, SymbolReason.INVALID
    if symbol in RESERVED_SYMBOLS:
        return symbol, SymbolReason.RESERVED
    return symbol, None


def normalise_invitation_code(text: str) -> str:
    check_text(text, "invitation_code")
    code = text.strip().upper()
    if not INVITATION_CODE.fullmatch(code):
        raise InvalidInvitation("no such invitation")
    return code


class CreatorApplication(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.submitted: ApplicationSubmitted | None = None
        self.status = ApplicationStatus.PENDING
        self.approval: ApplicationApprovalStarted | None = None
        self.creator_id: UUID | None = None
        self.token_id: UUID | None = None
        self.rejection: str | None = None
        self.decided_at: datetime | None = None

    def require(self) -> ApplicationSubmitted:
        if self.submitted is None:
            raise ApplicationNotFound("no such application")
        return self.submitted

    def submit(
        self,
        *,
        user_id: UUID,
        wallet_address: str,
        display_name: str,
        handle: str,
        category: str | None,
        token_symbol: str,
        token_name: str,
        headline: str | None,
        bio: str | None,
        profile_urls: Sequence[str],
        invitation_code: str | None,
        at: datetime,
    ) -> ApplicationSubmitted:
        """Check and record what was sent. The symbol must have been found free, the handle claimed, the
        applicant and invitation streams written, by the caller in the same append."""
        if self.submitted is not None:
            raise InvalidProfile("this application exists already")
        if len(profile_urls) > PROFILE_URLS_MAX:
            raise InvalidProfile(f"profile_urls holds at most {PROFILE_URLS_MAX} URLs")
        symbol, reason = symbol_shape(token_symbol)
        if reason is not None:
            raise SymbolUnavailable(f"{symbol!r} cannot be a token symbol", reason)
        event = ApplicationSubmitted(
            originator_id=self.id,
            originator_version=self.next_version,
            at=at,
            user_id=user_id,
            wallet_address=wallet_address,
            display_name=rules.required_text(display_name, "display_name", rules.DISPLAY_NAME_MAX),
            handle=rules.normalise_handle(handle),
            category=category,
            token_symbol=symbol,
            token_name=rules.required_text(token_name, "token_name", TOKEN_NAME_MAX),
            headline=rules.text(headline, "headline", rules.HEADLINE_MAX),
            bio=rules.text(bio, "bio", rules.BIO_MAX),
            profile_urls=tuple(rules.url(u, f"profile_urls[{n}]") or "" for n, u in enumerate(profile_urls) if u),
            invitation_code=invitation_code,
            invited=invitation_code is not None,
        )
        self._record(event)
        return event

    def start_approval(self, creator_id: UUID, total_supply: int, initial_price: int, reviewer: UUID, at: datetime) -> ApplicationApprovalStarted:
        """The admin's decision to approve; a repeat while it is under way answers the first decision."""
        self.require()
        if self.approval is not None and self.status is ApplicationStatus.PENDING:
            return self.approval
        self._refuse_decided()
        if not 0 < total_supply <= MAX_QUANTITY:
            raise InvalidProfile(f"total_supply is more than 0 and at most {MAX_QUANTITY} units")
        if not 0 <= initial_price <= MAX_PRICE:
            raise InvalidProfile(f"initial_price is 0 to {MAX_PRICE} micro-USD")
        self._record(
            ApplicationApprovalStarted(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                creator_id=creator_id,
                total_supply=total_supply,
                initial_price=initial_price,
                reviewer=reviewer,
            )
        )
        assert self.approval is not None
        return self.approval

    def approve(self, token_id: UUID, at: datetime) -> None:
        self.require()
        if self.approval is None:
            raise ApplicationDecided("this application's approval was never started")
        self._refuse_decided()
        self._record(
            ApplicationApproved(
                originator_id=self.id, originator_version=self.next_version, at=at, creator_id=self.approval.creator_id, token_id=token_id
            )
        )

    def reject(self, reason: str | None, reviewer: UUID, at: datetime, *, listed: bool = False) -> None:
        """``listed``: the token of an approval under way is listed already; then only approval can finish.
        An approval whose listing never happened (the symbol went elsewhere) may still be rejected."""
        self.require()
        self._refuse_decided()
        if self.approval is not None and listed:
            raise ApplicationDecided("this application's token is listed; its approval is being finished")
        self._record(
            ApplicationRejected(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                reason=rules.text(reason, "reason", REASON_MAX),
                reviewer=reviewer,
            )
        )

    def _refuse_decided(self) -> None:
        if self.status is not ApplicationStatus.PENDING:
            raise ApplicationDecided(f"this application is {self.status.value} already")

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case ApplicationSubmitted():
                self.submitted = event
            case ApplicationApprovalStarted():
                self.approval = event
                self.creator_id = event.creator_id
            case ApplicationApproved():
                self.status = ApplicationStatus.APPROVED
                self.token_id = event.token_id
                self.decided_at = event.at
            case ApplicationRejected():
                self.status = ApplicationStatus.REJECTED
                self.rejection = event.reason
                self.decided_at = event.at


class Applicant(Aggregate):
    """One user's onboarding: at most one pending application, none once a creator."""

    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.pending: UUID | None = None
        self.is_creator = False

    def file(self, application_id: UUID, at: datetime) -> None:
        if self.is_creator:
            raise AlreadyCreator("you are a creator already")
        if self.pending is not None:
            raise ApplicationPending("you have an application waiting for review")
        self._record(ApplicantFiled(originator_id=self.id, originator_version=self.next_version, at=at, application_id=application_id))

    def close(self, application_id: UUID, approved: bool, at: datetime) -> None:
        if self.pending == application_id:
            self._record(
                ApplicantClosed(
                    originator_id=self.id, originator_version=self.next_version, at=at, application_id=application_id, approved=approved
                )
            )

    def become_creator(self, at: datetime) -> None:
        """A creator made without an application (``POST /admin/creators``)."""
        if self.is_creator:
            raise AlreadyCreator("this user is a creator already")
        if self.pending is not None:
            raise ApplicationPending("this user has an application waiting for review")
        self._record(ApplicantClosed(originator_id=self.id, originator_version=self.next_version, at=at, application_id=self.id, approved=True))

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case ApplicantFiled():
                self.pending = event.application_id
            case ApplicantClosed():
                self.pending = None
                self.is_creator = self.is_creator or event.approved


class SymbolReservation(Aggregate):
    """One symbol's stream: the pending application holding it, if any."""

    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.application_id: UUID | None = None
        self.user_id: UUID | None = None

    def held_against(self, user_id: UUID) -> bool:
        """Held by another user's pending application."""
        return self.application_id is not None and self.user_id != user_id

    def reserve(self, symbol: str, application_id: UUID, user_id: UUID, at: datetime) -> None:
        if self.held_against(user_id):
            raise SymbolUnavailable(f"{symbol} is held by another application", SymbolReason.PENDING.value)
        self._record(
            SymbolReserved(
                originator_id=self.id, originator_version=self.next_version, at=at, symbol=symbol, application_id=application_id, user_id=user_id
            )
        )

    def release(self, symbol: str, application_id: UUID, at: datetime) -> None:
        if self.application_id == application_id:
            self._record(
                SymbolReleased(originator_id=self.id, originator_version=self.next_version, at=at, symbol=symbol, application_id=application_id)
            )

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case SymbolReserved():
                self.application_id, self.user_id = event.application_id, event.user_id
            case SymbolReleased():
                self.application_id = self.user_id = None


class Invitation(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.created: InvitationCreated | None = None
        self.uses = 0

    def create(self, code: str, note: str | None, max_uses: int, expires_at: datetime | None, created_by: UUID, at: datetime) -> InvitationCreated:
        if self.created is not None:
            raise InvalidProfile("this invitation code exists already")
        if not 1 <= max_uses <= MAX_INVITATION_USES:
            raise InvalidProfile(f"max_uses is 1 to {MAX_INVITATION_USES}")
        if expires_at is not None and expires_at <= at:
            raise InvalidProfile("expires_at is in the future")
        self._record(
            InvitationCreated(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                code=code,
                note=rules.text(note, "note", NOTE_MAX),
                max_uses=max_uses,
                expires_at=expires_at,
                created_by=created_by,
            )
        )
        assert self.created is not None
        return self.created

    def use(self, application_id: UUID, user_id: UUID, at: datetime) -> None:
        if self.created is None or (self.created.expires_at is not None and self.created.expires_at <= at):
            raise InvalidInvitation("no such invitation, or it has expired")
        if self.uses >= self.created.max_uses:
            raise InvitationUsed("this invitation has been used up")
        self._record(
            InvitationUsedEvent(originator_id=self.id, originator_version=self.next_version, at=at, application_id=application_id, user_id=user_id)
        )

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case InvitationCreated():
                self.created = event
            case InvitationUsedEvent():
                self.uses += 1
