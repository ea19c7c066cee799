"""Reads of the creators view: profiles by id, handle or symbol, follows, the feed, applications, topics."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from application.projections.creators import ApplicationRow, CreatorRow, CreatorsView, FeedRow, TopicRow
from application.queries import ReadYourWrites
from domain.creator.errors import CreatorNotFound
from domain.creator.profile import HANDLE


class CreatorQueries:
    def __init__(self, view: CreatorsView, consistency: ReadYourWrites) -> None:
        self._view, self._consistency = view, consistency

    async def reach(self, min_position: int | None) -> None:
        await self._consistency.reach(self._view.name, min_position)

    async def find(self, ref: str, min_position: int | None = None) -> CreatorRow:
        """By id, handle or token symbol, case-insensitive."""
        await self.reach(min_position)
        ref = ref.strip()
        row = None
        try:
            row = await self._view.by_id(UUID(ref))
        except ValueError:
            if HANDLE.fullmatch(ref.lower()):
                row = await self._view.by_handle(ref.lower())
            if row is None and 2 <= len(ref) <= 10:
                row = await self._view.by_symbol(ref.upper())
        if row is None:
            raise CreatorNotFound(f"no creator {ref!r}")
        return row

    async def by_ids(self, ids: list[UUID]) -> dict[UUID, CreatorRow]:
        return await self._view.by_ids(ids)

    async def of_user(self, creator_id: UUID, min_position: int | None = None) -> CreatorRow | None:
        await self.reach(min_position)
        return await self._view.by_id(creator_id)

    async def following(
        self, follower_id: UUID, limit: int, before: tuple[datetime, UUID] | None, min_position: int | None = None
    ) -> list[tuple[CreatorRow, datetime]]:
        await self.reach(min_position)
        pairs = await self._view.following(follower_id, limit, before)
        rows = await self._view.by_ids([c for c, _ in pairs])
        return [(rows[c], at) for c, at in pairs if c in rows]

    async def is_following(self, follower_id: UUID, creator_id: UUID) -> bool:
        return await self._view.is_following(follower_id, creator_id)

    async def feed(
        self, follower_id: UUID, limit: int, before: tuple[int, int] | None, min_position: int | None = None
    ) -> list[tuple[FeedRow, CreatorRow]]:
        await self.reach(min_position)
        items = await self._view.feed_of(follower_id, limit, before)
        rows = await self._view.by_ids(list({i.creator_id for i in items}))
        return [(i, rows[i.creator_id]) for i in items if i.creator_id in rows]

    async def applications(
        self, status: str | None, limit: int, before: tuple[datetime, UUID] | None, min_position: int | None = None
    ) -> list[ApplicationRow]:
        await self.reach(min_position)
        return await self._view.applications(status, limit, before)

    async def topics(self, limit: int, min_position: int | None = None) -> list[TopicRow]:
        await self.reach(min_position)
        return await self._view.topics(limit)

    async def new_followers_since(self, since: datetime) -> dict[UUID, int]:
        return await self._view.new_followers_since(since)
