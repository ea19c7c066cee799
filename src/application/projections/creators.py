"""The creators view: profiles, their search index, follows and counts, the activity feed, applications and
trending topics, made from the log alone and rebuilt by replaying it.

Every event costs a constant number of row writes: a follow adds one row and
moves one count; a profile edit rewrites one row and its search document.
The feed is written as the events arrive (``profile_updated``,
``section_published``, ``token_listed``, ``milestone`` when a follower count
reaches 100, 1,000, 10,000, …), so reading it is one indexed query.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any, Protocol
from uuid import UUID

from application.ports import Recorded, View
from domain.creator.events import (
    ApplicationApprovalStarted,
    ApplicationApproved,
    ApplicationRejected,
    ApplicationSubmitted,
    CreatorCreated,
    CreatorProfileEdited,
    CreatorVerified,
    Followed,
    TopicPublished,
    TopicRemoved,
    Unfollowed,
)
from domain.orderbook.events import TradeExecuted
from domain.token.events import TokenListed

LIST_FIELDS = ("links", "skills", "achievements", "work_experiences", "education", "content_sections")
MILESTONES = tuple(10**n for n in range(2, 10))  # 100, 1,000, … followers
MOVE_PERCENT = 10
DAY = timedelta(days=1)
MICRO_USD = 1_000_000


@dataclass(frozen=True, slots=True)
class CreatorRow:
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
    links: list[dict[str, Any]]
    skills: list[dict[str, Any]]
    achievements: list[dict[str, Any]]
    work_experiences: list[dict[str, Any]]
    education: list[dict[str, Any]]
    content_sections: list[dict[str, Any]]  # {id, title, body, position}, id as text
    followers_count: int
    verified: bool
    token_id: UUID | None
    token_symbol: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    id: UUID
    user_id: UUID
    wallet_address: str
    status: str
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


@dataclass(frozen=True, slots=True)
class FeedRow:
    seq: int  # the log position of the event that made it (unique, ordered)
    creator_id: UUID
    type: str
    at: datetime
    data: dict[str, Any]
    n: int = 0  # its place among the items of one event (the view numbers them)


@dataclass(frozen=True, slots=True)
class TopicRow:
    id: UUID
    title: str
    summary: str | None
    url: str | None
    tags: list[str]
    creator_ids: list[UUID]
    published_at: datetime


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """What a list sorts and filters creators by, without their profiles."""

    id: UUID
    category: str | None
    followers_count: int
    created_at: datetime
    token_id: UUID | None


@dataclass(frozen=True, slots=True)
class Listing:
    symbol: str
    creator_id: UUID
    initial_price: int
    moved: bool  # |24h change| was 10 % or more at its last trade


class CreatorRows(Protocol):
    async def add(self, row: CreatorRow) -> None: ...

    async def get(self, creator_id: UUID) -> CreatorRow | None: ...

    async def change(self, creator_id: UUID, at: datetime, **fields: Any) -> None:
        """Update the row and its search document together."""
        ...

    async def list_token(self, token_id: UUID, symbol: str, creator_id: UUID, initial_price: int) -> None:
        """Remember a listing (a creator made later names its token by id; a price move is measured from it)."""
        ...

    async def symbol_of(self, token_id: UUID) -> str | None: ...

    async def listing(self, token_id: UUID) -> Listing | None: ...

    async def mark_hour(self, token_id: UUID, hour: datetime, price: int) -> None:
        """The hour's last trade price so far."""
        ...

    async def close_at_or_before(self, token_id: UUID, hour: datetime) -> int | None:
        """The last trade price of the latest hour at or before ``hour``."""
        ...

    async def set_moved(self, token_id: UUID, moved: bool) -> None: ...

    async def follow(self, follower_id: UUID, creator_id: UUID, at: datetime) -> int:
        """Add the follow and count it; the creator's new count."""
        ...

    async def unfollow(self, follower_id: UUID, creator_id: UUID) -> int: ...

    async def feed(self, row: FeedRow) -> None: ...

    async def add_application(self, row: ApplicationRow) -> None: ...

    async def change_application(self, application_id: UUID, **fields: Any) -> None: ...

    async def add_topic(self, row: TopicRow) -> None: ...

    async def remove_topic(self, topic_id: UUID) -> None: ...


class CreatorsView(View, Protocol):
    def writing(self, expected: int, position: int) -> AbstractAsyncContextManager[CreatorRows]: ...

    async def by_id(self, creator_id: UUID) -> CreatorRow | None: ...

    async def by_ids(self, ids: Sequence[UUID]) -> dict[UUID, CreatorRow]: ...

    async def by_handle(self, handle: str) -> CreatorRow | None: ...

    async def by_symbol(self, symbol: str) -> CreatorRow | None: ...

    async def following(self, follower_id: UUID, limit: int, before: tuple[datetime, UUID] | None) -> list[tuple[UUID, datetime]]:
        """The creators a user follows, newest follow first, after the cursor ``(followed_at, creator_id)``."""
        ...

    async def is_following(self, follower_id: UUID, creator_id: UUID) -> bool: ...

    async def feed_of(self, follower_id: UUID, limit: int, before: tuple[int, int] | None) -> list[FeedRow]:
        """Items of the creators the user follows, newest first, after the cursor ``(seq, n)``."""
        ...

    async def new_followers_since(self, since: datetime) -> dict[UUID, int]: ...

    async def applications(self, status: str | None, limit: int, before: tuple[datetime, UUID] | None) -> list[ApplicationRow]: ...

    async def topics(self, limit: int) -> list[TopicRow]: ...

    async def search(self, query: str, limit: int, offset: int) -> list[UUID]:
        """Creator ids ranked by relevance over name, handle, symbol, headline, skills and bio; every word of
        ``query`` a prefix of a word; an exact handle or symbol first. InvalidQuery when ``query`` is blank."""
        ...

    async def directory(self) -> list[DirectoryEntry]:
        """Every creator, five columns each."""
        ...

    async def directory_fingerprint(self) -> tuple[object, ...]:
        """A small value that changes whenever ``directory`` would (cheap to ask for often)."""
        ...


