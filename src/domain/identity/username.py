"""Usernames are unique: each one is a stream of its own, keyed by the name.

Claiming a name writes the next version of the name's stream; two users
claiming one name at once write the same version and the event store lets
only one through. The claim commits in one batch with the profile change.
"""

from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID, uuid5

from domain.identity.errors import InvalidUsername, UsernameTaken
from domain.identity.events import UsernameClaimed, UsernameReleased
from domain.shared.aggregate import Aggregate, DomainEvent
from domain.shared.text import check_text

USERNAME_NAMESPACE = UUID("6a3c1b9e-7d2f-4c8a-b1e5-3f9d2a7c4e11")
USERNAME = re.compile(r"^[a-z][a-z0-9_]{2,29}$")
RESERVED = frozenset(
    {"admin", "administrator", "api", "help", "me", "mod", "moderator", "peoplecoin", "root", "security",
     "staff", "support", "system", "team", "official"}
)


def normalise_username(text: str) -> str:
    """Lower case, 3 to 30 of a-z, 0-9 and _, starting with a letter, and not a reserved word."""
    check_text(text, "username")
    name = text.strip().lower()
    if not USERNAME.fullmatch(name):
        raise InvalidUsername("a username has 3 to 30 letters, digits or _, and starts with a letter")
    if name in RESERVED:
        raise InvalidUsername(f"{name!r} is reserved")
    return name


def username_stream(name: str) -> UUID:
    return uuid5(USERNAME_NAMESPACE, name)


class UsernameClaim(Aggregate):
    def __init__(self, id: UUID) -> None:
        super().__init__(id)
        self.holder: UUID | None = None

    def claim(self, name: str, user_id: UUID, at: datetime) -> None:
        if self.holder == user_id:
            return
        if self.holder is not None:
            raise UsernameTaken(f"{name!r} is taken")
        self._record(UsernameClaimed(originator_id=self.id, originator_version=self.next_version, at=at, username=name, user_id=user_id))

    def release(self, name: str, user_id: UUID, at: datetime) -> None:
        if self.holder == user_id:
            self._record(UsernameReleased(originator_id=self.id, originator_version=self.next_version, at=at, username=name, user_id=user_id))

    def _apply(self, event: DomainEvent) -> None:
        match event:
            case UsernameClaimed():
                self.holder = event.user_id
            case UsernameReleased():
                self.holder = None
