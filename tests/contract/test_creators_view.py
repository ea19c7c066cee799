"""The creators view on SQLite and PostgreSQL: what the real commands' events make of it, and that a rebuild
from the log makes exactly the same rows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from adapters.views.audit import SqlViewReader
from adapters.views.creators import SqlCreatorsView
from adapters.views.database import ViewDatabase, sqlalchemy_url
from application.handlers.creators import NewCreator
from application.projections.creators import CreatorsProjector
from application.projections.runner import ProjectionRunner
from domain.creator.creator import ProfileEdit, creator_id_for
from domain.creator.profile import Link, SectionDraft, Skill
from domain.identity.user import user_id_for
from tests.support.creators import ADMIN, World
from tests.support.wallets import Wallet


@pytest.fixture(params=["sqlite", "postgres"])
def open_db(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], ViewDatabase]:
    if request.param == "sqlite":
        return lambda name: ViewDatabase(f"sqlite+aiosqlite:///{tmp_path / name}.sqlite3")
    url = sqlalchemy_url(request.getfixturevalue("postgres_url"))
    return lambda name: ViewDatabase(url)


@pytest.fixture
async def db(open_db: Callable[[str], ViewDatabase]) -> AsyncIterator[ViewDatabase]:
    database = open_db("live")
    await database.migrate(["creators"])
    yield database
    await database.close()


async def story(world: World) -> dict[str, Wallet]:
    """Applications decided both ways, a creator made by an admin, edits, follows, a topic."""
    alice, bob, carol, dave = Wallet.new(), Wallet.new(), Wallet.new(), Wallet.new()
    for w in (alice, bob):
        await world.sign_agreement(w)
    approved = await world.apply(alice, "ALICE", "alice")
    await world.onboarding.approve(approved, 10**12, 1_000_000, ADMIN)
    rejected = await world.apply(bob, "BOB", "bob")
    await world.onboarding.reject(rejected, "not now", ADMIN)
    await world.apply(bob, "BOBBY", "bobby")  # pending
    await world.profiles.create(NewCreator(carol.address, "carol", "Carol", "art", "Painter", None, None))
    alice_id = user_id_for(alice.address)
    await world.profiles.edit(
        alice_id,
        ProfileEdit(
            headline="Singer", links=[Link("x", "https://x.com/alice")], skills=[Skill("guitar", 4)],
            content_sections=[SectionDraft("About", "me"), SectionDraft("Tour", "dates")],
        ),
    )
    await world.profiles.verify("alice", True)
    for follower in (bob, carol, dave):
        await world.social.follow(user_id_for(follower.address), "alice", True)
    await world.social.follow(user_id_for(dave.address), "alice", False)
    await world.social.follow(user_id_for(dave.address), "carol", True)
    await world.social.publish_topic("Tour season", "who plays where", "https://news.example.com", ["music"], ["alice", "carol"])
    return {"alice": alice, "bob": bob, "carol": carol, "dave": dave}


async def test_the_view_holds_what_the_commands_did(db: ViewDatabase) -> None:
    world = await World().start()
    wallets = await story(world)
    view = SqlCreatorsView(db)
    await ProjectionRunner(world.store, [CreatorsProjector(view)]).catch_up()

    alice = await view.by_handle("alice")
    assert alice is not None and alice.id == creator_id_for(user_id_for(wallets["alice"].address))
    assert (alice.token_symbol, alice.headline, alice.verified, alice.followers_count) == ("ALICE", "Singer", True, 2)
    assert alice.links == [{"platform": "x", "url": "https://x.com/alice"}] and alice.skills == [{"name": "guitar", "level": 4}]
    assert [s["title"] for s in alice.content_sections] == ["About", "Tour"] and alice.content_sections[1]["position"] == 2
    assert await view.by_symbol("ALICE") == alice
    carol = await view.by_handle("carol")
    assert carol is not None and (carol.category, carol.token_id, carol.followers_count) == ("art", None, 1)
    assert await view.by_handle("bob") is None  # rejected, never a creator

    dave = user_id_for(wallets["dave"].address)
    assert [c for c, _ in await view.following(dave, 10, None)] == [carol.id]
    assert await view.is_following(user_id_for(wallets["bob"].address), alice.id)
    feed = await view.feed_of(user_id_for(wallets["bob"].address), 50, None)
    assert [f.type for f in feed] == ["section_published", "section_published", "profile_updated", "token_listed"]
    assert [f.type for f in await view.feed_of(dave, 50, None)] == []  # carol has done nothing yet
    page = await view.feed_of(user_id_for(wallets["bob"].address), 2, None)
    rest = await view.feed_of(user_id_for(wallets["bob"].address), 50, (page[-1].seq, page[-1].n))
    assert [f.type for f in page + rest] == [f.type for f in feed]

    statuses = [(a.handle, a.status) for a in await view.applications(None, 10, None)]
    assert sorted(statuses) == [("alice", "approved"), ("bob", "rejected"), ("bobby", "pending")]
    assert [a.handle for a in await view.applications("pending", 10, None)] == ["bobby"]
    assert await view.search("alice", 10, 0) == [alice.id] and await view.search("ALICE", 10, 0) == [alice.id]
    assert await view.search("guitar", 10, 0) == [alice.id]  # skills
    assert set(await view.search("c", 10, 0)) >= {carol.id}  # a prefix
    assert await view.search("painter carol", 10, 0) == [carol.id] and await view.search("painter alice", 10, 0) == []
    (topic,) = await view.topics(10)
    assert topic.creator_ids == [alice.id, carol.id] and topic.tags == ["music"]


async def test_a_rebuild_from_the_log_makes_the_same_rows(db: ViewDatabase, open_db: Callable[[str], ViewDatabase]) -> None:
    world = await World().start()
    await story(world)
    view = SqlCreatorsView(db)
    runner = ProjectionRunner(world.store, [CreatorsProjector(view)], batch_size=3)  # many small batches, live
    await runner.catch_up()
    before = await SqlViewReader(db, [view]).read()
    await ProjectionRunner(world.store, [CreatorsProjector(view)], batch_size=10_000).rebuild()  # one big batch
    after = await SqlViewReader(db, [view]).read()
    assert after == before
    assert before["creators"].tables["follows"]  # there was something to compare
    alice = await view.by_handle("alice")
    assert alice is not None and await view.search("ali sing", 10, 0) == [alice.id]  # the index was rebuilt too


async def test_a_price_move_of_ten_percent_in_24_hours_is_told_once_per_crossing(
    db: ViewDatabase, open_db: Callable[[str], ViewDatabase]
) -> None:
    from datetime import timedelta

    from domain.orderbook.book import NewOrder
    from domain.shared.money import USD
    from tests.support.creators import T0

    world = await World().start()
    alice, bob = Wallet.new(), Wallet.new()
    await world.sign_agreement(alice)
    approved = await world.apply(alice, "ALICE", "alice")
    done = await world.onboarding.approve(approved, 10**12, 1_000_000, ADMIN)  # listed at 1.00
    token, seller, buyer = done.value.token_id, user_id_for(alice.address), user_id_for(bob.address)
    await world.exchange.deposit(buyer, USD, 10**12, "d")
    await world.social.follow(buyer, "alice", True)

    async def trade(hours: int, price: int) -> None:
        world.clock.at = T0 + timedelta(hours=hours)
        await world.exchange.place(token, NewOrder(world.ids(), seller, "sell", "limit", price=price, quantity=10**6))
        await world.exchange.place(token, NewOrder(world.ids(), buyer, "buy", "limit", price=price, quantity=10**6))

    for hours, price in ((0, 1_050_000), (1, 1_120_000), (2, 1_150_000), (3, 1_020_000), (26, 1_300_000), (27, 1_310_000)):
        await trade(hours, price)
    view = SqlCreatorsView(db)
    await ProjectionRunner(world.store, [CreatorsProjector(view)], batch_size=2).catch_up()
    moves = [f.data for f in await view.feed_of(buyer, 50, None) if f.type == "price_move"]
    # +5 %: no; +12 % against the listing: told; +15 %: still moved; +2 %: back; 26 h on, +13 % against 1.15
    # (the last price of the hour 24 h before): told again; +14 %: still moved
    assert moves == [
        {"token_id": str(token), "symbol": "ALICE", "price": "1.3", "change_24h": "13.04"},
        {"token_id": str(token), "symbol": "ALICE", "price": "1.12", "change_24h": "12.00"},
    ]
    before = await SqlViewReader(db, [view]).read()
    await ProjectionRunner(world.store, [CreatorsProjector(view)], batch_size=10_000).rebuild()
    assert await SqlViewReader(db, [view]).read() == before


async def test_the_directory_version_moves_with_every_change_a_list_shows_and_only_then(db: ViewDatabase) -> None:
    world = await World().start()
    wallets = await story(world)
    view = SqlCreatorsView(db)
    runner = ProjectionRunner(world.store, [CreatorsProjector(view)])
    await runner.catch_up()
    bob, alice = user_id_for(wallets["bob"].address), user_id_for(wallets["alice"].address)

    async def version_after(step: object) -> tuple[object, ...]:
        await step  # type: ignore[misc]
        await runner.catch_up()
        return await view.directory_fingerprint()

    before = await view.directory_fingerprint()
    # one follow gained and one lost at once: the follower total stays, the version does not
    await world.social.follow(bob, "carol", True)
    after_follows = await version_after(world.social.follow(bob, "alice", False))
    assert after_follows != before
    assert await version_after(world.profiles.edit(alice, ProfileEdit(bio="only the bio"))) == after_follows
    assert await version_after(world.profiles.edit(alice, ProfileEdit(category="art"))) != after_follows
