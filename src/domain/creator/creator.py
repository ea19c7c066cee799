"""The creator: a person's public profile beside their token, owned by one user.

A creator's id follows from its owner's user id (one creator per user), so
the token listed for an application can name the creator before the
creator's stream exists, and a retried approval names the same one. Handles
are unique case-insensitively: each is a stream of its own (``HandleClaim``),
written in the same append as the change that takes it, so two claims of one
handle at once cannot both land.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from uuid import UUID, uuid5

from domain.creator import profile as rules
from domain.creator.errors import CreatorNotFound, HandleTaken, InvalidProfile
from domain.creator.events import CreatorCreated, CreatorProfileEdited, CreatorVerified, HandleClaimed, HandleReleased
from domain.creator.profile import (
    Achievement,
    ContentSection,
    Education,
    Link,
    SectionDraft,
    Skill,
    WorkExperience,
)
from domain.shared.aggregate import Aggregate, DomainEvent
from domain.shared.unset import UNSET, Unset

CREATOR_NAMESPACE = UUID("3e7b9c2d-51a4-4f6e-8d0b-7c2a9e4f1b35")
HANDLE_NAMESPACE = UUID("c41d8e6a-92f3-4b57-a0e8-5d3b7f9c2e64")


def creator_id_for(user_id: UUID) -> UUID:
    return uuid5(CREATOR_NAMESPACE, user_id.hex)


def handle_stream(handle: str) -> UUID:
    return uuid5(HANDLE_NAMESPACE, handle)


@dataclass(frozen=True, slots=True)
class ProfileEdit:
    """What a PATCH names: UNSET leaves a field as it is; None clears a scalar (a list sent replaces the list,
    null or [] empties it)."""

    display_name: str | None | Unset = UNSET
    headline: str | None | Unset = UNSET
    bio: str | None | Unset = UNSET
    avatar_url: str | None | Unset = UNSET
    banner_url: str | None | Unset = UNSET
    category: str | None | Unset = UNSET
    location: str | None | Unset = UNSET
    website: str | None | Unset = UNSET
    links: Sequence[Link] | None | Unset = UNSET
    skills: Sequence[Skill] | None | Unset = UNSET
    achievements: Sequence[Achievement] | None | Unset = UNSET
    work_experiences: Sequence[WorkExperience] | None | Unset = UNSET
    education: Sequence[Education] | None | Unset = UNSET
    content_sections: Sequence[SectionDraft] | None | Unset = UNSET

    def named(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) is not UNSET]


class Creator(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.user_id: UUID | None = None
        self.wallet_address = ""
        self.handle = ""
        self.display_name = ""
        self.headline: str | None = None
        self.bio: str | None = None
        self.avatar_url: str | None = None
        self.banner_url: str | None = None
        self.category: str | None = None
        self.location: str | None = None
        self.website: str | None = None
        self.links: tuple[Link, ...] = ()
        self.skills: tuple[Skill, ...] = ()
        self.achievements: tuple[Achievement, ...] = ()
        self.work_experiences: tuple[WorkExperience, ...] = ()
        self.education: tuple[Education, ...] = ()
        self.content_sections: tuple[ContentSection, ...] = ()
        self.verified = False
        self.token_id: UUID | None = None
        self.created_at: datetime | None = None
        self.updated_at: datetime | None = None

    @property
    def exists(self) -> bool:
        return self.version > 0

    def require(self) -> Creator:
        if not self.exists:
            raise CreatorNotFound("no such creator")
        return self

    def create(
        self,
        *,
        user_id: UUID,
        wallet_address: str,
        handle: str,
        display_name: str,
        category: str | None,
        headline: str | None,
        bio: str | None,
        token_id: UUID | None,
        application_id: UUID | None,
        at: datetime,
    ) -> None:
        """Start the creator's stream; the caller claims the handle in the same append."""
        if self.exists:
            raise InvalidProfile("this creator exists already")
        self._record(
            CreatorCreated(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                user_id=user_id,
                wallet_address=wallet_address,
                handle=rules.normalise_handle(handle),
                display_name=rules.required_text(display_name, "display_name", rules.DISPLAY_NAME_MAX),
                category=category,
                headline=rules.text(headline, "headline", rules.HEADLINE_MAX),
                bio=rules.text(bio, "bio", rules.BIO_MAX),
                token_id=token_id,
                application_id=application_id,
            )
        )

    def edit(self, change: ProfileEdit, new_id: Callable[[], UUID], at: datetime) -> list[str]:
        """Check and record the fields ``change`` names; the names of those that changed (none: no event).
        ``category`` must have been checked against the catalogue by the caller."""
        self.require()
        values: dict[str, object] = {}
        for name in change.named():
            value = getattr(change, name)
            checked = self._checked(name, value, new_id)
            if checked != getattr(self, name):
                values[name] = checked
        if not values:
            return []
        published = ()
        if "content_sections" in values:
            before = {s.id for s in self.content_sections}
            sections: tuple[ContentSection, ...] = values["content_sections"]  # type: ignore[assignment]
            published = tuple(s.id for s in sections if s.id not in before)
        self._record(
            CreatorProfileEdited(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                changed=tuple(values),
                published=published,
                **values,  # type: ignore[arg-type]
            )
        )
        return list(values)

    def verify(self, verified: bool, at: datetime) -> None:
        self.require()
        if verified != self.verified:
            self._record(CreatorVerified(originator_id=self.id, originator_version=self.next_version, at=at, verified=verified))

    def _checked(self, name: str, value: object, new_id: Callable[[], UUID]) -> object:
        match name:
            case "display_name":
                return rules.required_text(value, "display_name", rules.DISPLAY_NAME_MAX)  # type: ignore[arg-type]
            case "headline":
                return rules.text(value, name, rules.HEADLINE_MAX)  # type: ignore[arg-type]
            case "bio":
                return rules.text(value, name, rules.BIO_MAX)  # type: ignore[arg-type]
            case "location":
                return rules.text(value, name, rules.LOCATION_MAX)  # type: ignore[arg-type]
            case "avatar_url" | "banner_url" | "website":
                return rules.url(value, name)  # type: ignore[arg-type]
            case "category":
                return value
            case "links":
                return rules.links(value or ())  # type: ignore[arg-type]
            case "skills":
                return rules.skills(value or ())  # type: ignore[arg-type]
            case "achievements":
                return rules.achievements(value or ())  # type: ignore[arg-type]
            case "work_experiences":
                return rules.work_experiences(value or ())  # type: ignore[arg-type]
            case "education":
                return rules.education(value or ())  # type: ignore[arg-type]
            case "content_sections":
                return rules.sections(value or (), self.content_sections, new_id)  # type: ignore[arg-type]
        raise AssertionError(name)

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case CreatorCreated():
                self.user_id = event.user_id
                self.wallet_address = event.wallet_address
                self.handle = event.handle
                self.display_name = event.display_name
                self.category = event.category
                self.headline = event.headline
                self.bio = event.bio
                self.token_id = event.token_id
                self.created_at = self.updated_at = event.at
            case CreatorProfileEdited():
                for name in event.changed:
                    setattr(self, name, getattr(event, name))
                self.updated_at = event.at
            case CreatorVerified():
                self.verified = event.verified
                self.updated_at = event.at


class HandleClaim(Aggregate):
    """One handle's stream: who holds it."""

    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.holder: UUID | None = None

    def claim(self, handle: str, owner: UUID, at: datetime) -> None:
        if self.holder == owner:
            return
        if self.holder is not None:
            raise HandleTaken(f"the handle {handle!r} is taken")
        self._record(HandleClaimed(originator_id=self.id, originator_version=self.next_version, at=at, handle=handle, owner=owner))

    def release(self, handle: str, owner: UUID, at: datetime) -> None:
        if self.holder == owner:
            self._record(HandleReleased(originator_id=self.id, originator_version=self.next_version, at=at, handle=handle, owner=owner))

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case HandleClaimed():
                self.holder = event.owner
            case HandleReleased():
                self.holder = None
