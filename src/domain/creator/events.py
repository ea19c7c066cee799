"""Events of the creator catalogue. Never rename or move these classes: their path is the stored topic."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.creator.profile import Achievement, ContentSection, Education, Link, Skill, WorkExperience
from domain.shared.aggregate import DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryAdded(DomainEvent):
    category_id: UUID
    slug: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryRenamed(DomainEvent):
    category_id: UUID
    name: str


# ----- creators -----


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatorCreated(DomainEvent):
    """The creator's stream starts here; its id is the stream's."""

    user_id: UUID
    wallet_address: str
    handle: str
    display_name: str
    category: str | None
    headline: str | None
    bio: str | None
    token_id: UUID | None
    application_id: UUID | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatorProfileEdited(DomainEvent):
    """Only the fields named in ``changed`` are the new values; the others are left at their defaults and mean
    nothing. A list named is the whole new list. ``published`` names the sections new in this edit."""

    changed: tuple[str, ...]
    display_name: str = ""
    headline: str | None = None
    bio: str | None = None
    avatar_url: str | None = None
    banner_url: str | None = None
    category: str | None = None
    location: str | None = None
    website: str | None = None
    links: tuple[Link, ...] = ()
    skills: tuple[Skill, ...] = ()
    achievements: tuple[Achievement, ...] = ()
    work_experiences: tuple[WorkExperience, ...] = ()
    education: tuple[Education, ...] = ()
    content_sections: tuple[ContentSection, ...] = ()
    published: tuple[UUID, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CreatorVerified(DomainEvent):
    verified: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class HandleClaimed(DomainEvent):
    handle: str
    owner: UUID  # the user holding it


@dataclass(frozen=True, slots=True, kw_only=True)
class HandleReleased(DomainEvent):
    handle: str
    owner: UUID


# ----- applying to become one -----


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationSubmitted(DomainEvent):
    user_id: UUID
    wallet_address: str
    display_name: str
    handle: str
    category: str | None
    token_symbol: str
    token_name: str
    headline: str | None
    bio: str | None
    profile_urls: tuple[str, ...]
    invitation_code: str | None
    invited: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationApprovalStarted(DomainEvent):
    """The admin's decision; the listing and the creator follow (a retry finishes what a crash left)."""

    creator_id: UUID
    total_supply: int
    initial_price: int
    reviewer: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationApproved(DomainEvent):
    creator_id: UUID
    token_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicationRejected(DomainEvent):
    reason: str | None
    reviewer: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicantFiled(DomainEvent):
    """On the user's applicant stream: one pending application at a time."""

    application_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplicantClosed(DomainEvent):
    application_id: UUID
    approved: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SymbolReserved(DomainEvent):
    symbol: str
    application_id: UUID
    user_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class SymbolReleased(DomainEvent):
    symbol: str
    application_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class InvitationCreated(DomainEvent):
    code: str
    note: str | None
    max_uses: int
    expires_at: datetime | None
    created_by: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class InvitationUsed(DomainEvent):
    application_id: UUID
    user_id: UUID


# ----- legal documents -----


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentPublished(DomainEvent):
    document_id: UUID
    kind: str
    version: int
    title: str
    body: str
    content_hash: str  # lowercase hex SHA-256 of the UTF-8 body


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentSigned(DomainEvent):
    """Evidence: the exact message, the signature over it, and what it named."""

    signature_id: UUID
    user_id: UUID
    document_id: UUID
    kind: str
    version: int
    content_hash: str
    wallet_address: str
    message: str
    signature: str


# ----- following and trending -----


@dataclass(frozen=True, slots=True, kw_only=True)
class Followed(DomainEvent):
    follower_id: UUID
    creator_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class Unfollowed(DomainEvent):
    follower_id: UUID
    creator_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicPublished(DomainEvent):
    title: str
    summary: str | None
    url: str | None
    tags: tuple[str, ...]
    creator_ids: tuple[UUID, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicRemoved(DomainEvent):
    pass
