"""A user: the wallet address is the identity; profile and a verified email are optional.

The user's id is derived from the wallet address, so a first sign-in that
happens twice at once creates one user: both write version 1 of the same
stream and the event store lets only one through.
"""

from __future__ import annotations

import hmac
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum
from uuid import UUID, uuid5

from domain.identity.errors import (
    EmailCodeAttemptsExhausted,
    EmailCodeCooldown,
    EmailCodeExpired,
    InvalidEmail,
    InvalidProfile,
    InvalidWalletAddress,
    NoEmailCode,
)
from domain.identity.events import (
    EmailCodeRejected,
    EmailCodeSent,
    EmailVerified,
    ProfileChanged,
    RoleGranted,
    UserRegistered,
)
from domain.identity.username import normalise_username
from domain.shared.aggregate import Aggregate, DomainEvent
from domain.shared.text import check_text
from domain.shared.unset import UNSET, Unset

USER_NAMESPACE = UUID("0d8f4f6e-2f6b-4b7e-9a55-6f1e1c9b7a10")
ADDRESS = re.compile(r"^0x[0-9a-f]{64}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")

DISPLAY_NAME_MAX = 50
BIO_MAX = 500
URL_MAX = 500
EMAIL_CODE_LIFETIME = timedelta(minutes=15)
EMAIL_CODE_ATTEMPTS = 5
EMAIL_CODE_COOLDOWN = timedelta(seconds=60)


def wallet_address(text: str, field: str = "address") -> str:
    """A Sui address as we keep it: ``0x`` and 64 lower-case hex digits; upper-case hex is accepted and lowered."""
    check_text(text, field)
    address = text.strip().lower()
    if not ADDRESS.fullmatch(address):
        raise InvalidWalletAddress("a Sui address is 0x followed by 64 hex digits")
    return address


def user_id_for(address: str) -> UUID:
    return uuid5(USER_NAMESPACE, address)


@dataclass(frozen=True, slots=True)
class Profile:
    username: str | None = None
    display_name: str | None = None
    bio: str | None = None
    avatar_url: str | None = None


@dataclass(frozen=True, slots=True)
class ProfileChange:
    username: str | None | Unset = UNSET
    display_name: str | None | Unset = UNSET
    bio: str | None | Unset = UNSET
    avatar_url: str | None | Unset = UNSET


@dataclass(frozen=True, slots=True)
class PendingEmail:
    email: str
    code_hash: str
    expires_at: datetime
    failed_attempts: int = 0


class EmailCheck(Enum):
    VERIFIED = "verified"
    WRONG_CODE = "wrong_code"


