"""The committed market: built from the stored log alone, numbered the same however it is read, and a snapshot
of it plus the log after it equals a replay of the whole log, byte for byte."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from itertools import count
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.eventstore.memory import InMemoryEventStore
from adapters.eventstore.snapshots import RecorderSnapshots, decode_snapshot, encode_snapshot
from application.live.market import BookUpdate, CommittedMarket, OrderUpdate, PriceUpdate, TradeUpdate, Update
from application.ports import Recorded
from application.trading.exchange import Exchange
from domain.orderbook.book import NewOrder
from domain.shared.errors import DomainError
from domain.shared.money import USD
from domain.token.token import default_parameters

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
USERS = [UUID(int=n) for n in (1, 2, 3, 4)]
TOKEN = 10**6
LOT = TOKEN // 100
MID = 1_000_000
TICK = 100


class Clock:
    def __init__(self) -> None:
        self._n = count()

    def now(self) -> datetime:
        return datetime.fromtimestamp(T0.timestamp() + next(self._n), UTC)


def script_of(seed: int, length: int) -> list[tuple]:
    """A busy random flow: orders around a mid that cross often, cancels, deposits, now and then a market order.
    Drawn from a seed rather than by hypothesis, whose small examples seldom trade."""
    rng = random.Random(seed)
    script: list[tuple] = []
    for _ in range(length):
        user, symbol = rng.choice(USERS), rng.choice(["AAA", "BBB"])
        roll = rng.random()
        if roll < 0.65:
            script.append((
                "limit", user, symbol, rng.choice(["buy", "sell"]), MID + rng.randint(-4, 4) * TICK * 10,
                rng.randint(1, 5) * LOT, rng.choice(["GTC", "GTC", "GTC", "IOC", "FOK"]),
                rng.choice(["cancel_maker", "cancel_maker", "cancel_taker", "cancel_both"]),
                rng.choice([None, None, None, "k1", "k2"]),
            ))
        elif roll < 0.75:
            script.append(("market", user, symbol, rng.choice(["buy", "sell"]), rng.randint(1, 8) * LOT))
        elif roll < 0.9:
            script.append(("cancel", user, rng.randint(0, 1_000)))
        elif roll < 0.95:
            script.append(("cancel_all", user, rng.choice(["AAA", "BBB", None])))
        else:
            script.append(("deposit", user, rng.randint(1, 3)))
    return script


async def trade(script: list[tuple], clock: Clock | None = None) -> tuple[InMemoryEventStore, Exchange]:
    """Run a script through a real engine on the in-memory store; refusals are part of life."""
    store = InMemoryEventStore()
    exchange = Exchange(store, RecorderSnapshots(store), clock or Clock())
    await exchange.start(await store.claim_writer())
    tokens = {}
    for symbol in ("AAA", "BBB"):
        done = await exchange.list_token(
            symbol=symbol, name=symbol, creator_id=USERS[0], creator_address="0x" + "a" * 64,
            total_supply=10_000 * TOKEN, initial_price=0, parameters=default_parameters(),
        )
        tokens[symbol] = done.value.token_id  # type: ignore[attr-defined]
    for n, user in enumerate(USERS):
        await exchange.deposit(user, USD, 50_000 * 10**6, f"usd-{n}")
        for symbol, token in tokens.items():
            await exchange.deposit(user, str(token), 500 * TOKEN, f"{symbol}-{n}")
    ids = count(10_000)
    placed: list[UUID] = []
    for command in script:
        kind, user = command[0], command[1]
        try:
            if kind == "limit":
                _, _, symbol, side, price, quantity, tif, stp, client_id = command
                new = NewOrder(UUID(int=next(ids)), user, side, "limit", price=price, quantity=quantity,
                               time_in_force=tif, self_trade_prevention=stp, client_order_id=client_id)
                placed.append((await exchange.place(tokens[symbol], new)).value.order.id)  # type: ignore[attr-defined]
            elif kind == "market":
                _, _, symbol, side, quantity = command
                new = NewOrder(UUID(int=next(ids)), user, side, "market", quantity=quantity)
                await exchange.place(tokens[symbol], new)
            elif kind == "cancel" and placed:
                await exchange.cancel(user, placed[command[2] % len(placed)])
            elif kind == "cancel_all":
                await exchange.cancel_all(user, tokens[command[2]] if command[2] else None)
            elif kind == "deposit":
                await exchange.deposit(user, USD, command[2] * 10**6, f"more-{next(ids)}")
        except DomainError:
            pass
    return store, exchange


def read_in_pages(log: list[Recorded], market: CommittedMarket, pages: list[int], stop: int | None = None) -> list[Update]:
    """Advance the market the way the follower does: pages of the log after its position; a full page may end
    inside a step. Stops once the market is at or past ``stop``."""
    updates: list[Update] = []
    sizes = iter(pages)
    while market.position < (stop if stop is not None else log[-1].position if log else 0):
        size = next(sizes, 7)
        batch = [(r.position, r.event) for r in log if r.position > market.position][:size]
        before = market.position
        updates += market.advance(batch, complete=len(batch) < size)
        if market.position == before:
            pages = [size * 2]
            sizes = iter(pages)
    return updates


def as_log(recorded: list[Recorded]) -> list[tuple[int, object]]:
    return [(r.position, r.event) for r in recorded]


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    seed=st.integers(0, 2**32),
    length=st.integers(5, 120),
    pages=st.lists(st.integers(1, 40), min_size=1, max_size=30),
    cut=st.floats(0, 1),
)
def test_a_snapshot_and_the_log_after_it_equal_a_replay_of_the_whole_log_byte_for_byte(seed, length, pages, cut) -> None:
    store, exchange = asyncio.run(trade(script_of(seed, length)))
    log = asyncio.run(store.read_log(0, 100_000))

    whole = CommittedMarket()
    whole_updates = whole.advance(as_log(log), complete=True)

    first = CommittedMarket()
    updates = read_in_pages(log, first, pages, stop=log[int(cut * (len(log) - 1))].position)
    kept = decode_snapshot(encode_snapshot(first.snapshot()))
    assert kept is not None
    resumed = CommittedMarket.from_snapshot(kept)
    updates += read_in_pages(log, resumed, list(reversed(pages)))

    assert encode_snapshot(resumed.snapshot()) == encode_snapshot(whole.snapshot())
    assert updates == whole_updates, "the same updates with the same sequences, however the log was read"
    assert resumed.state.snapshot() == exchange.state.snapshot(), "the committed market is the engine's state"


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32), length=st.integers(5, 150))
def test_a_client_applying_the_updates_holds_the_book_and_every_sequence_rises_by_one(seed, length) -> None:
    store, _ = asyncio.run(trade(script_of(seed, length)))
    market = CommittedMarket()
    updates = market.advance(as_log(asyncio.run(store.read_log(0, 100_000))), complete=True)

    books: dict[UUID, dict[tuple[str, int], int]] = {}
    last: dict[tuple[object, ...], int] = {}
    for update in updates:
        key: tuple[object, ...] = (type(update).__name__, update.token_id)
        if isinstance(update, OrderUpdate):
            key += (update.user_id,)
            assert update.order.user_id == update.user_id
        assert update.sequence == last.get(key, 0) + 1, "sequences rise by one per channel"
        last[key] = update.sequence
        if isinstance(update, BookUpdate):
            book = books.setdefault(update.token_id, {})
            assert update.levels, "an update names something"
            for change in update.levels:
                assert book.get((change.side, change.price), 0) != change.quantity, "only levels whose total changed"
                if change.quantity:
                    book[(change.side, change.price)] = change.quantity
                else:
                    del book[(change.side, change.price)]
            bids = [p for s, p in book if s == "buy"]
            asks = [p for s, p in book if s == "sell"]
            assert not bids or not asks or max(bids) < min(asks), "a client is never shown a crossed book"
    for token_id, book in market.state.books.items():
        expected = {(side, price): quantity for side in ("buy", "sell") for price, quantity, _ in book.depth(side, 10**6)}
        assert books.get(token_id, {}) == expected
        assert market.sequence(f"orderbook:{token_id}") == last.get(("BookUpdate", token_id), 0)
        trades = [u for u in updates if isinstance(u, TradeUpdate) and u.token_id == token_id]
        assert market.recent_trades(token_id) == [u.trade for u in reversed(trades)][:50]
        prices = [u for u in updates if isinstance(u, PriceUpdate) and u.token_id == token_id]
        if prices:
            assert prices[-1].ticker == market.ticker(token_id)


async def test_a_taker_buy_that_fills_at_once_names_only_the_ask_level_it_took() -> None:
    store = InMemoryEventStore()
    exchange = Exchange(store, RecorderSnapshots(store), Clock())
    await exchange.start(await store.claim_writer())
    token = (await exchange.list_token(
        symbol="AAA", name="A", creator_id=USERS[0], creator_address="0x" + "a" * 64,
        total_supply=10_000 * TOKEN, initial_price=0, parameters=default_parameters(),
    )).value.token_id  # type: ignore[attr-defined]
    await exchange.deposit(USERS[1], USD, 10**9, "d")
    await exchange.place(token, NewOrder(UUID(int=100), USERS[0], "sell", "limit", price=MID, quantity=2 * LOT))
    market = CommittedMarket()
    market.advance(as_log(await store.read_log(0, 1_000)), complete=True)
    head = await store.head()

    await exchange.place(token, NewOrder(UUID(int=101), USERS[1], "buy", "limit", price=MID, quantity=2 * LOT))
    updates = market.advance(as_log(await store.read_log(head, 1_000)), complete=True)

    books = [u for u in updates if isinstance(u, BookUpdate)]
    assert len(books) == 1
    assert [(c.side, c.price, c.quantity) for c in books[0].levels] == [("sell", MID, 0)]
    orders = sorted((u.order.side, u.order.status, len(u.fills)) for u in updates if isinstance(u, OrderUpdate))
    assert orders == [("buy", "filled", 1), ("sell", "filled", 1)]


async def test_a_feed_that_fails_to_publish_neither_stops_the_market_nor_trading() -> None:
    from application.live.follower import MarketFollower

    store = InMemoryEventStore()
    exchange = Exchange(store, RecorderSnapshots(store), Clock())
    await exchange.start(await store.claim_writer())
    follower = MarketFollower(store, RecorderSnapshots(store))
    published: list[int] = []

    async def broken(updates: list[Update]) -> None:
        published.append(len(updates))
        raise RuntimeError("a feed with a bug")

    follower.publish_to(broken)
    token = (await exchange.list_token(
        symbol="AAA", name="A", creator_id=USERS[0], creator_address="0x" + "a" * 64,
        total_supply=10_000 * TOKEN, initial_price=0, parameters=default_parameters(),
    )).value.token_id  # type: ignore[attr-defined]
    await exchange.place(token, NewOrder(UUID(int=100), USERS[0], "sell", "limit", price=MID, quantity=2 * LOT))
    await follower.catch_up()
    done = await exchange.place(token, NewOrder(UUID(int=101), USERS[0], "sell", "limit", price=MID + TICK, quantity=LOT))
    await follower.catch_up()

    assert published, "the feed was asked to publish, and failed"
    assert follower.market.position == done.position == await store.head()
    assert follower.market.state.book(token).depth("sell", 10) == [(MID, 2 * LOT, 1), (MID + TICK, LOT, 1)]


async def test_a_follower_told_to_lag_reads_appends_only_once_they_add_up_and_always_when_asked() -> None:
    from application.live.follower import MarketFollower

    store = InMemoryEventStore()
    exchange = Exchange(store, RecorderSnapshots(store), Clock())
    await exchange.start(await store.claim_writer())
    follower = MarketFollower(store, RecorderSnapshots(store), poll_interval=60, behind=20)
    store.listen(follower.wake)
    running = asyncio.create_task(follower.run())
    try:
        await asyncio.sleep(0.01)  # its first read, of the empty log
        for n in range(3):
            await exchange.deposit(USERS[0], USD, 10**6, f"d{n}")
        await asyncio.sleep(0.05)
        assert follower.market.position == 0  # three events behind: not worth a read yet
        for n in range(3, 30):
            await exchange.deposit(USERS[0], USD, 10**6, f"d{n}")
        await asyncio.sleep(0.05)
        assert follower.market.position >= 20
        await exchange.deposit(USERS[0], USD, 10**6, "last")
        market = await asyncio.wait_for(follower.reach(await store.head()), 5)  # a reader that must not wait
        assert market.position == await store.head()
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