def listed(value: Sequence[object]) -> list[dict[str, Any]]:
    """A profile list as the view stores it: plain dicts, ids as text."""
    return [{k: (str(v) if isinstance(v, UUID) else v) for k, v in asdict(item).items()} for item in value]  # type: ignore[call-overload]


class CreatorsProjector:
    def __init__(self, view: CreatorsView) -> None:
        self.view = view

    async def project(self, batch: Sequence[Recorded], expected: int) -> None:
        async with self.view.writing(expected, batch[-1].position) as rows:
            for recorded in batch:
                await self._apply(rows, recorded.position, recorded.event)

    async def _apply(self, rows: CreatorRows, seq: int, event: object) -> None:
        match event:
            case CreatorCreated() as e:
                symbol = await rows.symbol_of(e.token_id) if e.token_id else None
                await rows.add(
                    CreatorRow(
                        e.originator_id, e.user_id, e.wallet_address, e.handle, e.display_name, e.headline, e.bio,
                        None, None, e.category, None, None, [], [], [], [], [], [], 0, False, e.token_id, symbol, e.at, e.at,
                    )
                )
                if e.token_id is not None:
                    await rows.feed(FeedRow(seq, e.originator_id, "token_listed", e.at, {"token_id": str(e.token_id), "symbol": symbol}))
            case CreatorProfileEdited() as e:
                fields = {name: getattr(e, name) for name in e.changed}
                for name in LIST_FIELDS:
                    if name in fields:
                        fields[name] = listed(fields[name])
                await rows.change(e.originator_id, e.at, **fields)
                shown = [name for name in e.changed if name != "content_sections" or not e.published]
                if shown:
                    await rows.feed(FeedRow(seq, e.originator_id, "profile_updated", e.at, {"fields": sorted(shown)}))
                for section in e.content_sections:
                    if section.id in e.published:
                        data = {"section_id": str(section.id), "title": section.title}
                        await rows.feed(FeedRow(seq, e.originator_id, "section_published", e.at, data))
            case CreatorVerified() as e:
                await rows.change(e.originator_id, e.at, verified=e.verified)
            case TokenListed() as e:
                await rows.list_token(e.token_id, e.symbol, e.creator_id, e.initial_price)
                creator = await rows.get(e.creator_id)
                if creator is not None and creator.token_id is None:
                    await rows.change(e.creator_id, e.at, token_id=e.token_id, token_symbol=e.symbol)
                    await rows.feed(FeedRow(seq, e.creator_id, "token_listed", e.at, {"token_id": str(e.token_id), "symbol": e.symbol}))
            case TradeExecuted() as e:
                await self._price(rows, seq, e)
            case Followed() as e:
                count = await rows.follow(e.follower_id, e.creator_id, e.at)
                if count in MILESTONES:
                    await rows.feed(FeedRow(seq, e.creator_id, "milestone", e.at, {"followers": count}))
            case Unfollowed() as e:
                await rows.unfollow(e.follower_id, e.creator_id)
            case ApplicationSubmitted() as e:
                await rows.add_application(
                    ApplicationRow(
                        e.originator_id, e.user_id, e.wallet_address, "pending", e.display_name, e.handle, e.category,
                        e.token_symbol, e.token_name, e.headline, e.bio, list(e.profile_urls), e.invited, e.at,
                        None, None, None, None,
                    )
                )
            case ApplicationApprovalStarted():
                pass  # still pending to whoever looks: the approval finishes or is refused
            case ApplicationApproved() as e:
                await rows.change_application(e.originator_id, status="approved", decided_at=e.at, creator_id=e.creator_id, token_id=e.token_id)
            case ApplicationRejected() as e:
                await rows.change_application(e.originator_id, status="rejected", decided_at=e.at, rejection_reason=e.reason)
            case TopicPublished() as e:
                await rows.add_topic(TopicRow(e.originator_id, e.title, e.summary, e.url, list(e.tags), list(e.creator_ids), e.at))
            case TopicRemoved() as e:
                await rows.remove_topic(e.originator_id)

    @staticmethod
    async def _price(rows: CreatorRows, seq: int, trade: TradeExecuted) -> None:
        """``price_move`` when a creator's token's 24h change reaches 10 % either way (measured against the last
        price of the latest hour at least 24 hours before the trade's, else the listing price), once per crossing."""
        listing = await rows.listing(trade.originator_id)
        if listing is None:
            return
        hour = trade.at.replace(minute=0, second=0, microsecond=0)
        await rows.mark_hour(trade.originator_id, hour, trade.price)
        reference = await rows.close_at_or_before(trade.originator_id, hour - DAY) or listing.initial_price
        moved = reference > 0 and abs(trade.price - reference) * 100 >= MOVE_PERCENT * reference
        if moved == listing.moved:
            return
        await rows.set_moved(trade.originator_id, moved)
        if moved and await rows.get(listing.creator_id) is not None:
            change = (Decimal(trade.price - reference) * 100 / reference).quantize(Decimal("0.01"), ROUND_DOWN)
            data = {
                "token_id": str(trade.originator_id), "symbol": listing.symbol,
                "price": f"{Decimal(trade.price) / MICRO_USD:f}", "change_24h": f"{change:f}",
            }
            await rows.feed(FeedRow(seq, listing.creator_id, "price_move", trade.at, data))

