"""The users view: each user's public profile and email state, for /users/me and every list that names users."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from application.ports import Recorded, View
from domain.identity.events import EmailCodeSent, EmailVerified, ProfileChanged, UserRegistered


@dataclass(frozen=True, slots=True)
class UserRow:
    id: UUID
    wallet_address: str
    username: str | None
    display_name: str | None
    bio: str | None
    avatar_url: str | None
    email: str | None
    email_verified: bool
    created_at: datetime
    updated_at: datetime


class UserRows(Protocol):
    async def add(self, row: UserRow) -> None: ...

    async def change(self, id: UUID, at: datetime, **fields: object) -> None: ...

    async def email_pending(self, id: UUID, email: str, at: datetime) -> None:
        """Show a pending email only while no verified one exists."""
        ...


class UsersView(View, Protocol):
    def writing(self, expected: int, position: int) -> AbstractAsyncContextManager[UserRows]: ...

    async def by_id(self, id: UUID) -> UserRow | None: ...

    async def by_ids(self, ids: Sequence[UUID]) -> dict[UUID, UserRow]: ...


class UsersProjector:
    def __init__(self, view: UsersView) -> None:
        self.view = view

    async def project(self, batch: Sequence[Recorded], expected: int) -> None:
        async with self.view.writing(expected, batch[-1].position) as rows:
            for recorded in batch:
                match recorded.event:
                    case UserRegistered() as e:
                        await rows.add(
                            UserRow(e.originator_id, e.wallet_address, None, None, None, None, None, False, e.at, e.at)
                        )
                    case ProfileChanged() as e:
                        await rows.change(
                            e.originator_id,
                            e.at,
                            username=e.username,
                            display_name=e.display_name,
                            bio=e.bio,
                            avatar_url=e.avatar_url,
                        )
                    case EmailCodeSent() as e:
                        await rows.email_pending(e.originator_id, e.email, e.at)
                    case EmailVerified() as e:
                        await rows.change(e.originator_id, e.at, email=e.email, email_verified=True)
