"""A sign-in session: one family of rotating refresh tokens.

Each refresh token is good once. Presenting one that was already used means
it leaked (or a client raced itself): the whole family is revoked, the
standard reuse-detection rule. Only hashes of tokens are ever recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from uuid import UUID

from domain.identity.errors import InvalidRefreshToken, RefreshTokenExpired, SessionIsRevoked
from domain.identity.events import SessionRefreshed, SessionRevoked, SessionStarted
from domain.shared.aggregate import Aggregate, DomainEvent

REFRESH_TOKEN_LIFETIME = timedelta(days=30)


class Rotation(Enum):
    ROTATED = "rotated"
    REUSE_DETECTED = "reuse_detected"


class Session(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.user_id: UUID | None = None
        self.current_hash = ""
        self.expires_at: datetime | None = None
        self.used_hashes: set[str] = set()
        self.revoked_because: str | None = None

    def start(self, user_id: UUID, token_hash: str, at: datetime) -> None:
        assert self.version == 0, "a session starts once"
        self._record(
            SessionStarted(
                originator_id=self.id,
                originator_version=1,
                at=at,
                user_id=user_id,
                token_hash=token_hash,
                expires_at=at + REFRESH_TOKEN_LIFETIME,
            )
        )

    def rotate(self, presented_hash: str, new_hash: str, at: datetime) -> Rotation:
        """Swap the presented token for a new one; a used token revokes the family (recorded, then reported)."""
        if self.user_id is None:
            raise InvalidRefreshToken("no such session")
        if self.revoked_because is not None:
            raise SessionIsRevoked("this session has ended; sign in again")
        if presented_hash in self.used_hashes:
            self.revoke("refresh_token_reused", at)
            return Rotation.REUSE_DETECTED
        if presented_hash != self.current_hash:
            raise InvalidRefreshToken("that is not a refresh token of this session")
        assert self.expires_at is not None
        if at >= self.expires_at:
            raise RefreshTokenExpired("the refresh token has expired; sign in again")
        self._record(
            SessionRefreshed(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                token_hash=new_hash,
                expires_at=at + REFRESH_TOKEN_LIFETIME,
            )
        )
        return Rotation.ROTATED

    def revoke(self, reason: str, at: datetime) -> None:
        if self.user_id is not None and self.revoked_because is None:
            self._record(SessionRevoked(originator_id=self.id, originator_version=self.next_version, at=at, reason=reason))

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case SessionStarted():
                self.user_id = event.user_id
                self.current_hash = event.token_hash
                self.expires_at = event.expires_at
            case SessionRefreshed():
                self.used_hashes.add(self.current_hash)
                self.current_hash = event.token_hash
                self.expires_at = event.expires_at
            case SessionRevoked():
                self.revoked_because = event.reason
