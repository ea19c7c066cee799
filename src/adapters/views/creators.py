"""The creators view in SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.views.base import SqlView
from adapters.views.creator_search import SearchDocument, clear, put_document, search
from adapters.views.tables import (
    creator_applications,
    creator_directory,
    creator_feed,
    creators,
    follows,
    listed_symbols,
    token_hours,
    trending_topics,
)
from application.projections.creators import ApplicationRow, CreatorRow, DirectoryEntry, FeedRow, Listing, TopicRow

_CREATOR_FIELDS = CreatorRow.__slots__
_APPLICATION_FIELDS = ApplicationRow.__slots__


SEARCHED = frozenset({"handle", "display_name", "token_symbol", "headline", "bio", "skills"})
LISTED = frozenset({"category", "token_id"})  # what lists filter by, beside followers and creation


def search_document(row: CreatorRow) -> SearchDocument:
    return SearchDocument(
        row.id, row.handle, row.display_name, row.token_symbol, row.headline, row.bio, tuple(s["name"] for s in row.skills)
    )


def creator_row(row: Any) -> CreatorRow:
    return CreatorRow(**{f: row._mapping[f] for f in _CREATOR_FIELDS})


def application_row(row: Any) -> ApplicationRow:
    return ApplicationRow(**{f: row._mapping[f] for f in _APPLICATION_FIELDS})


def topic_row(row: Any) -> TopicRow:
    return TopicRow(row.id, row.title, row.summary, row.url, list(row.tags), [UUID(i) for i in row.creator_ids], row.published_at)


class _Rows:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._items_at: dict[int, int] = {}  # feed items written per log position in this batch

    async def add(self, row: CreatorRow) -> None:
        await self._conn.execute(insert(creators).values(**{f: getattr(row, f) for f in _CREATOR_FIELDS}))
        await put_document(self._conn, search_document(row))
        await self._directory_changed()

    async def get(self, creator_id: UUID) -> CreatorRow | None:
        row = (await self._conn.execute(select(creators).where(creators.c.id == creator_id))).first()
        return None if row is None else creator_row(row)

    async def change(self, creator_id: UUID, at: datetime, **fields: Any) -> None:
        await self._conn.execute(update(creators).where(creators.c.id == creator_id).values(updated_at=at, **fields))
        if LISTED.intersection(fields):
            await self._directory_changed()
        if SEARCHED.intersection(fields):
            row = await self.get(creator_id)
            if row is not None:
                await put_document(self._conn, search_document(row))

    async def list_token(self, token_id: UUID, symbol: str, creator_id: UUID, initial_price: int) -> None:
        await self._conn.execute(
            insert(listed_symbols).values(token_id=token_id, symbol=symbol, creator_id=creator_id, initial_price=initial_price, moved=False)
        )

    async def listing(self, token_id: UUID) -> Listing | None:
        row = (await self._conn.execute(select(listed_symbols).where(listed_symbols.c.token_id == token_id))).first()
        return None if row is None else Listing(row.symbol, row.creator_id, row.initial_price, row.moved)

    async def mark_hour(self, token_id: UUID, hour: datetime, price: int) -> None:
        upsert = sqlite_insert if self._conn.dialect.name == "sqlite" else pg_insert
        statement = upsert(token_hours).values(token_id=token_id, hour=hour, close=price)
        await self._conn.execute(statement.on_conflict_do_update(index_elements=["token_id", "hour"], set_={"close": price}))

    async def close_at_or_before(self, token_id: UUID, hour: datetime) -> int | None:
        query = (
            select(token_hours.c.close)
            .where(token_hours.c.token_id == token_id, token_hours.c.hour <= hour)
            .order_by(token_hours.c.hour.desc())
            .limit(1)
        )
        return await self._conn.scalar(query)  # type: ignore[no-any-return]

    async def set_moved(self, token_id: UUID, moved: bool) -> None:
        await self._conn.execute(update(listed_symbols).where(listed_symbols.c.token_id == token_id).values(moved=moved))

    async def symbol_of(self, token_id: UUID) -> str | None:
        return await self._conn.scalar(select(listed_symbols.c.symbol).where(listed_symbols.c.token_id == token_id))  # type: ignore[no-any-return]

    async def follow(self, follower_id: UUID, creator_id: UUID, at: datetime) -> int:
        await self._conn.execute(insert(follows).values(follower_id=follower_id, creator_id=creator_id, followed_at=at))
        return await self._count(creator_id, +1)

    async def unfollow(self, follower_id: UUID, creator_id: UUID) -> int:
        await self._conn.execute(delete(follows).where(follows.c.follower_id == follower_id, follows.c.creator_id == creator_id))
        return await self._count(creator_id, -1)

    async def _directory_changed(self) -> None:
        upsert = sqlite_insert if self._conn.dialect.name == "sqlite" else pg_insert
        statement = upsert(creator_directory).values(id=1, version=1)
        await self._conn.execute(
            statement.on_conflict_do_update(index_elements=["id"], set_={"version": creator_directory.c.version + 1})
        )

    async def _count(self, creator_id: UUID, step: int) -> int:
        await self._directory_changed()
        await self._conn.execute(
            update(creators).where(creators.c.id == creator_id).values(followers_count=creators.c.followers_count + step)
        )
        return int(await self._conn.scalar(select(creators.c.followers_count).where(creators.c.id == creator_id)) or 0)

    async def feed(self, row: FeedRow) -> None:
        n = self._items_at.get(row.seq, 0)
        self._items_at[row.seq] = n + 1
        await self._conn.execute(
            insert(creator_feed).values(seq=row.seq, n=n, creator_id=row.creator_id, type=row.type, at=row.at, data=row.data)
        )

    async def add_application(self, row: ApplicationRow) -> None:
        await self._conn.execute(insert(creator_applications).values(**{f: getattr(row, f) for f in _APPLICATION_FIELDS}))

    async def change_application(self, application_id: UUID, **fields: Any) -> None:
        await self._conn.execute(update(creator_applications).where(creator_applications.c.id == application_id).values(**fields))

    async def add_topic(self, row: TopicRow) -> None:
        await self._conn.execute(
            insert(trending_topics).values(
                id=row.id, title=row.title, summary=row.summary, url=row.url, tags=row.tags,
                creator_ids=[str(i) for i in row.creator_ids], published_at=row.published_at,
            )
        )

    async def remove_topic(self, topic_id: UUID) -> None:
        await self._conn.execute(delete(trending_topics).where(trending_topics.c.id == topic_id))


class SqlCreatorsView(SqlView):
    name = "creators"
    tables = (
        creators, creator_directory, listed_symbols, token_hours, follows, creator_feed, creator_applications, trending_topics
    )

    async def reset(self) -> None:
        """The tables, and the search index (its tables differ by database, so it is not in ``tables``)."""
        await super().reset()
        async with self._db.engine.begin() as conn:
            await clear(conn)

    async def search(self, query: str, limit: int, offset: int) -> list[UUID]:
        """Creator ids, best match first (BlankQuery, a 422, when nothing searchable is left of ``query``)."""
        async with self._db.engine.connect() as conn:
            return await search(conn, query, limit, offset)

    @asynccontextmanager
    async def writing(self, expected: int, position: int) -> AsyncIterator[_Rows]:
        async with self._transaction(expected, position) as conn:
            yield _Rows(conn)

    async def by_id(self, creator_id: UUID) -> CreatorRow | None:
        return await self._one(select(creators).where(creators.c.id == creator_id))

    async def by_ids(self, ids: Sequence[UUID]) -> dict[UUID, CreatorRow]:
        if not ids:
            return {}
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(select(creators).where(creators.c.id.in_(list(ids))))).all()
        return {r.id: creator_row(r) for r in rows}

    async def by_handle(self, handle: str) -> CreatorRow | None:
        return await self._one(select(creators).where(creators.c.handle == handle))

    async def by_symbol(self, symbol: str) -> CreatorRow | None:
        return await self._one(select(creators).where(creators.c.token_symbol == symbol))

    async def _one(self, query: Any) -> CreatorRow | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else creator_row(row)

    async def following(self, follower_id: UUID, limit: int, before: tuple[datetime, UUID] | None) -> list[tuple[UUID, datetime]]:
        """The creators a user follows, newest follow first, after the cursor ``(followed_at, creator_id)``."""
        query = (
            select(follows.c.creator_id, follows.c.followed_at)
            .where(follows.c.follower_id == follower_id)
            .order_by(follows.c.followed_at.desc(), follows.c.creator_id.desc())
            .limit(limit)
        )
        if before is not None:
            at, creator_id = before
            query = query.where(
                (follows.c.followed_at < at) | ((follows.c.followed_at == at) & (follows.c.creator_id < creator_id))
            )
        async with self._db.engine.connect() as conn:
            return [(r.creator_id, r.followed_at) for r in await conn.execute(query)]

    async def is_following(self, follower_id: UUID, creator_id: UUID) -> bool:
        query = select(follows.c.creator_id).where(follows.c.follower_id == follower_id, follows.c.creator_id == creator_id)
        async with self._db.engine.connect() as conn:
            return (await conn.scalar(query)) is not None

    async def feed_of(self, follower_id: UUID, limit: int, before: tuple[int, int] | None) -> list[FeedRow]:
        """Items of the creators the user follows, newest first, after the cursor ``(seq, n)``."""
        followed = select(follows.c.creator_id).where(follows.c.follower_id == follower_id)
        query = (
            select(creator_feed)
            .where(creator_feed.c.creator_id.in_(followed))
            .order_by(creator_feed.c.seq.desc(), creator_feed.c.n.desc())
            .limit(limit)
        )
        if before is not None:
            seq, n = before
            query = query.where((creator_feed.c.seq < seq) | ((creator_feed.c.seq == seq) & (creator_feed.c.n < n)))
        async with self._db.engine.connect() as conn:
            return [FeedRow(r.seq, r.creator_id, r.type, r.at, dict(r.data), r.n) for r in await conn.execute(query)]

    async def new_followers_since(self, since: datetime) -> dict[UUID, int]:
        """How many follows each creator gained since ``since`` (and still has)."""
        query = select(follows.c.creator_id, func.count()).where(follows.c.followed_at >= since).group_by(follows.c.creator_id)
        async with self._db.engine.connect() as conn:
            return {r[0]: int(r[1]) for r in await conn.execute(query)}

    async def applications(self, status: str | None, limit: int, before: tuple[datetime, UUID] | None) -> list[ApplicationRow]:
        query = (
            select(creator_applications)
            .order_by(creator_applications.c.created_at.desc(), creator_applications.c.id.desc())
            .limit(limit)
        )
        if status is not None:
            query = query.where(creator_applications.c.status == status)
        if before is not None:
            at, application_id = before
            query = query.where(
                (creator_applications.c.created_at < at)
                | ((creator_applications.c.created_at == at) & (creator_applications.c.id < application_id))
            )
        async with self._db.engine.connect() as conn:
            return [application_row(r) for r in await conn.execute(query)]

    async def topics(self, limit: int) -> list[TopicRow]:
        query = select(trending_topics).order_by(trending_topics.c.published_at.desc(), trending_topics.c.id.desc()).limit(limit)
        async with self._db.engine.connect() as conn:
            return [topic_row(r) for r in await conn.execute(query)]

    async def directory_fingerprint(self) -> tuple[object, ...]:
        """The directory's version: raised in the same transaction as every change ``directory`` would show."""
        async with self._db.engine.connect() as conn:
            return (await conn.scalar(select(creator_directory.c.version)) or 0,)

    async def directory(self) -> list[DirectoryEntry]:
        c = creators.c
        query = select(c.id, c.category, c.followers_count, c.created_at, c.token_id)
        async with self._db.engine.connect() as conn:
            return [DirectoryEntry(*r) for r in await conn.execute(query)]
