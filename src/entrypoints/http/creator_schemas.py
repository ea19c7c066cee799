"""Request and response bodies of the creator side (CREATORS.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

UNSET: Any = msgspec.UNSET


class LinkBody(msgspec.Struct, forbid_unknown_fields=True):
    platform: str
    url: str


class SkillBody(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    level: int | None = None


class AchievementBody(msgspec.Struct, forbid_unknown_fields=True):
    title: str
    description: str | None = None
    date: str | None = None


class WorkExperienceBody(msgspec.Struct, forbid_unknown_fields=True):
    title: str
    organization: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    description: str | None = None


class EducationBody(msgspec.Struct, forbid_unknown_fields=True):
    institution: str
    degree: str | None = None
    field: str | None = None
    start_date: str | None = None
    end_date: str | None = None


class SectionBody(msgspec.Struct, forbid_unknown_fields=True):
    """A content section as sent: its ``id`` to keep an existing one; ``position`` is ignored (list order counts)."""

    title: str
    body: str = ""
    id: UUID | None = None
    position: int | None = None


class SectionResponse(msgspec.Struct):
    id: UUID
    title: str
    body: str
    position: int


class CreatorEditRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Any of these; a list sent replaces the whole list; null clears a scalar."""

    display_name: str | None | msgspec.UnsetType = UNSET
    headline: str | None | msgspec.UnsetType = UNSET
    bio: str | None | msgspec.UnsetType = UNSET
    avatar_url: str | None | msgspec.UnsetType = UNSET
    banner_url: str | None | msgspec.UnsetType = UNSET
    category: str | None | msgspec.UnsetType = UNSET
    location: str | None | msgspec.UnsetType = UNSET
    website: str | None | msgspec.UnsetType = UNSET
    links: list[LinkBody] | None | msgspec.UnsetType = UNSET
    skills: list[SkillBody] | None | msgspec.UnsetType = UNSET
    achievements: list[AchievementBody] | None | msgspec.UnsetType = UNSET
    work_experiences: list[WorkExperienceBody] | None | msgspec.UnsetType = UNSET
    education: list[EducationBody] | None | msgspec.UnsetType = UNSET
    content_sections: list[SectionBody] | None | msgspec.UnsetType = UNSET


class TokenSummaryResponse(msgspec.Struct):
    id: UUID
    symbol: str
    name: str
    price: str | None
    change_24h: str | None
    volume_24h: str
    market_cap: str | None


class CreatorResponse(msgspec.Struct):
    id: UUID
    user_id: UUID
    wallet_address: str
    handle: str
    display_name: str
    headline: str | None
    bio: str | None
    avatar_url: str | None
    banner_url: str | None
    category: str | None
    location: str | None
    website: str | None
    links: list[LinkBody]
    skills: list[SkillBody]
    achievements: list[AchievementBody]
    work_experiences: list[WorkExperienceBody]
    education: list[EducationBody]
    content_sections: list[SectionResponse]
    followers_count: int
    verified: bool
    created_at: datetime
    updated_at: datetime
    token: TokenSummaryResponse | None


class CreatorSummaryResponse(msgspec.Struct):
    id: UUID
    handle: str
    display_name: str
    headline: str | None
    avatar_url: str | None
    category: str | None
    followers_count: int
    verified: bool
    token: TokenSummaryResponse | None


class FollowedCreatorResponse(msgspec.Struct):
    id: UUID
    handle: str
    display_name: str
    headline: str | None
    avatar_url: str | None
    category: str | None
    followers_count: int
    verified: bool
    token: TokenSummaryResponse | None
    followed_at: datetime


class FollowResponse(msgspec.Struct):
    following: bool
    followers_count: int


class FeedItemResponse(msgspec.Struct):
    id: str
    type: str
    creator: CreatorSummaryResponse
    at: datetime
    data: dict[str, Any]


class VerifyCreatorRequest(msgspec.Struct, forbid_unknown_fields=True):
    verified: bool


class NewCreatorRequest(msgspec.Struct, forbid_unknown_fields=True):
    wallet_address: str
    handle: str
    display_name: str
    category: str | None = None
    headline: str | None = None
    bio: str | None = None
    token_symbol: str | None = None


# ----- documents and signatures -----


class DocumentResponse(msgspec.Struct):
    id: UUID
    kind: str
    version: int
    title: str
    content_hash: str
    published_at: datetime


class DocumentDetailResponse(msgspec.Struct):
    id: UUID
    kind: str
    version: int
    title: str
    content_hash: str
    published_at: datetime
    body: str


class PublishDocumentRequest(msgspec.Struct, forbid_unknown_fields=True):
    kind: str
    title: str
    body: str


class SigningMessageResponse(msgspec.Struct):
    message: str


class SignatureRequest(msgspec.Struct, forbid_unknown_fields=True):
    message: str
    signature: str


class SignatureResponse(msgspec.Struct):
    id: UUID
    document_id: UUID
    kind: str
    version: int
    content_hash: str
    wallet_address: str
    signature: str
    signed_at: datetime


# ----- applying -----


class SymbolAvailabilityResponse(msgspec.Struct):
    symbol: str
    available: bool
    reason: str | None


class ApplyRequest(msgspec.Struct, forbid_unknown_fields=True):
    display_name: str
    handle: str
    token_symbol: str
    token_name: str
    category: str | None = None
    headline: str | None = None
    bio: str | None = None
    profile_urls: list[str] = []
    invitation_code: str | None = None


class ApplicationResponse(msgspec.Struct):
    id: UUID
    status: str
    user_id: UUID
    wallet_address: str
    display_name: str
    handle: str
    category: str | None
    token_symbol: str
    token_name: str
    headline: str | None
    bio: str | None
    profile_urls: list[str]
    invited: bool
    created_at: datetime
    decided_at: datetime | None
    rejection_reason: str | None
    creator_id: UUID | None
    token_id: UUID | None


class ApproveRequest(msgspec.Struct, forbid_unknown_fields=True):
    total_supply: str
    initial_price: str | None = None


class RejectRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: str | None = None


class InvitationRequest(msgspec.Struct, forbid_unknown_fields=True):
    note: str | None = None
    max_uses: int = 1
    expires_at: datetime | None = None


class InvitationResponse(msgspec.Struct):
    code: str
    note: str | None
    max_uses: int
    expires_at: datetime | None
    created_at: datetime


# ----- trending -----


class TopicRequest(msgspec.Struct, forbid_unknown_fields=True):
    title: str
    summary: str | None = None
    url: str | None = None
    tags: list[str] = []
    creator_ids: list[str] = []


class TopicResponse(msgspec.Struct):
    id: UUID
    title: str
    summary: str | None
    url: str | None
    tags: list[str]
    creator_ids: list[UUID]
    published_at: datetime


class TrendingCreatorResponse(msgspec.Struct):
    id: UUID
    handle: str
    display_name: str
    headline: str | None
    avatar_url: str | None
    category: str | None
    followers_count: int
    verified: bool
    token: TokenSummaryResponse | None
    score: float
    reasons: list[str]


class TrendingResponse(msgspec.Struct):
    creators: list[TrendingCreatorResponse]
    topics: list[TopicResponse]