class User(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.wallet_address = ""
        self.registered_at: datetime | None = None
        self.profile = Profile()
        self.email: str | None = None
        self.pending_email: PendingEmail | None = None
        self.last_code_sent_at: datetime | None = None
        self.roles: frozenset[str] = frozenset()  # granted roles, beyond "user" and the configured admins

    @property
    def is_registered(self) -> bool:
        return self.version > 0

    def register(self, address: str, at: datetime) -> None:
        """Record the first sign-in; a registered user is left as is."""
        if self.is_registered:
            return
        self._record(UserRegistered(originator_id=self.id, originator_version=self.next_version, at=at, wallet_address=address))

    def grant_role(self, role: str, at: datetime) -> None:
        """Held in access tokens issued from then on; granting a role held is nothing."""
        if role not in self.roles:
            self._record(RoleGranted(originator_id=self.id, originator_version=self.next_version, at=at, role=role))

    def change_profile(self, change: ProfileChange, at: datetime) -> Profile:
        """Apply the change; the caller claims the new username and releases the old one in the same commit."""
        current = self.profile
        updated = Profile(
            username=current.username if change.username is UNSET else _optional(change.username, normalise_username),
            display_name=current.display_name if change.display_name is UNSET else _optional(change.display_name, _display_name),
            bio=current.bio if change.bio is UNSET else _optional(change.bio, _bio),
            avatar_url=current.avatar_url if change.avatar_url is UNSET else _optional(change.avatar_url, _avatar_url),
        )
        if updated != current:
            self._record(
                ProfileChanged(
                    originator_id=self.id,
                    originator_version=self.next_version,
                    at=at,
                    username=updated.username,
                    display_name=updated.display_name,
                    bio=updated.bio,
                    avatar_url=updated.avatar_url,
                )
            )
        return updated

    def send_email_code(self, email: str, code_hash: str, at: datetime) -> PendingEmail:
        """Start verifying ``email`` with a new code (it replaces any earlier one), at most once a minute."""
        address = _email(email)
        if self.last_code_sent_at and at < self.last_code_sent_at + EMAIL_CODE_COOLDOWN:
            wait = self.last_code_sent_at + EMAIL_CODE_COOLDOWN - at
            error = EmailCodeCooldown(f"a code was sent moments ago; ask again in {int(wait.total_seconds()) + 1} s")
            error.retry_after_seconds = int(wait.total_seconds()) + 1
            raise error
        self._record(
            EmailCodeSent(
                originator_id=self.id,
                originator_version=self.next_version,
                at=at,
                email=address,
                code_hash=code_hash,
                expires_at=at + EMAIL_CODE_LIFETIME,
            )
        )
        assert self.pending_email is not None
        return self.pending_email

    def check_email_code(self, code_hash: str, at: datetime) -> EmailCheck:
        """Verify the pending email, or count a wrong attempt (which is recorded too, so it counts after a restart)."""
        pending = self.pending_email
        if pending is None:
            raise NoEmailCode("no email is waiting for a code; ask for one first")
        if at >= pending.expires_at:
            raise EmailCodeExpired("the code has expired; ask for a new one")
        if pending.failed_attempts >= EMAIL_CODE_ATTEMPTS:
            raise EmailCodeAttemptsExhausted("too many wrong codes; ask for a new one")
        if hmac.compare_digest(code_hash, pending.code_hash):
            self._record(EmailVerified(originator_id=self.id, originator_version=self.next_version, at=at, email=pending.email))
            return EmailCheck.VERIFIED
        self._record(
            EmailCodeRejected(
                originator_id=self.id, originator_version=self.next_version, at=at, attempt=pending.failed_attempts + 1
            )
        )
        return EmailCheck.WRONG_CODE

    @property
    def email_attempts_left(self) -> int:
        return EMAIL_CODE_ATTEMPTS - (self.pending_email.failed_attempts if self.pending_email else 0)

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case UserRegistered():
                self.wallet_address = event.wallet_address
                self.registered_at = event.at
            case ProfileChanged():
                self.profile = Profile(event.username, event.display_name, event.bio, event.avatar_url)
            case EmailCodeSent():
                self.pending_email = PendingEmail(event.email, event.code_hash, event.expires_at)
                self.last_code_sent_at = event.at
            case EmailCodeRejected():
                if self.pending_email is not None:
                    self.pending_email = replace(self.pending_email, failed_attempts=event.attempt)
            case EmailVerified():
                self.email = event.email
                self.pending_email = None
            case RoleGranted():
                self.roles = self.roles | {event.role}


def _optional(value: str | None, clean: object) -> str | None:
    if value is None:
        return None
    assert callable(clean)
    return clean(value)


def _text(value: str, field: str, limit: int, *, multiline: bool = False) -> str:
    """Control characters are invalid_text, as in every text; beyond that rule a profile field refuses the
    invisible format characters (bidi overrides, zero-width ones), and a one-line field newline and tab."""
    check_text(value, field)
    cleaned = unicodedata.normalize("NFC", value).strip()
    allowed = {"\n", "\t"} if multiline else set()
    if any(unicodedata.category(ch).startswith("C") and ch not in allowed for ch in cleaned):
        raise InvalidProfile(f"{field} holds invisible or line-breaking characters")
    if len(cleaned) > limit:
        raise InvalidProfile(f"{field} has at most {limit} characters")
    return cleaned


def _display_name(value: str) -> str | None:
    return _text(value, "display_name", DISPLAY_NAME_MAX) or None


def _bio(value: str) -> str | None:
    return _text(value, "bio", BIO_MAX, multiline=True) or None


def _avatar_url(value: str) -> str | None:
    url = _text(value, "avatar_url", URL_MAX)
    if not url:
        return None
    if not re.fullmatch(r"https://[^\s/]+\.[^\s/]+(/\S*)?", url):
        raise InvalidProfile("avatar_url must be an https:// URL")
    return url


def _email(value: str) -> str:
    """The last line of defence: the handler has already normalised the address with email-validator
    (application.ports.EmailAddresses); this keeps the stored event an address whatever the caller."""
    check_text(value, "email")
    email = value.strip()
    if len(email) > 254 or not EMAIL.fullmatch(email):
        raise InvalidEmail("that is not an email address")
    local, domain = email.rsplit("@", 1)
    return f"{local}@{domain.lower()}"
