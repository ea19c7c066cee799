"""The creator directory: sorting by live figures, creators without them last, trending's formula, and figures
that answer at once while they are read again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from uuid import UUID

import pytest

from application.creator_queries import CreatorDirectory
from application.errors import InvalidQuery
from application.projections.creators import CreatorRow, DirectoryEntry
from application.queries import Ticker

T0 = datetime(2026, 11, 30, 12, tzinfo=UTC)


def row(n: int) -> CreatorRow:
    return CreatorRow(
        UUID(int=n), UUID(int=100 + n), "0x", f"c{n}", f"C{n}", None, None, None, None, None, None, None,
        [], [], [], [], [], [], 0, False, UUID(int=200 + n), None, T0, T0,
    )


class View:
    name = "creators"

    def __init__(self, entries: list[DirectoryEntry], gained: dict[UUID, int]) -> None:
        self.entries, self.gained, self.at, self.reads = entries, gained, 1, 0

    async def position(self) -> int:
        return self.at

    async def directory(self) -> list[DirectoryEntry]:
        self.reads += 1
        return list(self.entries)

    async def directory_fingerprint(self) -> tuple[object, ...]:
        return (len(self.entries), sum(e.followers_count for e in self.entries))

    async def by_ids(self, ids: list[UUID]) -> dict[UUID, CreatorRow]:
        return {i: row(i.int) for i in ids}

    async def new_followers_since(self, since: datetime) -> dict[UUID, int]:
        return self.gained


class Market:
    view_name = "market"

    def __init__(self, tickers: dict[UUID, Ticker]) -> None:
        self.tickers_now, self.reads = tickers, 0
        self.gate: asyncio.Event | None = None

    async def position(self) -> int:
        return 1

    async def tickers(self, initial: dict[UUID, int]) -> dict[UUID, Ticker]:
        self.reads += 1
        if self.gate is not None:
            await self.gate.wait()
        return {t: self.tickers_now.get(t, Ticker(p, p, 0, 0, None, None)) for t, p in initial.items()}


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at


def token(n: int, supply: int = 10**12) -> SimpleNamespace:
    return SimpleNamespace(token_id=UUID(int=200 + n), initial_price=1_000_000, total_supply=supply, decimals=6)


def directory(
    entries: list[DirectoryEntry], tickers: dict[UUID, Ticker], gained: dict[UUID, int] | None = None
) -> tuple[CreatorDirectory, Market, Clock]:
    tokens = {e.token_id: token(e.id.int) for e in entries if e.token_id}
    committed = SimpleNamespace(state=SimpleNamespace(tokens=tokens, circulating=lambda listing: listing.total_supply))
    market, clock = Market(tickers), Clock()
    found = CreatorDirectory(View(entries, gained or {}), market, lambda: committed, clock, None)  # type: ignore[arg-type]
    return found, market, clock


def entry(n: int, *, followers: int = 0, category: str = "music", token: bool = True, age: int = 0) -> DirectoryEntry:
    return DirectoryEntry(UUID(int=n), category, followers, T0 - timedelta(days=age), UUID(int=200 + n) if token else None)


def tick(price: int, then: int, quote_volume: int = 0) -> Ticker:
    return Ticker(price, then, quote_volume // 10**6, quote_volume, None, None)


async def handles(d: CreatorDirectory, sort: str, category: str | None = None, limit: int = 10, offset: int = 0) -> list[int]:
    return [r.id.int for r, _ in await d.page(category, sort, limit, offset)]


async def test_each_sort_is_descending_with_ties_by_id_and_creators_without_figures_last() -> None:
    entries = [entry(1, followers=5, age=3), entry(2, followers=9, age=1), entry(3, followers=5, age=2), entry(4, token=False, followers=1)]
    tickers = {
        UUID(int=201): tick(2_000_000, 1_000_000, 10**6),  # +100 %, cap 2M USD
        UUID(int=202): tick(3_000_000, 3_000_000, 5 * 10**6),  # 0 %, cap 3M
        UUID(int=203): tick(1_000_000, 2_000_000, 10**6),  # -50 %, cap 1M
    }
    d, _, _ = directory(entries, tickers)
    assert await handles(d, "market_cap") == [2, 1, 3, 4]
    assert await handles(d, "volume_24h") == [2, 1, 3, 4]  # 1 and 3 tie: by id
    assert await handles(d, "price_change_24h") == [1, 2, 3, 4]
    assert await handles(d, "followers") == [2, 1, 3, 4]
    assert await handles(d, "newest") == [4, 2, 3, 1]
    assert await handles(d, "market_cap", limit=2, offset=1) == [1, 3]
    assert await handles(d, "market_cap", category="art") == []
    with pytest.raises(InvalidQuery):
        await d.page(None, "loudest", 10, 0)


async def test_trending_weighs_volume_move_and_new_followers_and_names_what_counts() -> None:
    entries = [entry(1), entry(2), entry(3), entry(4, token=False)]
    tickers = {
        UUID(int=201): tick(1_000_000, 1_000_000, 10**9),  # all the volume, no move
        UUID(int=202): tick(1_600_000, 1_000_000, 0),  # +60 %: capped at 50 %
        UUID(int=203): tick(1_000_000, 1_000_000, 0),  # nothing at all
    }
    d, _, _ = directory(entries, tickers, gained={UUID(int=4): 3})
    trends = {r.id.int: t for r, _, t in await d.trending(10)}
    assert set(trends) == {1, 2, 4}  # 3 scores 0 and is left out
    assert (trends[1].score, trends[1].reasons) == (50.0, ["volume_24h"])
    assert (trends[2].score, trends[2].reasons) == (30.0, ["price_change_24h"])
    assert (trends[4].score, trends[4].reasons) == (20.0, ["new_followers_24h"])
    assert [r.id.int for r, _, _ in await d.trending(2)] == [1, 2]


async def test_figures_older_than_their_time_answer_at_once_while_they_are_read_again() -> None:
    entries = [entry(1)]
    d, market, clock = directory(entries, {UUID(int=201): tick(2_000_000, 1_000_000)})
    first = await d.figures()
    assert market.reads == 1 and first[UUID(int=201)].ticker.price == 2_000_000
    market.tickers_now = {UUID(int=201): tick(5_000_000, 1_000_000)}
    market.gate = asyncio.Event()
    clock.at += timedelta(seconds=3)
    stale = await d.figures()  # starts a read in the background and does not wait for it
    assert stale[UUID(int=201)].ticker.price == 2_000_000
    market.gate.set()
    await asyncio.sleep(0.01)
    assert (await d.figures())[UUID(int=201)].ticker.price == 5_000_000 and market.reads == 2


async def test_the_creators_are_read_again_only_when_they_changed() -> None:
    entries = [entry(1, followers=1), entry(2, followers=2)]
    d, _, clock = directory(entries, {})
    view: View = d._view  # type: ignore[assignment]  # noqa: SLF001
    assert await handles(d, "followers") == [2, 1] and view.reads == 1
    for _ in range(2):
        clock.at += timedelta(seconds=3)
        await d.figures()
        await asyncio.sleep(0.01)  # the background read
    assert view.reads == 1
    view.entries = [entry(1, followers=5), entry(2, followers=2)]
    clock.at += timedelta(seconds=3)
    await d.figures()
    await asyncio.sleep(0.01)
    assert view.reads == 2 and await handles(d, "followers") == [1, 2]
