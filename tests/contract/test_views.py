"""The views port: the same assertions against SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
from sqlalchemy import text

from adapters.eventstore.memory import InMemoryEventStore
from adapters.views.categories import SqlCategoriesView
from adapters.views.database import ViewDatabase, sqlalchemy_url
from adapters.views.users import SqlUsersView
from application.ports import DeadLetter, ProjectionRaced, Recorded, ViewProgress, ViewUnavailable
from application.projections.categories import CategoriesProjector, CategoryRow
from application.projections.runner import ProjectionRunner, ProjectionsBehind
from domain.creator.categories import CATALOG_ID
from domain.creator.events import CategoryAdded, CategoryRenamed

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def added(version: int, name: str) -> CategoryAdded:
    return CategoryAdded(
        originator_id=CATALOG_ID,
        originator_version=version,
        at=T0 + timedelta(minutes=version),
        category_id=uuid4(),
        slug=name.lower(),
        name=name,
    )


@pytest.fixture(params=["sqlite", "postgres"])
def open_db(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], ViewDatabase]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'views.sqlite3'}"
    else:
        url = sqlalchemy_url(request.getfixturevalue("postgres_url"))
    return lambda: ViewDatabase(url)


@pytest.fixture
async def db(open_db: Callable[[], ViewDatabase]) -> AsyncIterator[ViewDatabase]:
    database = open_db()
    await database.migrate(["categories"])
    yield database
    await database.close()


@pytest.fixture
def view(db: ViewDatabase) -> SqlCategoriesView:
    return SqlCategoriesView(db)


async def test_migrating_twice_changes_nothing_and_a_new_view_starts_at_zero(db: ViewDatabase, view: SqlCategoriesView) -> None:
    await db.migrate(["categories"])
    await db.ping()
    assert await view.position() == 0
    assert await view.page(10) == []


async def test_a_projected_batch_writes_its_rows_and_its_position_together(view: SqlCategoriesView) -> None:
    art, music = added(1, "Art"), added(2, "Music")
    renamed = CategoryRenamed(originator_id=CATALOG_ID, originator_version=3, at=T0 + timedelta(hours=1), category_id=art.category_id, name="Fine Art")
    await CategoriesProjector(view).project([Recorded(1, art), Recorded(2, music), Recorded(3, renamed)], expected=0)
    assert await view.position() == 3
    assert await view.page(10) == [
        CategoryRow(art.category_id, "art", "Fine Art", art.at, renamed.at),
        CategoryRow(music.category_id, "music", "Music", music.at, music.at),
    ]


async def test_pages_follow_slug_order_from_the_cursor(view: SqlCategoriesView) -> None:
    names = ["Sports", "Art", "Music", "Food", "Comedy"]
    await CategoriesProjector(view).project([Recorded(i, added(i, n)) for i, n in enumerate(names, 1)], expected=0)
    assert [r.slug for r in await view.page(2)] == ["art", "comedy"]
    assert [r.slug for r in await view.page(2, after_slug="comedy")] == ["food", "music"]
    assert [r.slug for r in await view.page(2, after_slug="music")] == ["sports"]


async def test_a_batch_from_a_stale_position_is_refused_and_writes_nothing(view: SqlCategoriesView) -> None:
    projector = CategoriesProjector(view)
    await projector.project([Recorded(1, added(1, "Art"))], expected=0)
    with pytest.raises(ProjectionRaced):
        await projector.project([Recorded(1, added(1, "Art")), Recorded(2, added(2, "Music"))], expected=0)
    assert await view.position() == 1
    assert [r.slug for r in await view.page(10)] == ["art"]


async def test_a_batch_that_fails_halfway_leaves_neither_rows_nor_position(view: SqlCategoriesView) -> None:
    first = added(1, "Art")
    clash = CategoryAdded(originator_id=CATALOG_ID, originator_version=3, at=T0, category_id=first.category_id, slug="other", name="Other")
    with pytest.raises(Exception):
        await CategoriesProjector(view).project(
            [Recorded(1, first), Recorded(2, added(2, "Music")), Recorded(3, clash)], expected=0
        )
    assert await view.position() == 0
    assert await view.page(10) == []


async def test_reset_empties_the_view_and_its_position(view: SqlCategoriesView) -> None:
    await CategoriesProjector(view).project([Recorded(1, added(1, "Art"))], expected=0)
    await view.reset()
    assert await view.position() == 0
    assert await view.page(10) == []


async def test_a_rebuilt_view_equals_the_live_one(view: SqlCategoriesView) -> None:
    store = InMemoryEventStore()
    runner = ProjectionRunner(store, [CategoriesProjector(view)], batch_size=3)
    art = added(1, "Art")
    await store.append([art, added(2, "Music")])
    await runner.catch_up()
    await store.append([added(3, "Food"), CategoryRenamed(originator_id=CATALOG_ID, originator_version=4, at=T0, category_id=art.category_id, name="Arts")])
    for version, name in enumerate(["Zen", "Yoga", "Xylophone"], 5):
        await store.append([added(version, name)])
        await runner.catch_up()
    live = await view.page(500)
    assert len(live) == 6 and await view.position() == 7
    await runner.rebuild("categories")
    assert await view.page(500) == live
    assert await view.position() == 7


async def test_two_runners_on_one_database_apply_every_event_exactly_once(
    open_db: Callable[[], ViewDatabase], db: ViewDatabase
) -> None:
    store = InMemoryEventStore()
    await store.append([added(i, f"Category {i}") for i in range(1, 101)])
    other = open_db()
    try:
        runners = [
            ProjectionRunner(store, [CategoriesProjector(SqlCategoriesView(d))], batch_size=7) for d in (db, other)
        ]
        await asyncio.gather(*(r.catch_up() for r in runners))
        view = SqlCategoriesView(db)
        assert await view.position() == 100
        assert len(await view.page(500)) == 100
    finally:
        await other.close()


async def test_a_query_can_wait_for_the_view_to_reach_a_position(view: SqlCategoriesView) -> None:
    store = InMemoryEventStore()
    runner = ProjectionRunner(store, [CategoriesProjector(view)], poll_interval=0.05)
    position = await store.append([added(1, "Art")])
    assert not await runner.wait_for("categories", position, timeout=0.2)
    task = asyncio.create_task(runner.run())
    try:
        assert await runner.wait_for("categories", position, timeout=10)
        assert [r.slug for r in await view.page(10)] == ["art"]
    finally:
        task.cancel()


async def test_the_users_view_follows_registration_profile_and_email_and_rebuilds_equal(db: ViewDatabase) -> None:
    from adapters.views.users import SqlUsersView
    from application.projections.users import UserRow, UsersProjector
    from domain.identity.events import EmailCodeSent, EmailVerified, ProfileChanged, UserRegistered

    await db.migrate(["users"])
    view = SqlUsersView(db)
    store = InMemoryEventStore()
    runner = ProjectionRunner(store, [UsersProjector(view)], batch_size=2)
    ann, bob = uuid4(), uuid4()
    t = [T0 + timedelta(minutes=i) for i in range(8)]
    await store.append([UserRegistered(originator_id=ann, originator_version=1, at=t[0], wallet_address="0x" + "a" * 64)])
    await store.append([UserRegistered(originator_id=bob, originator_version=1, at=t[1], wallet_address="0x" + "b" * 64)])
    await store.append([ProfileChanged(originator_id=ann, originator_version=2, at=t[2], username="ann", display_name="Ann", bio=None, avatar_url=None)])
    await store.append([EmailCodeSent(originator_id=ann, originator_version=3, at=t[3], email="ann@x.io", code_hash="h", expires_at=t[5])])
    await store.append([EmailVerified(originator_id=ann, originator_version=4, at=t[4], email="ann@x.io")])
    await store.append([EmailCodeSent(originator_id=ann, originator_version=5, at=t[5], email="new@x.io", code_hash="h", expires_at=t[7])])
    await store.append([EmailCodeSent(originator_id=bob, originator_version=2, at=t[6], email="bob@x.io", code_hash="h", expires_at=t[7])])
    await runner.catch_up()
    live = [await view.by_id(ann), await view.by_id(bob)]
    assert live[0] == UserRow(ann, "0x" + "a" * 64, "ann", "Ann", None, None, "ann@x.io", True, t[0], t[4])
    assert live[1] == UserRow(bob, "0x" + "b" * 64, None, None, None, None, "bob@x.io", False, t[1], t[6])
    await runner.rebuild("users")
    assert [await view.by_id(ann), await view.by_id(bob)] == live


async def test_the_trading_views_agree_with_the_engine_and_rebuild_equal(db: ViewDatabase) -> None:
    from itertools import count as counter
    from uuid import UUID

    from adapters.eventstore.snapshots import RecorderSnapshots
    from adapters.views.trading import SqlTokensView, SqlTradingView
    from application.live.market import CommittedMarket, OrderUpdate
    from application.projections.trading import TokensProjector, TradingProjector
    from application.trading.exchange import Exchange
    from domain.orderbook.book import NewOrder
    from domain.shared.money import USD
    from domain.token.token import default_parameters

    class Clock:
        def now(self) -> datetime:
            return T0

    numbers = counter(1000)

    def ids() -> UUID:
        return UUID(int=next(numbers))


    await db.migrate(["tokens", "trading"])
    trading, tokens = SqlTradingView(db), SqlTokensView(db)
    store = InMemoryEventStore()
    runner = ProjectionRunner(store, [TradingProjector(trading), TokensProjector(tokens)], batch_size=4)
    exchange = Exchange(store, RecorderSnapshots(store), Clock())
    await exchange.start(await store.claim_writer())
    alice, bob = UUID(int=1), UUID(int=2)
    listing = await exchange.list_token(
        symbol="ALICE", name="Alice", creator_id=alice, creator_address="0x" + "a" * 64,
        total_supply=10**9, initial_price=0, parameters=default_parameters(),
    )
    token = listing.value.token_id  # type: ignore[attr-defined]
    await exchange.deposit(bob, USD, 10**10, "d")
    placed = [
        await exchange.place(token, NewOrder(ids(), alice, "sell", "limit", price=1_000_000, quantity=3 * 10**6)),
        await exchange.place(token, NewOrder(ids(), alice, "sell", "limit", price=1_200_000, quantity=10**6)),
        await exchange.place(token, NewOrder(ids(), bob, "buy", "limit", price=1_100_000, quantity=2 * 10**6)),
        await exchange.place(token, NewOrder(ids(), bob, "buy", "limit", price=1_000_000, quantity=2 * 10**6, time_in_force="IOC")),
        await exchange.place(token, NewOrder(ids(), bob, "buy", "market", quote_amount=10**6)),
    ]
    await exchange.cancel(alice, placed[1].value.order.id)  # type: ignore[attr-defined]
    await runner.catch_up()
    live = [await trading.order(p.value.order.id) for p in placed]  # type: ignore[attr-defined]
    committed = CommittedMarket()  # each order's last change, as the engine's events left it
    final = {
        u.order.id: u.order
        for u in committed.advance([(r.position, r.event) for r in await store.read_log(0, 1_000)], complete=True)
        if isinstance(u, OrderUpdate)
    }
    engine = [final[p.value.order.id] for p in placed]  # type: ignore[attr-defined]
    assert [(r.status, r.filled, r.notional, r.fees) for r in live] == [  # type: ignore[union-attr]
        (o.status, o.filled, o.notional, o.fees) for o in engine  # type: ignore[union-attr]
    ]
    assert [r.status for r in live] == ["filled", "cancelled", "filled", "expired", "filled"]  # type: ignore[union-attr]
    bob_fills = await trading.fills(bob, token, 100, None)
    assert sum(f.quantity for f in bob_fills) == sum(o.filled for o in engine[2:])  # type: ignore[union-attr]
    assert (await tokens.by_id(token)).symbol == "ALICE"  # type: ignore[union-attr]
    open_alice = await trading.orders(alice, "open", None, 10, None)
    closed_alice = await trading.orders(alice, "closed", token, 10, None)
    assert open_alice == [] and len(closed_alice) == 2
    await runner.rebuild("trading")
    assert [await trading.order(p.value.order.id) for p in placed] == live  # type: ignore[attr-defined]
    assert await trading.fills(bob, token, 100, None) == bob_fills


def letter(position: int, view: str = "categories", error: str = "ValueError: no") -> DeadLetter:
    return DeadLetter(
        view=view, position=position, topic="domain.creator.events:CategoryAdded", stream_id=CATALOG_ID,
        stream_version=position, error=error, first_failed_at=T0, last_failed_at=T0 + timedelta(seconds=3), attempts=7,
    )


async def test_a_dead_letter_is_stored_with_the_views_new_position_and_a_stale_one_writes_nothing(
    db: ViewDatabase, view: SqlCategoriesView
) -> None:
    await CategoriesProjector(view).project([Recorded(1, added(1, "Art"))], expected=0)
    nul = letter(2, error="DBAPIError: invalid byte sequence 0x00 in 'a\\x00b'")
    await view.set_aside(1, nul)
    assert await view.progress() == ViewProgress(2, 1)
    assert await view.dead_letters() == [nul]
    with pytest.raises(ProjectionRaced):
        await view.set_aside(1, letter(3))
    assert await view.progress() == ViewProgress(2, 1)
    await db.migrate(["categories", "users"])
    other = SqlUsersView(db)
    await other.set_aside(0, letter(1, view="users"))
    assert [d.position for d in await view.dead_letters()] == [2]
    await view.reset()
    assert await view.progress() == ViewProgress(0, 0)
    assert [(d.view, d.position) for d in await other.dead_letters()] == [("users", 1)]


async def test_an_event_the_database_refuses_is_set_aside_and_the_events_around_it_are_applied_once(
    view: SqlCategoriesView,
) -> None:
    store = InMemoryEventStore()
    art = added(1, "Art")
    same_slug = CategoryAdded(originator_id=CATALOG_ID, originator_version=3, at=T0, category_id=uuid4(), slug="art", name="Art")
    await store.append([art, added(2, "Music"), same_slug, added(4, "Food")])
    runner = ProjectionRunner(store, [CategoriesProjector(view)], retry_delay=0)
    await runner.catch_up()
    assert [r.slug for r in await view.page(10)] == ["art", "food", "music"]
    [poison] = await view.dead_letters()
    assert (poison.position, poison.stream_version, poison.topic) == (3, 3, "domain.creator.events:CategoryAdded")
    assert "IntegrityError" in poison.error and poison.attempts >= 3
    assert await view.position() == 4
    await runner.rebuild("categories")  # still refused: set aside again, once
    assert [d.position for d in await view.dead_letters()] == [3]
    assert [r.slug for r in await view.page(10)] == ["art", "food", "music"]


async def test_a_view_whose_table_is_gone_is_unavailable_not_poisoned_and_waits(
    db: ViewDatabase, view: SqlCategoriesView
) -> None:
    store = InMemoryEventStore()
    await store.append([added(1, "Art"), added(2, "Music")])
    async with db.engine.begin() as conn:
        await conn.execute(text("DROP TABLE categories"))
    runner = ProjectionRunner(store, [CategoriesProjector(view)], retry_delay=0)
    with pytest.raises(ProjectionsBehind) as behind:
        await runner.catch_up()
    assert isinstance(behind.value.errors["categories"], ViewUnavailable)
    assert await view.progress() == ViewProgress(0, 0)


async def test_a_connection_cut_under_a_view_heals_on_a_retry_and_sets_nothing_aside(postgres_url: str) -> None:
    db = ViewDatabase(sqlalchemy_url(postgres_url))
    await db.migrate(["categories"])
    view = SqlCategoriesView(db)
    projector = CategoriesProjector(view)
    cut: list[int] = []
    calls: list[int] = []

    class CutOnce:
        """Cuts the view's pooled connections under the first write, as a restart or a proxy would."""

        view = projector.view

        async def project(self, batch: Sequence[Recorded], expected: int) -> None:
            calls.append(expected)
            if not cut:
                with psycopg.connect(postgres_url, autocommit=True) as admin:
                    cut.extend(r[0] for r in admin.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    ))
            await projector.project(batch, expected)

    try:
        store = InMemoryEventStore()
        await store.append([added(1, "Art"), added(2, "Music")])
        await ProjectionRunner(store, [CutOnce()], retry_delay=0).catch_up()
        assert cut and all(cut)
        assert calls == [0, 0]  # the write on the cut connection failed, whole; its retry wrote the batch
        assert [r.slug for r in await view.page(10)] == ["art", "music"]
        assert await view.progress() == ViewProgress(2, 0)
    finally:
        await db.close()


