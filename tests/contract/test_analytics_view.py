"""The analytics view on SQLite and PostgreSQL: a known log gives hand-computed statistics and sentiment, now
and as history, and a rebuild from the log gives the same answers and the same rows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from adapters.eventstore.memory import InMemoryEventStore
from adapters.views.analytics import SqlAnalyticsView
from adapters.views.audit import SqlViewReader
from adapters.views.database import ViewDatabase, sqlalchemy_url
from adapters.views.market import SqlMarketView
from application.analytics_queries import AnalyticsQueries, StatisticsPoint
from application.errors import InvalidQuery
from application.live.market import CommittedMarket
from application.projections.analytics import AnalyticsProjector
from application.projections.market import MarketProjector
from application.projections.runner import ProjectionRunner
from application.queries import MarketQueries, ReadYourWrites
from domain.creator.events import CreatorCreated, Followed, Unfollowed
from domain.identity.events import UserRegistered
from domain.orderbook.events import TradeExecuted
from domain.shared.aggregate import DomainEvent
from domain.token.events import TokenListed

NOW = datetime(2026, 11, 30, 12, 0, 30, tzinfo=UTC)
H, D = timedelta(hours=1), timedelta(days=1)
U1, U2, U3 = UUID(int=1), UUID(int=2), UUID(int=3)
A, B, CREATOR = UUID(int=10), UUID(int=11), UUID(int=20)
WHOLE = 10**6  # base units per token (6 decimals), micro-USD per USD


class Clock:
    def now(self) -> datetime:
        return NOW


def listing(token: UUID, symbol: str, supply: int, price: int, at: datetime) -> TokenListed:
    return TokenListed(
        originator_id=uuid4(), originator_version=1, at=at, token_id=token, symbol=symbol, name=symbol, creator_id=CREATOR,
        creator_address="0x" + "ab" * 32, decimals=6, total_supply=supply * WHOLE, initial_price=price,
        tick_size=100, lot_size=10_000, min_size=10_000,
    )


def trade(token: UUID, version: int, price: int, tokens: int, side: str, taker: UUID, maker: UUID, at: datetime) -> TradeExecuted:
    return TradeExecuted(
        originator_id=token, originator_version=version, at=at, trade_id=uuid4(), price=price, quantity=tokens * WHOLE,
        notional=price * tokens, taker_order_id=uuid4(), taker_user_id=taker, taker_side=side, maker_order_id=uuid4(),
        maker_user_id=maker, taker_fee=0, maker_fee=0, buyer_paid=price * tokens, buyer_released=0,
    )


def registered(user: UUID, at: datetime) -> UserRegistered:
    return UserRegistered(originator_id=user, originator_version=1, at=at, wallet_address="0x" + f"{user.int:064x}")


def follow(n: int, at: datetime, cls: type[Followed] | type[Unfollowed] = Followed) -> DomainEvent:
    return cls(originator_id=uuid4(), originator_version=1, at=at, follower_id=UUID(int=100 + n), creator_id=CREATOR)


LISTINGS = [listing(A, "AAA", 1_000_000, WHOLE, NOW - 9 * D), listing(B, "BBB", 500_000, 2 * WHOLE, NOW - 3 * H)]
STORY: list[DomainEvent] = [
    registered(U1, NOW - 10 * D),
    CreatorCreated(
        originator_id=CREATOR, originator_version=1, at=NOW - 9 * D, user_id=U1, wallet_address="0x" + "ab" * 32,
        handle="alice", display_name="Alice", category=None, headline=None, bio=None, token_id=A,
    ),
    LISTINGS[0],
    follow(1, NOW - 8 * D),  # outside the 7 days
    follow(2, NOW - 5 * D),
    trade(A, 1, WHOLE, 10, "buy", U2, U1, NOW - 2 * D),  # before the 24 hours: A's price then, 1.00
    follow(3, NOW - 3 * D),
    follow(3, NOW - 2 * D, Unfollowed),  # takes no follow back
    LISTINGS[1],
    follow(4, NOW - 3 * H),
    registered(U2, NOW - 2 * H),
    trade(A, 2, 1_200_000, 5, "buy", U2, U1, NOW - H),  # 6.00 USD bought by the taker
    registered(U3, NOW - 30 * timedelta(minutes=1)),
    trade(B, 1, 1_800_000, 1, "sell", U3, U1, NOW - 20 * timedelta(minutes=1)),  # 1.80 sold; B's first trade: flat
    trade(A, 3, 1_100_000, 2, "sell", U3, U2, NOW - 10 * timedelta(minutes=1)),  # 2.20 sold; A at 1.10, +10 %
]


@dataclass
class Reads:
    runner: ProjectionRunner
    queries: AnalyticsQueries
    view: SqlAnalyticsView
    db: ViewDatabase


@pytest.fixture(params=["sqlite", "postgres"])
def open_db(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], ViewDatabase]:
    if request.param == "sqlite":
        return lambda: ViewDatabase(f"sqlite+aiosqlite:///{tmp_path / 'views.sqlite3'}")
    url = sqlalchemy_url(request.getfixturevalue("postgres_url"))
    return lambda: ViewDatabase(url)


@pytest.fixture
async def reads(open_db: Callable[[], ViewDatabase]) -> AsyncIterator[Reads]:
    db = open_db()
    await db.migrate(["analytics", "market"])
    store = InMemoryEventStore()
    for event in STORY:
        await store.append([event])
    view, market_view = SqlAnalyticsView(db), SqlMarketView(db)
    runner = ProjectionRunner(store, [AnalyticsProjector(view), MarketProjector(market_view)], batch_size=4)
    await runner.catch_up()
    consistency = ReadYourWrites(store, runner)
    queries = AnalyticsQueries(view, market_view, MarketQueries(market_view, consistency, Clock()), consistency, Clock())
    yield Reads(runner, queries, view, db)
    await db.close()


def committed() -> CommittedMarket:
    live = CommittedMarket()
    live.state.apply_all(LISTINGS)
    return live


async def answers(q: AnalyticsQueries) -> tuple[object, ...]:
    return (
        await q.statistics(committed()),
        await q.sentiment(committed()),
        await q.statistics_history("1h", NOW - 3 * H, NOW),
        await q.sentiment_history("1h", NOW - 3 * H, NOW),
        await q.statistics_history("1d", None, None),
        await q.sentiment_history("1d", None, None),
    )


async def test_the_statistics_are_the_counts_of_the_log_and_the_24_hours_before_now(reads: Reads) -> None:
    s = await reads.queries.statistics(committed())
    assert (s.users, s.creators, s.tokens) == (3, 1, 2)
    assert (s.trades_24h, s.volume_24h) == (3, 6_000_000 + 1_800_000 + 2_200_000)
    assert s.active_traders_24h == 3 and s.as_of == NOW
    # A at 1.10 × 1,000,000 + B at 1.80 × 500,000 (the whole supply circulates: no platform account holds any)
    assert s.market_cap == (1_100_000 + 900_000) * WHOLE


async def test_the_sentiment_is_the_weighted_mean_of_four_hand_computed_components(reads: Reads) -> None:
    found, as_of = await reads.queries.sentiment(committed())
    assert as_of == NOW
    assert {c.name: c.value for c in found.components} == {
        "taker_balance": Decimal("60.00"),  # 6.00 bought of 10.00
        "breadth": Decimal("75.00"),  # A up, B flat: (1 + 0.5) / 2
        "momentum": Decimal("70.50"),  # (8.20 × 10 % + 1.80 × 0 %) / 10.00 = 8.2 % → 50 + 20.5
        "social": Decimal("70.00"),  # 1 follow in 24h, 3 in 7 days: 1 / (1 + 3/7)
    }
    # 0.30 × 60 + 0.25 × 75 + 0.25 × 70.5 + 0.20 × 70 = 68.375, half to even
    assert (found.index, found.label) == (Decimal("68.38"), "greed")


async def test_statistics_history_has_a_point_at_every_hours_end_with_the_totals_as_of_it(reads: Reads) -> None:
    points = await reads.queries.statistics_history("1h", NOW - 3 * H, NOW)
    hour = NOW.replace(minute=0, second=0)
    assert points == [
        StatisticsPoint(hour - 2 * H, 1, 1, 2, 0, 0, 0),  # 09:00-10:00: B listed, a follow
        StatisticsPoint(hour - H, 2, 1, 2, 0, 0, 0),  # U2 signed in
        StatisticsPoint(hour, 3, 1, 2, 3, 10_000_000, 3),  # U3 signed in; three trades among three users
        StatisticsPoint(hour + H, 3, 1, 2, 0, 0, 0),  # the current hour, quiet
    ]
    days = await reads.queries.statistics_history("1d", None, None)
    assert len(days) == 30 and days[-1].t == NOW.replace(hour=0, second=0) + D
    assert (days[-1].trades, days[-1].volume, days[-1].active_traders, days[-1].users) == (3, 10_000_000, 3, 3)
    assert (days[-3].trades, days[-3].active_traders, days[-3].users) == (1, 2, 1)  # two days ago: U2 bought from U1


async def test_sentiment_history_applies_the_formula_to_the_24_hours_before_each_point(reads: Reads) -> None:
    points = await reads.queries.sentiment_history("1h", NOW - 3 * H, NOW)
    hour = NOW.replace(minute=0, second=0)
    # before 11:00 nothing traded in the 24 hours: 50, 50, 50, and social 70 once the follow of 09:00 counts
    assert [(p.t, p.sentiment.index, p.sentiment.label) for p in points] == [
        (hour - 2 * H, Decimal("54.00"), "neutral"),
        (hour - H, Decimal("54.00"), "neutral"),
        (hour, Decimal("68.38"), "greed"),
        (hour + H, Decimal("68.38"), "greed"),
    ]
    (at_nine,) = await reads.queries.sentiment_history("1h", NOW - 4 * H, NOW - 4 * H)
    # before the follow of 09:00:30: none in the 24 hours, two in the week: social 0, index 15 + 12.5 + 12.5 + 0
    assert (at_nine.t, at_nine.sentiment.index, at_nine.sentiment.label) == (hour - 3 * H, Decimal("40.00"), "neutral")


async def test_a_range_too_long_or_backwards_is_an_invalid_query(reads: Reads) -> None:
    with pytest.raises(InvalidQuery):
        await reads.queries.statistics_history("1h", NOW, NOW - H)
    with pytest.raises(InvalidQuery):
        await reads.queries.sentiment_history("1h", NOW - 1_000 * H, NOW)  # 1,001 points
    assert len(await reads.queries.statistics_history("1h", NOW - 999 * H, NOW)) == 1_000
    with pytest.raises(InvalidQuery):
        await reads.queries.statistics_history("1m", None, None)


async def test_a_rebuild_from_the_log_gives_the_same_rows_and_the_same_answers(reads: Reads) -> None:
    reader = SqlViewReader(reads.db, [reads.view])
    before_rows, before = await reader.read(), await answers(reads.queries)
    assert before_rows["analytics"].tables["analytics_buckets"]  # there was something to compare
    await reads.runner.rebuild("analytics")
    assert await reader.read() == before_rows
    assert await answers(reads.queries) == before
