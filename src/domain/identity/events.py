"""Events of users, usernames and sessions. Never rename or move these classes: their path is the stored topic."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.shared.aggregate import DomainEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRegistered(DomainEvent):
    wallet_address: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileChanged(DomainEvent):
    """The whole profile after the change: a reader needs no earlier event to know it."""

    username: str | None
    display_name: str | None
    bio: str | None
    avatar_url: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailCodeSent(DomainEvent):
    email: str
    code_hash: str
    expires_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailCodeRejected(DomainEvent):
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class EmailVerified(DomainEvent):
    email: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RoleGranted(DomainEvent):
    role: str  # "creator"


@dataclass(frozen=True, slots=True, kw_only=True)
class UsernameClaimed(DomainEvent):
    username: str
    user_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class UsernameReleased(DomainEvent):
    username: str
    user_id: UUID


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionStarted(DomainEvent):
    user_id: UUID
    token_hash: str
    expires_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRefreshed(DomainEvent):
    token_hash: str
    expires_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRevoked(DomainEvent):
    reason: str  # "logout" or "refresh_token_reused"
