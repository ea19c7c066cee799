"""Reads of the creators view: profiles by id, handle or symbol, follows, the feed, applications, topics."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from application.errors import InvalidQuery
from application.live.market import CommittedMarket
from application.ports import Clock
from application.projections.creators import ApplicationRow, CreatorRow, CreatorsView, DirectoryEntry, FeedRow, TopicRow
from application.queries import MarketQueries, ReadYourWrites, Ticker
from domain.token.events import TokenListed
from domain.creator.errors import CreatorNotFound
from domain.creator.profile import creator_ref


class CreatorQueries:
    def __init__(self, view: CreatorsView, consistency: ReadYourWrites) -> None:
        self._view, self._consistency = view, consistency

    async def reach(self, min_position: int | None) -> None:
        await self._consistency.reach(self._view.name, min_position)

    async def find(self, ref: str, min_position: int | None = None) -> CreatorRow:
        """By id, handle or token symbol, case-insensitive."""
        await self.reach(min_position)
        named = creator_ref(ref)
        row = await self._view.by_id(named.id) if named.id is not None else None
        if row is None and named.handle is not None:
            row = await self._view.by_handle(named.handle)
        if row is None and named.symbol is not None:
            row = await self._view.by_symbol(named.symbol)
        if row is None:
            raise CreatorNotFound(f"no creator {ref!r}")
        return row

    async def by_ids(self, ids: list[UUID]) -> dict[UUID, CreatorRow]:
        return await self._view.by_ids(ids)

    async def by_id(self, creator_id: UUID, min_position: int | None = None) -> CreatorRow | None:
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


# ----- lists, sorted by live market figures, and trending -----

SORTS = ("market_cap", "volume_24h", "price_change_24h", "followers", "newest")
FIGURELESS = frozenset({"followers", "newest"})  # sorts by the view alone
FIGURES_TTL = timedelta(seconds=2)
SLICE = 500  # items of Python work between two turns of the event loop in a background read
TRENDING_WEIGHTS = {"volume_24h": 0.5, "price_change_24h": 0.3, "new_followers_24h": 0.2}
CHANGE_CAP = 50  # percent: a larger 24h move counts as much as this one


@dataclass(frozen=True, slots=True)
class TokenFigures:
    token: TokenListed
    ticker: Ticker
    circulating: int

    @property
    def market_cap(self) -> int | None:
        """micro-USD: price × circulating supply."""
        return self.ticker.market_cap(self.circulating, self.token.decimals)

    @property
    def change_ppm(self) -> int | None:
        """The 24h change in parts per million (100,000 is +10 %), rounded down: an integer sorts fast."""
        t = self.ticker
        return (t.price - t.price_24h_ago) * 1_000_000 // t.price_24h_ago if t.price and t.price_24h_ago else None


@dataclass(frozen=True, slots=True)
class Trend:
    creator_id: UUID
    score: float  # 0..100
    reasons: list[str]  # the parts that count most, largest first


def _sort_key(sort: str, figures: dict[UUID, TokenFigures]) -> Callable[[DirectoryEntry], tuple[int, int | float, int]]:
    """Descending by the figure, ties by id; no figure (no token, no price) after every creator with one. Only
    integers and floats in the key: they compare in C (a UUID compares in Python, ~1 µs a time)."""

    def key(e: DirectoryEntry) -> tuple[int, int | float, int]:
        f = figures.get(e.token_id) if e.token_id else None
        value: int | float | None
        match sort:
            case "followers":
                value = -e.followers_count
            case "newest":
                value = -e.created_at.timestamp()
            case "market_cap":
                value = -f.market_cap if f and f.market_cap is not None else None
            case "volume_24h":
                value = -f.ticker.quote_volume_24h if f else None
            case _:
                value = -f.change_ppm if f and f.change_ppm is not None else None
        return (1, 0, e.id.int) if value is None else (0, value, e.id.int)

    return key


@dataclass(slots=True)
class _Snapshot:
    """The directory as of one read: every creator's sort keys, every token's figures, and the orders of the
    whole list by each sort (made in the background read, so a request only slices)."""

    at: datetime
    view_position: int  # what the creators view held at least
    market_position: int  # what the market view held at least
    fingerprint: tuple[object, ...]  # of the entries: they are read again only when it changes
    entries: list[DirectoryEntry]
    figures: dict[UUID, TokenFigures]
    orders: dict[tuple[str, str | None], list[DirectoryEntry]]


class CreatorDirectory:
    """Lists and trending from one snapshot in memory: every creator's sort keys, every token's figures and
    the sorted orders, read again in the background once older than ``FIGURES_TTL`` (requests answer from the
    last one meanwhile and never wait for the read, unless there is none yet or ``reach`` asks for newer)."""

    def __init__(
        self,
        view: CreatorsView,
        market: MarketQueries,
        committed: Callable[[], CommittedMarket],
        clock: Clock,
        consistency: ReadYourWrites,
    ) -> None:
        self._view, self._market, self._committed, self._clock = view, market, committed, clock
        self._consistency = consistency
        self._snapshot: _Snapshot | None = None
        self._refreshing: asyncio.Task[None] | None = None

    async def reach(self, min_position: int | None) -> None:
        """Read your writes: both views at ``min_position``, and a snapshot no older than it."""
        if min_position:
            await self._consistency.reach(self._view.name, min_position)
            await self._consistency.reach(self._market.view_name, min_position)
            s = self._snapshot
            if s is None or min(s.view_position, s.market_position) < min_position:
                await self._refresh()

    async def snapshot(self) -> _Snapshot:
        s = self._snapshot
        if s is None:
            await self._refresh()
        elif self._clock.now() - s.at >= FIGURES_TTL and (self._refreshing is None or self._refreshing.done()):
            self._refreshing = asyncio.create_task(self._refresh())
        assert self._snapshot is not None
        return self._snapshot

    async def figures(self) -> dict[UUID, TokenFigures]:
        return (await self.snapshot()).figures

    async def _refresh(self) -> None:
        """Read everything again; the Python work is cut into slices between which the loop serves others."""
        now = self._clock.now()
        view_position, market_position = await self._view.position(), await self._market.position()
        fingerprint, last = await self._view.directory_fingerprint(), self._snapshot
        entries = last.entries if last is not None and last.fingerprint == fingerprint else await self._view.directory()
        market = self._committed()
        tokens = dict(market.state.tokens)
        tickers = await self._market.tickers({t: listing.initial_price for t, listing in tokens.items()})
        figures: dict[UUID, TokenFigures] = {}
        for n, (t, listing) in enumerate(tokens.items()):
            figures[t] = TokenFigures(listing, tickers[t], market.state.circulating(listing))
            if n % SLICE == SLICE - 1:
                await asyncio.sleep(0)
        orders: dict[tuple[str, str | None], list[DirectoryEntry]] = {}
        for sort in SORTS:
            if sort in FIGURELESS and last is not None and last.entries is entries:
                orders[(sort, None)] = last.orders[(sort, None)]  # nothing it sorts by has changed
                continue
            key = _sort_key(sort, figures)
            keyed = []
            for n, e in enumerate(entries):
                keyed.append((key(e), e))
                if n % SLICE == SLICE - 1:
                    await asyncio.sleep(0)
            keyed.sort(key=lambda pair: pair[0])
            orders[(sort, None)] = [e for _, e in keyed]
            await asyncio.sleep(0)
        if self._snapshot is None or now >= self._snapshot.at:
            self._snapshot = _Snapshot(now, view_position, market_position, fingerprint, entries, figures, orders)

    async def page(self, category: str | None, sort: str, limit: int, offset: int) -> list[tuple[CreatorRow, TokenFigures | None]]:
        """Descending by ``sort``, ties by id; creators without a token (or the figure) after those with it."""
        if sort not in SORTS:
            raise InvalidQuery(f"sort is one of {', '.join(SORTS)}")
        s = await self.snapshot()
        ordered = s.orders.get((sort, category))
        if ordered is None:  # a category's order: the whole list's, filtered once per snapshot
            ordered = s.orders[(sort, category)] = [e for e in s.orders[(sort, None)] if e.category == category]
        chosen = ordered[offset : offset + limit]
        rows = await self._view.by_ids([e.id for e in chosen])
        return [(rows[e.id], s.figures.get(e.token_id) if e.token_id else None) for e in chosen if e.id in rows]

    async def search(self, query: str, limit: int, offset: int) -> list[tuple[CreatorRow, TokenFigures | None]]:
        ids = await self._view.search(query, limit, offset)
        rows = await self._view.by_ids(ids)
        figures = await self.figures()
        return [(rows[i], figures.get(rows[i].token_id) if rows[i].token_id else None) for i in ids if i in rows]

    async def trending(self, limit: int) -> list[tuple[CreatorRow, TokenFigures | None, Trend]]:
        """``score = 100 × (0.5·v + 0.3·c + 0.2·f)``: v the 24h quote volume, c the absolute 24h change capped at
        50 %, f the followers gained in 24h; v and f on a log scale against the largest among creators, so one
        whale does not flatten the rest (docs/creators.md)."""
        s = await self.snapshot()
        entries, figures = s.entries, s.figures
        gained = await self._view.new_followers_since(self._clock.now() - timedelta(days=1))
        volumes = {e.id: figures[e.token_id].ticker.quote_volume_24h for e in entries if e.token_id in figures}
        top_volume = max(volumes.values(), default=0)
        top_gain = max(gained.values(), default=0)
        trends = []
        for e in entries:
            f = figures.get(e.token_id) if e.token_id else None
            parts = {
                "volume_24h": math.log1p(volumes.get(e.id, 0)) / math.log1p(top_volume) if top_volume else 0.0,
                "price_change_24h": min(abs(f.change_ppm) / 10_000, CHANGE_CAP) / CHANGE_CAP if f and f.change_ppm else 0.0,
                "new_followers_24h": math.log1p(gained.get(e.id, 0)) / math.log1p(top_gain) if top_gain else 0.0,
            }
            weighted = {name: TRENDING_WEIGHTS[name] * value for name, value in parts.items()}
            score = 100 * sum(weighted.values())
            if score <= 0:
                continue
            reasons = [n for n, w in sorted(weighted.items(), key=lambda kv: -kv[1]) if w >= 0.25 * sum(weighted.values())]
            trends.append(Trend(e.id, round(score, 2), reasons))
        trends.sort(key=lambda t: (-t.score, t.creator_id))
        chosen = trends[:limit]
        rows = await self._view.by_ids([t.creator_id for t in chosen])
        found = []
        for trend in chosen:
            row = rows.get(trend.creator_id)
            if row is not None:
                found.append((row, figures.get(row.token_id) if row.token_id else None, trend))
        return found