async def test_the_tickers_of_all_tokens_in_one_read_equal_each_tokens_own_ticker(db: ViewDatabase) -> None:
    """Trades spread over two days in three markets (one never traded): the bulk read gives every figure of
    the per-token one, at several moments."""
    from itertools import count as counter
    from uuid import UUID

    from adapters.eventstore.snapshots import RecorderSnapshots
    from adapters.views.market import SqlMarketView
    from application.projections.market import MarketProjector
    from application.queries import MarketQueries, ReadYourWrites
    from application.trading.exchange import Exchange
    from domain.orderbook.book import NewOrder
    from domain.shared.money import USD
    from domain.token.token import default_parameters

    now = [T0]

    class Clock:
        def now(self) -> datetime:
            return now[0]

    numbers = counter(5000)
    await db.migrate(["market"])
    market = SqlMarketView(db)
    store = InMemoryEventStore()
    runner = ProjectionRunner(store, [MarketProjector(market)])
    exchange = Exchange(store, RecorderSnapshots(store), Clock())
    await exchange.start(await store.claim_writer())
    alice, bob = UUID(int=1), UUID(int=2)
    tokens = {}
    for symbol in ("AAA", "BBB", "CCC"):
        done = await exchange.list_token(
            symbol=symbol, name=symbol, creator_id=alice, creator_address="0x" + "a" * 64,
            total_supply=10**12, initial_price=500_000, parameters=default_parameters(),
        )
        tokens[symbol] = done.value.token_id  # type: ignore[attr-defined]
    await exchange.deposit(bob, USD, 10**12, "d")
    for step in range(40):  # every 73 minutes for two days, in AAA and (half as often) BBB
        now[0] = T0 + timedelta(minutes=73 * step)
        for symbol in ("AAA", "BBB") if step % 2 else ("AAA",):
            for price in (1_000_000 + 10_000 * ((step * 7) % 13), 1_000_000 + 10_000 * ((step * 5) % 11)):  # open != close
                await exchange.place(tokens[symbol], NewOrder(UUID(int=next(numbers)), alice, "sell", "limit", price=price, quantity=10**6))
                await exchange.place(tokens[symbol], NewOrder(UUID(int=next(numbers)), bob, "buy", "limit", price=price, quantity=10**6))
    await runner.catch_up()
    queries = MarketQueries(market, ReadYourWrites(store, runner), Clock())
    initial = {token_id: 500_000 for token_id in tokens.values()}
    for moment in (T0 - timedelta(hours=1), T0 + timedelta(hours=20), T0 + timedelta(hours=49), T0 + timedelta(days=5)):
        now[0] = moment
        bulk = await queries.tickers(initial)
        assert bulk == {t: await queries.ticker(t, 500_000) for t in tokens.values()}, moment
    assert bulk[tokens["CCC"]].price == 500_000 and bulk[tokens["AAA"]].volume_24h == 0  # 5 days on: nothing in the window
    now[0] = T0 + timedelta(hours=30)
    assert (await queries.tickers(initial))[tokens["AAA"]].volume_24h > 0
